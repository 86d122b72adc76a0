"""Entry builder shared by the citation tests."""

from newsarchive.model import Entry, PartialDate, parse_name


def E(**kw) -> Entry:
    """A news entry with sensible defaults; ``authors`` may be strings, dates ISO strings."""
    base = dict(id="ent1", citekey="key2024", title="Serbia will not join sanctions", outlet="AP News",
                kind="news website", published=PartialDate(2024, 9, 4), url="https://apnews.com/article/x")
    base.update(kw)
    if isinstance(base.get("authors"), (list, tuple)):
        base["authors"] = tuple(parse_name(a) if isinstance(a, str) else a for a in base["authors"])
    if isinstance(base.get("published"), str):
        base["published"] = PartialDate.from_iso(base["published"])
    return Entry(**base)
