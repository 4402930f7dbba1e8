"""Measure the scraped-text parser on the FakeNewsCorpus sample (the `content` column alone).

    python scripts/eval_scraped.py [--csv PATH] [--review N] [--seed S] [--show title|authors|removed] [--json]

For each row, ``content`` is parsed as scraped text twice: ``streams.parse.text.parse_scraped_text`` and the
whole parse stage ``streams.parse.article.parse_article(RawArticle(format="text", text=content))``. Reported:

- title: agreement with the CSV ``title`` column (exact after normalisation; fuzzy = difflib token-set ratio
  >= FUZZY), how often we give no title, how often the CSV title occurs in the content at all;
- authors: agreement with the CSV ``authors`` column (an older extractor's output: a reference, not gold),
  raw and after cleaning the CSV value with the same ``clean_authors``;
- boilerplate: characters and paragraphs removed, by kind, and their share of the content;
- ``--review N``: a deterministic random sample of N removed paragraphs (to be read by a human);
- ``--show``: every disagreement of one kind, to be reviewed.
"""
from __future__ import annotations

import argparse
import csv
import difflib
import json
import random
import re
import sys
import time
import unicodedata
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from streams.errors import BadArticle  # noqa: E402
from streams.parse.article import parse_article  # noqa: E402
from streams.parse.authors import clean_authors  # noqa: E402
from streams.parse.text import parse_scraped_text  # noqa: E402
from streams.records import RawArticle  # noqa: E402

DEFAULT_CSV = REPO / ".." / "shared" / "data" / "fakenewscorpus_sample.csv"
FUZZY = 0.9
_QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "\u00a0": " "})


def normalise(text: str | None) -> str:
    """Casefolded words, quotes and dashes unified, punctuation dropped: the key titles are compared on."""
    text = unicodedata.normalize("NFKC", text or "").translate(_QUOTES).casefold()
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


def token_set_ratio(a: str, b: str) -> float:
    """fuzzywuzzy's token-set ratio with difflib: 1.0 when one title's words are a subset of the other's."""
    ta, tb = set(normalise(a).split()), set(normalise(b).split())
    if not ta or not tb:
        return 0.0
    common = " ".join(sorted(ta & tb))
    rest_a = (common + " " + " ".join(sorted(ta - tb))).strip()
    rest_b = (common + " " + " ".join(sorted(tb - ta))).strip()
    return max(difflib.SequenceMatcher(None, x, y).ratio() for x, y in
               ((common, rest_a), (common, rest_b), (rest_a, rest_b)) if x and y)


def load_rows(path: Path) -> list[dict[str, str]]:
    csv.field_size_limit(1 << 30)
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def evaluate(rows: list[dict[str, str]]) -> dict:
    per_row = []
    started = time.perf_counter()
    for i, row in enumerate(rows):
        content = row["content"]
        parts = parse_scraped_text(content)
        try:
            art = parse_article(RawArticle(format="text", text=content), ingested_at=0.0)
            art_title, art_authors, art_flags, dlq = art.title, art.authors, art.flags, None
        except BadArticle as e:
            art_title, art_authors, art_flags, dlq = None, [], [], e.reason
        per_row.append({"row": i, "domain": row["domain"], "csv_title": row["title"], "csv_authors": row["authors"],
                        "title": parts.title, "authors": parts.authors, "published_at": parts.published_at,
                        "article_title": art_title, "article_authors": art_authors, "flags": art_flags, "dlq": dlq,
                        "content_chars": len(content), "removed": parts.removed, "dropped": parts.dropped,
                        "kept_chars": sum(len(p) for p in parts.paragraphs), "content": content})
    seconds = time.perf_counter() - started
    return {"rows": per_row, "seconds": seconds}


def title_report(rows: list[dict]) -> dict:
    n = len(rows)
    exact = fuzzy = none = in_content = in_content_exact = in_content_fuzzy = same_as_stage = 0
    for r in rows:
        ours, theirs = r["title"], r["csv_title"]
        same_as_stage += ours == r["article_title"]
        none += ours is None
        e = ours is not None and normalise(ours) == normalise(theirs)
        f = ours is not None and token_set_ratio(ours, theirs) >= FUZZY
        exact += e
        fuzzy += f
        r["title_exact"], r["title_fuzzy"] = e, f
        occurs = bool(normalise(theirs)) and normalise(theirs) in normalise(r["content"])
        r["csv_title_in_content"] = occurs
        in_content += occurs
        in_content_exact += occurs and e
        in_content_fuzzy += occurs and f
    return {"rows": n, "exact": exact, "fuzzy": fuzzy, "no_title": none, "csv_title_in_content": in_content,
            "exact_where_csv_title_in_content": in_content_exact,
            "fuzzy_where_csv_title_in_content": in_content_fuzzy, "same_in_parse_article": same_as_stage}


# The older extractor appended canadafreepress.com's tagline to every author list of that site.
CSV_AUTHOR_NOISE = ("Because Without America, There Is No Free World.",)


def _name_key(names: list[str]) -> set[str]:
    return {normalise(n) for n in names if normalise(n)}


def csv_author_names(raw: str) -> list[str]:
    """The CSV ``authors`` value as person names: its known noise removed, then our own ``clean_authors``."""
    for noise in CSV_AUTHOR_NOISE:
        raw = raw.replace(noise, "")
    return clean_authors([a for a in raw.split(",")], min_words=2)


def authors_report(rows: list[dict]) -> dict:
    c = Counter()
    for r in rows:
        ours = _name_key(r["authors"])
        raw = r["csv_authors"].strip()
        raw_names = _name_key([a for a in raw.split(",") if a.strip()]) if raw else set()
        cleaned = _name_key(csv_author_names(raw))
        in_content = {n for n in cleaned if n in normalise(r["content"])}
        c["rows"] += 1
        c["csv_nonempty"] += bool(raw)
        c["csv_person"] += bool(cleaned)
        c["ours_nonempty"] += bool(ours)
        c["exact_vs_raw_csv"] += bool(ours) and ours == raw_names
        if ours and ours == cleaned:
            verdict = "agree"
        elif not ours and not cleaned:
            verdict = "both_empty"
        elif ours and not cleaned:
            verdict = "ours_only"
        elif not ours:
            verdict = "csv_only_name_in_content" if in_content else "csv_only_name_not_in_content"
        elif ours & cleaned:
            verdict = "overlap"
        else:
            verdict = "differ"
        c[verdict] += 1
        c["csv_person_name_in_content"] += bool(in_content)
        r["csv_authors_cleaned"] = sorted(cleaned)
        r["authors_verdict"] = verdict
        r["authors_agree"] = verdict in ("agree", "both_empty")
    return dict(c)


def removed_report(rows: list[dict]) -> dict:
    chars, paras = Counter(), Counter()
    for r in rows:
        for kind, p in r["dropped"]:
            chars[kind] += len(p)
            paras[kind] += 1
    total = sum(r["content_chars"] for r in rows)
    kept = sum(r["kept_chars"] for r in rows)
    rows_with = Counter(kind for r in rows for kind in r["removed"])
    return {"content_chars": total, "kept_chars": kept, "removed_chars": sum(chars.values()),
            "removed_share": round(sum(chars.values()) / max(total, 1), 4),
            "by_kind": {k: {"paragraphs": paras[k], "chars": chars[k], "rows": rows_with[k],
                            "share": round(chars[k] / max(total, 1), 4)} for k, _ in chars.most_common()},
            "dlq": Counter(r["dlq"] for r in rows if r["dlq"])}


def print_report(result: dict, review: int, seed: int, show: str | None) -> None:
    rows = result["rows"]
    t, a, rm = title_report(rows), authors_report(rows), removed_report(rows)
    n = len(rows)

    def pct(k: int, d: int = n) -> str:
        return f"{k}/{d} ({100 * k / max(d, 1):.1f}%)"

    print(f"rows: {n}   parse time: {result['seconds']:.2f} s (both parsers, noisy shared machine)")
    print("\n## title vs CSV `title`")
    print(f"  exact (normalised):      {pct(t['exact'])}")
    print(f"  fuzzy (token set >= {FUZZY}): {pct(t['fuzzy'])}")
    print(f"  no title given:          {pct(t['no_title'])}")
    print(f"  CSV title occurs in content: {pct(t['csv_title_in_content'])}; among those, exact "
          f"{pct(t['exact_where_csv_title_in_content'], t['csv_title_in_content'])}, fuzzy "
          f"{pct(t['fuzzy_where_csv_title_in_content'], t['csv_title_in_content'])}")
    print(f"  parse_article gives the same title: {pct(t['same_in_parse_article'])}")
    print("\n## authors vs CSV `authors` (a reference, not gold)")
    print(f"  CSV non-empty {pct(a['csv_nonempty'])}, of which person names (cleaned) {pct(a['csv_person'])}; "
          f"ours non-empty {pct(a['ours_nonempty'])}")
    print(f"  a CSV person name occurs in the content at all: {pct(a['csv_person_name_in_content'])}")
    print(f"  same names as the raw CSV value:      {pct(a['exact_vs_raw_csv'])}")
    print(f"  same names as the cleaned CSV value:  {pct(a.get('agree', 0))}; both empty {pct(a.get('both_empty', 0))}")
    print(f"  partly the same (>= 1 name shared):   {pct(a.get('overlap', 0))}")
    print(f"  ours only {a.get('ours_only', 0)}; CSV only, name in content {a.get('csv_only_name_in_content', 0)}, "
          f"not in content {a.get('csv_only_name_not_in_content', 0)}; both but different {a.get('differ', 0)}")
    print("\n## removed as boilerplate")
    print(f"  content {rm['content_chars']:,} chars, kept {rm['kept_chars']:,}, removed {rm['removed_chars']:,} "
          f"({100 * rm['removed_share']:.1f}%)")
    print(f"  {'kind':<18}{'paragraphs':>11}{'chars':>9}{'share':>8}{'rows':>6}")
    for kind, v in rm["by_kind"].items():
        print(f"  {kind:<18}{v['paragraphs']:>11}{v['chars']:>9}{100 * v['share']:>7.2f}%{v['rows']:>6}")
    if rm["dlq"]:
        print(f"  dead-lettered by parse_article: {dict(rm['dlq'])}")
    if review:
        dropped = [(r["row"], kind, p) for r in rows for kind, p in r["dropped"]]
        # one of each distinct paragraph, so the sample is not 40 copies of the same injected headline
        seen, distinct = set(), []
        for row, kind, p in dropped:
            if (kind, p) not in seen:
                seen.add((kind, p))
                distinct.append((row, kind, p))
        sample = sorted(random.Random(seed).sample(distinct, min(review, len(distinct))))
        print(f"\n## review sample: {len(sample)} of {len(distinct)} distinct removed paragraphs (seed {seed})")
        for row, kind, p in sample:
            print(f"  [{row:>3}] {kind:<16} {p[:160]!r}")
    if show == "title":
        print("\n## title disagreements (not fuzzy)")
        for r in rows:
            if not r["title_fuzzy"]:
                print(f"  [{r['row']:>3}] {r['domain'][:18]:<18} ours={r['title']!r:.90}\n{'':26}csv ={r['csv_title']!r:.90}"
                      f"  in_content={r['csv_title_in_content']}")
    if show == "authors":
        print("\n## author disagreements")
        for r in rows:
            if not r["authors_agree"]:
                print(f"  [{r['row']:>3}] {r['authors_verdict'][:14]:<14} {r['domain'][:18]:<18} ours={r['authors']} "
                      f"csv={r['csv_authors'][:70]!r}")
    if show == "removed":
        for r in rows:
            for kind, p in r["dropped"]:
                print(f"  [{r['row']:>3}] {kind:<16} {p[:150]!r}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--csv", type=Path, default=DEFAULT_CSV)
    ap.add_argument("--review", type=int, default=0, help="print a random sample of N removed paragraphs")
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--show", choices=("title", "authors", "removed"))
    ap.add_argument("--json", action="store_true", help="the summary figures as JSON")
    args = ap.parse_args(argv)
    result = evaluate(load_rows(args.csv))
    if args.json:
        rows = result["rows"]
        print(json.dumps({"title": title_report(rows), "authors": authors_report(rows),
                          "removed": removed_report(rows)}, indent=1, default=str))
        return 0
    print_report(result, args.review, args.seed, args.show)
    return 0


if __name__ == "__main__":
    sys.exit(main())
