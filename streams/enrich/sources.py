"""Source reliability: the OpenSources label of an article's domain (shipped in streams/data/sources/)."""
from __future__ import annotations

import csv
import io
from functools import lru_cache
from importlib import resources

# OpenSources' "type" values, most to least trustworthy; an article's reliability is its domain's first label.
LABELS = ("reliable", "political", "bias", "clickbait", "satire", "unreliable", "rumor", "junksci", "conspiracy",
          "hate", "state", "fake", "unknown")


@lru_cache(maxsize=1)
def load_source_labels() -> dict[str, list[str]]:
    """domain -> its OpenSources labels in the file's order (type, 2nd_type, 3rd_type)."""
    text = resources.files("streams.data").joinpath("sources/opensources.csv").read_text("utf-8")
    table: dict[str, list[str]] = {}
    for row in csv.DictReader(io.StringIO(text)):
        domain = "".join((row.get("url") or "").split()).lower().removeprefix("www.").rstrip("/")   # "X. com"
        labels = [row.get(k, "").strip().lower() for k in ("type", "2nd_type", "3rd_type")]
        labels = ["rumor" if lab == "rumor " else lab for lab in labels if lab]
        if domain and labels:
            table[domain] = labels
    return table


def source_reliability(domain: str | None) -> dict:
    """{"reliability": first label or None, "labels": all labels}; subdomains inherit their parent's labels."""
    if not domain:
        return {"reliability": None, "labels": []}
    table = load_source_labels()
    parts = domain.lower().removeprefix("www.").split(".")
    for i in range(len(parts) - 1):
        labels = table.get(".".join(parts[i:]))
        if labels:
            return {"reliability": labels[0], "labels": labels}
    return {"reliability": None, "labels": []}
