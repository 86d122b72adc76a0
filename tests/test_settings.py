"""The collection settings file (newsarchive.toml), `newsarchive config`, and the old settings.json."""

import json

import pytest

from newsarchive import api, settings
from newsarchive.errors import SettingsError
from newsarchive.search import engines


def test_defaults_when_there_is_no_file(tmp_path):
    (tmp_path / "archive").mkdir()
    s = settings.load(tmp_path)
    assert s.get("cite.style") == "apa" and s.source("cite.style") == "default"
    assert s.get("search.engine") == "whoosh" and s.get("evidence.tsa_url") == ""
    assert [x.key for x in s.items()] == list(settings.KEYS)


def test_values_from_the_file_are_typed_and_sourced(root):
    (root / "newsarchive.toml").write_text(
        '# SAMPLE settings\n[cite]\nstyle = "Chicago17"\n\n[evidence]\noperator = "Jane Doe"\n'
        'tsa_url = "http://127.0.0.1:9/tsr"\n\n[citekey]\npattern = "[auth:lower][year][shorttitle:lower]"\n',
        "utf-8")
    s = settings.load(root)
    assert s.get("cite.style") == "chicago"  # alias -> the style's name
    assert s.source("cite.style") == str(root / "newsarchive.toml")
    assert s.get("evidence.operator") == "Jane Doe" and s.get("evidence.tsa_url") == "http://127.0.0.1:9/tsr"
    assert s.get("citekey.pattern") == "[auth:lower][year][shorttitle:lower]"
    assert s.source("search.engine") == "default"


def test_dotted_keys_at_the_top_level_are_the_same_keys(root):
    (root / "newsarchive.toml").write_text('cite.style = "mla"\n', "utf-8")
    assert settings.load(root).get("cite.style") == "mla"


@pytest.mark.parametrize("text, words", [
    ('[cite]\nstyle = "harvard"\n', ["cite.style", "harvard"]),
    ('[cite]\nstyle = 3\n', ["cite.style", "expected a text"]),
    ('[cite]\nstyel = "apa"\n', ["unknown key", "cite.styel"]),
    ('[cite\nstyle = "apa"\n', ["not valid TOML", "line 1"]),
    ('cite = "apa"\n', ["cite", "table"]),
    ('[evidence]\ntsa_url = "ftp://x"\n', ["evidence.tsa_url", "http"]),
    ('[citekey]\npattern = "[author][year]"\n', ["citekey.pattern", "unknown citekey field"]),
    ('[citekey]\npattern = "key"\n', ["citekey.pattern", "no [field]"]),
    ('[search]\nengine = "lucene"\n', ["search.engine", "lucene"]),
])
def test_a_bad_file_names_the_file_and_the_key(root, text, words):
    (root / "newsarchive.toml").write_text(text, "utf-8")
    with pytest.raises(SettingsError) as err:
        settings.load(root)
    message = str(err.value)
    assert "\n" not in message and str(root / "newsarchive.toml") in message
    for word in words:
        assert word in message


def test_a_bad_file_is_one_line_and_exit_1_in_the_cli(cli, root):
    (root / "newsarchive.toml").write_text('[cite]\nstyle = "harvard"\n', "utf-8")
    for args in (["config"], ["cite", "x"], ["search", "x"]):
        r = cli(*args)
        assert r.exit_code == 1, (args, r.output)
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: ") and "cite.style" in lines[0]
        assert "internal error" not in r.stderr


def test_init_writes_the_engine_into_the_toml_file(tmp_path):
    root = api.init(tmp_path / "c", engine="tantivy")
    assert not (root / "settings.json").exists()
    s = settings.load(root)
    assert s.get("search.engine") == "tantivy" and s.source("search.engine") == str(root / "newsarchive.toml")
    assert engines.configured(root) == "tantivy"


def test_an_old_settings_json_is_read_and_moved_on_the_next_write(tmp_path):
    root = api.init(tmp_path / "c")
    (root / "newsarchive.toml").unlink()
    (root / "settings.json").write_text(json.dumps({"engine": "tantivy"}), "utf-8")
    s = settings.load(root)
    assert s.get("search.engine") == "tantivy" and s.source("search.engine") == str(root / "settings.json")
    settings.update(root, {"cite.style": "mla"})
    assert not (root / "settings.json").exists()
    s = settings.load(root)
    assert s.get("search.engine") == "tantivy" and s.source("search.engine") == str(root / "newsarchive.toml")
    assert s.get("cite.style") == "mla"


def test_a_bad_old_settings_json_is_named(tmp_path):
    root = api.init(tmp_path / "c")
    (root / "settings.json").write_text('{"engine": "lucene"}', "utf-8")
    with pytest.raises(SettingsError, match="settings.json"):
        engines.configured(root)


def test_update_keeps_comments_and_other_keys(root):
    text = ('# SAMPLE: my notes about this collection\n[cite]\nstyle = "apa"  # for the paper\n\n'
            '[search]\n# whoosh is enough for now\nengine = "whoosh"\n')
    (root / "newsarchive.toml").write_text(text, "utf-8")
    settings.update(root, {"search.engine": "tantivy", "evidence.operator": 'Jane "JD" Doe'})
    after = (root / "newsarchive.toml").read_text("utf-8")
    assert "# SAMPLE: my notes about this collection" in after and "# whoosh is enough for now" in after
    assert 'style = "apa"  # for the paper' in after
    s = settings.load(root)
    assert s.get("search.engine") == "tantivy" and s.get("evidence.operator") == 'Jane "JD" Doe'
    assert s.get("cite.style") == "apa"


def test_update_refuses_a_bad_value_and_writes_nothing(root):
    before = (root / "newsarchive.toml").read_bytes()
    with pytest.raises(SettingsError, match="cite.style"):
        settings.update(root, {"cite.style": "harvard"})
    assert (root / "newsarchive.toml").read_bytes() == before


def test_config_shows_values_and_sources(cli, root):
    (root / "newsarchive.toml").write_text('[cite]\nstyle = "mla"\n', "utf-8")
    r = cli("config")
    assert r.exit_code == 0, r.output
    line = next(x for x in r.stdout.splitlines() if x.startswith("cite.style"))
    assert "mla" in line and str(root / "newsarchive.toml") in line
    line = next(x for x in r.stdout.splitlines() if x.startswith("search.engine"))
    assert "whoosh" in line and "(default)" in line
    data = json.loads(cli("config", "-f", "json").stdout)
    assert data["file"] == str(root / "newsarchive.toml") and data["exists"] is True
    by_key = {x["key"]: x for x in data["settings"]}
    assert by_key["cite.style"] == {"key": "cite.style", "value": "mla", "source": str(root / "newsarchive.toml")}
    assert by_key["evidence.operator"]["source"] == "default"
    assert cli("config", "cite.style").stdout == "mla\n"
    r = cli("config", "cite.styel")
    assert r.exit_code == 2 and "unknown setting" in r.stderr


def test_config_set_writes_the_file_and_cite_uses_the_style(cli, root, sample_file):
    r = cli("config", "--set", "cite.style=chicago", "--set", "evidence.operator=Jane Doe")
    assert r.exit_code == 0, r.output
    assert settings.load(root).get("evidence.operator") == "Jane Doe"
    r = cli("add", sample_file, "--outlet", "AP News", "--published", "2024-09-04", "--author", "Associated Press",
            "--format", "json")
    key = json.loads(r.stdout)["entry"]["citekey"]
    chicago = cli("cite", key)
    assert chicago.exit_code == 0 and chicago.stdout == cli("cite", key, "--style", "chicago").stdout
    assert chicago.stdout != cli("cite", key, "--style", "apa").stdout
    r = cli("config", "--set", "search.engine=tantivy")
    assert r.exit_code == 2 and "reindex --engine" in r.stderr
    r = cli("config", "--set", "cite.style=harvard")
    assert r.exit_code == 2 and "cite.style" in r.stderr and settings.load(root).get("cite.style") == "chicago"  # bad usage
    assert len(r.stderr.strip().splitlines()) == 1


def test_a_byte_order_mark_from_a_windows_editor_is_accepted(root):
    (root / "newsarchive.toml").write_bytes('\ufeff[cite]\nstyle = "mla"\n'.encode("utf-8"))
    assert settings.load(root).get("cite.style") == "mla"
