"""Data files shipped with the package (sources and licences: README.md here), and the loaders they share."""
from __future__ import annotations

import gzip
from functools import lru_cache
from importlib import resources


@lru_cache(maxsize=1)
def word_zipf() -> dict[str, float]:
    """english_word_zipf.tsv.gz as {word: Zipf frequency}, most frequent word first (the file's order)."""
    with resources.files(__name__).joinpath("english_word_zipf.tsv.gz").open("rb") as raw, \
            gzip.open(raw, "rt", encoding="utf-8") as lines:
        return {word: float(zipf) for word, zipf in (line.rstrip("\n").split("\t") for line in lines)}
