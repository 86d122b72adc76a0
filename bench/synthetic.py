"""Synthetic news articles as JSONL in newsarchive's import format (for scale benchmarks).

    python bench/synthetic.py [N] [-o bench/data/synthetic-N.jsonl] [--words 600] [--seed 1]

Words follow a Zipf-like distribution over a vocabulary of common English words followed by
made-up but pronounceable words (so a few words are very frequent and most are rare, as in
real text); some words carry accents, some are hyphenated. Titles take their words from the
middle of the distribution so they are reasonably distinctive. Deterministic for a seed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

COMMON = """the of and to a in that is was he for it with as his on be at by i this had not are
but from or have an they which one you were her all she there would their we him been has when
who will more no if out so said what up its about into than them can only other new some could
time these two may then do first any my now such like our over man me even most made after also
did many before must through back years where much your way well down should because each just
those people how too little state good very make world still own see men work long get here
between both life being under never day same another know while last might us great old year
off come since against go came right used take three government president minister police
country officials week city report told market economy election court war officials party
percent company million billion talks deal security health vote prices oil bank""".split()

NAMES = ["Jovana Gec", "Ana Brnabić", "Michael Smith", "Sarah Connor", "Luis García",
         "Søren Kierkegaard", "Chen Wei", "Fatima Zahra", "Olena Kovalenko", "James O'Brien",
         "Marie Dubois", "Hans Müller", "Priya Patel", "Kwame Mensah", "Ingrid Bergström"]
OUTLETS = ["Associated Press", "Reuters", "The Guardian", "Le Monde", "Der Spiegel", "BBC News",
           "The New York Times", "N1", "Al Jazeera", "El País"]
TAGS = ["politics", "economy", "sanctions", "energy", "elections", "health", "climate",
        "technology", "courts", "europe", "balkans", "asia", "africa", "americas"]
ONSETS = ["b", "br", "c", "ch", "d", "dr", "f", "g", "gr", "h", "j", "k", "kr", "l", "m", "n",
          "p", "pr", "r", "s", "st", "t", "tr", "v", "z", "š", "č", "ž"]
VOWELS = ["a", "e", "i", "o", "u", "ai", "ou", "é", "ä", "ö"]
CODAS = ["", "", "n", "r", "s", "t", "l", "m", "k", "st", "nd"]


def _vocabulary(rng: random.Random, size: int) -> list[str]:
    seen = set(COMMON)
    out = list(COMMON)
    while len(out) < size:
        n = rng.choice((1, 2, 2, 2, 3))
        w = "".join(rng.choice(ONSETS) + rng.choice(VOWELS) + rng.choice(CODAS) for _ in range(n))
        if rng.random() < 0.01 and len(out) > 200:  # a compound with a word past the commonest
            w = f"{w}-{rng.choice(out[200:])}"
        if w not in seen:
            seen.add(w)
            out.append(w)
    return out


def generate(n: int, *, words: int = 600, seed: int = 1, vocab_size: int = 60_000):
    rng = random.Random(seed)
    vocab = _vocabulary(rng, vocab_size)
    cum = list(itertools.accumulate(1.0 / (r + 2.7) ** 1.07 for r in range(len(vocab))))
    mid = vocab[300:20_000]
    start = dt.datetime(2019, 1, 1)
    for i in range(n):
        title_words = rng.sample(mid, rng.randint(5, 9))
        title = " ".join(title_words).capitalize()
        body_words = rng.choices(vocab, cum_weights=cum, k=words)
        # the article is about its title: its words recur in the body
        for w in title_words:
            for _ in range(rng.randint(1, 3)):
                body_words[rng.randrange(words)] = w
        sentences, k = [], 0
        while k < words:
            ln = rng.randint(8, 25)
            s = " ".join(body_words[k:k + ln])
            sentences.append(s[:1].upper() + s[1:] + ".")
            k += ln
        paras = [" ".join(sentences[j:j + 5]) for j in range(0, len(sentences), 5)]
        published = start + dt.timedelta(minutes=rng.randrange(6 * 365 * 24 * 60))
        yield {
            "title": title,
            "authors": rng.sample(NAMES, rng.choice((0, 1, 1, 1, 2))),
            "outlet": rng.choice(OUTLETS),
            "kind": "news website",
            "published": published.isoformat(),
            "text": "\n\n".join(paras),
            "tags": rng.sample(TAGS, rng.randint(0, 3)),
        }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", nargs="?", type=int, default=100_000)
    ap.add_argument("-o", "--output", type=Path)
    ap.add_argument("--words", type=int, default=600)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    out_path = args.output or HERE / "data" / f"synthetic-{args.n}.jsonl"
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with out_path.open("w", encoding="utf-8") as out:
        for doc in generate(args.n, words=args.words, seed=args.seed):
            out.write(json.dumps(doc, ensure_ascii=False) + "\n")
    print(f"{args.n} articles -> {out_path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
