"""Evaluate streams.parse.html.extract_html against the plain libraries on the dev pages.

    python scripts/eval_extraction.py text  [--limit N] [--variant NAME]   # main text, snippet scoring
    python scripts/eval_extraction.py dates [--limit N] [--variant NAME]   # publication dates

Data: /work/shared/data/dev/extraction and /work/shared/data/dev/dates (see their READMEs for the
scoring rules, followed here). Runs in a process pool of 2 with a per-page timeout (SIGALRM in the
worker); a page that fails or times out counts as "returned nothing". ``--limit`` subsamples evenly.
"""

from __future__ import annotations

import argparse
import gzip
import json
import signal
import sys
import time
import zlib
from collections.abc import Callable
from multiprocessing import Pool
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DEV = REPO / ".." / "shared" / "data" / "dev"
WORKERS = 2
PAGE_TIMEOUT_S = 20

# extract_html variants tried while tuning (name -> TRAFILATURA_OPTIONS overrides / date policy)
TEXT_VARIANTS: dict[str, dict[str, Any]] = {
    "default": {},
    "precision": {"favor_precision": True},
    "recall": {"favor_recall": True},
    "no_tables": {"include_tables": False},
    "comments": {"include_comments": True},
}
DATE_VARIANTS = ("default", "htmldate_only", "original_only")


class PageTimeout(Exception):
    pass


def _raise_timeout(signum: int, frame: Any) -> None:
    raise PageTimeout


def timed(fn: Callable[[], Any]) -> tuple[Any, float, str | None]:
    """(result, seconds, error) of fn() under the per-page alarm."""
    signal.signal(signal.SIGALRM, _raise_timeout)
    signal.alarm(PAGE_TIMEOUT_S)
    start = time.perf_counter()
    try:
        return fn(), time.perf_counter() - start, None
    except PageTimeout:
        return None, time.perf_counter() - start, "timeout"
    except Exception as err:  # a failure is scored as an empty answer
        return None, time.perf_counter() - start, type(err).__name__ + ":" + str(err)[:40]
    finally:
        signal.alarm(0)


def apply_variant(task: str, variant: str) -> None:
    from streams.parse import html

    if task == "text":
        html.TRAFILATURA_OPTIONS.update(TEXT_VARIANTS[variant])
    elif variant == "htmldate_only":
        html.publication_date = lambda stated, day, plain=None, url=None: day
    elif variant == "original_only":                       # before issue 22: no cross-check with plain htmldate
        html.plain_htmldate_day = lambda tree, url: None


def load_page(folder: Path, name: str) -> bytes:
    return gzip.decompress((folder / "pages" / (name + ".gz")).read_bytes())


def run_text_page(job: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    import trafilatura

    from streams.parse.html import extract_html

    key, entry = job
    raw = load_page(DEV / "extraction", entry["file"])
    url = None if key.startswith("hard::") else key
    base, base_s, base_err = timed(lambda: trafilatura.extract(raw))
    ours, ours_s, ours_err = timed(lambda: extract_html(raw, url))
    return {"key": key, "base": base or "", "base_s": base_s, "base_err": base_err,
            "ours": (ours or {}).get("text", ""), "ours_s": ours_s, "ours_err": ours_err,
            "authors": (ours or {}).get("authors", [])}


def run_date_page(job: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    from htmldate import find_date

    from streams.parse.html import extract_html

    url, entry = job
    raw = load_page(DEV / "dates", entry["file"])
    out: dict[str, Any] = {"key": url, "gold": entry["date"]}
    # bytes, never a str: htmldate downloads a str that looks like a URL
    out["base_url"], out["base_url_s"], _ = timed(lambda: find_date(raw, url=url))
    out["base_nourl"], out["base_nourl_s"], _ = timed(lambda: find_date(raw))
    out["ours_url"], out["ours_url_s"], out["ours_url_err"] = timed(lambda: extract_html(raw, url)["published_at"])
    out["ours_nourl"], out["ours_nourl_s"], out["ours_nourl_err"] = timed(
        lambda: extract_html(raw, None)["published_at"]
    )
    return out


def squash(text: str) -> str:
    return " ".join(text.split())


def snippet_scores(results: list[dict[str, Any]], gold: dict[str, Any], system: str) -> dict[str, float]:
    tp = fn = fp = tn = 0
    for row in results:
        text = squash(row[system])
        entry = gold[row["key"]]
        for snippet in entry["with"]:
            found = bool(text) and squash(snippet) in text
            tp, fn = tp + found, fn + (not found)
        for snippet in entry["without"]:
            found = bool(text) and squash(snippet) in text
            fp, tn = fp + found, tn + (not found)
    return {
        "recall": tp / (tp + fn),
        "without_absent": tn / (tn + fp),
        "precision": tp / (tp + fp) if tp + fp else 0.0,
        "f1": 2 * tp / (2 * tp + fp + fn),
        "accuracy": (tp + tn) / (tp + fn + fp + tn),
    }


def gold_authors(entry: dict[str, Any]) -> set[str]:
    from streams.parse.authors import AUTHOR_SEPARATORS

    raw = entry.get("author") or ""
    raw = "; ".join(raw) if isinstance(raw, list) else raw
    return {" ".join(p.split()) for p in AUTHOR_SEPARATORS.split(raw) if p.strip()}


def author_scores(results: list[dict[str, Any]], gold: dict[str, Any]) -> str:
    """Exact name-set match on pages annotated with an author, and false names on pages without."""
    with_author = [r for r in results if gold_authors(gold[r["key"]])]
    without = [r for r in results if "author" in gold[r["key"]] and not gold_authors(gold[r["key"]])]
    exact = sum(1 for r in with_author if set(r["authors"]) == gold_authors(gold[r["key"]]))
    found = sum(1 for r in with_author if set(r["authors"]) & gold_authors(gold[r["key"]]))
    spurious = sum(1 for r in without if r["authors"])
    return (f"authors: exact set {exact}/{len(with_author)}, at least one right {found}/{len(with_author)}; "
            f"names given on pages annotated without author {spurious}/{len(without)}")


def bag_of_words_note(results: list[dict[str, Any]]) -> str:
    empty = {s: sum(1 for r in results if not r[s]) for s in ("base", "ours")}
    return f"pages with empty output: trafilatura.extract {empty['base']}, extract_html {empty['ours']}"


def evenly(items: list[Any], limit: int | None) -> list[Any]:
    if not limit or limit >= len(items):
        return items
    step = len(items) / limit
    return [items[int(i * step)] for i in range(limit)]


def day(value: str | None) -> str | None:
    return value[:10] if value else None


def report_text(results: list[dict[str, Any]], gold: dict[str, Any]) -> None:
    print(f"pages: {len(results)}")
    for system, label in (("base", "trafilatura.extract(html) defaults"), ("ours", "extract_html")):
        s = snippet_scores(results, gold, system)
        mean_ms = 1000 * sum(r[system + "_s"] for r in results) / len(results)
        errors = sum(1 for r in results if r[system + "_err"] and "no_main_text" not in r[system + "_err"])
        print(f"{label:38s} P={s['precision']:.3f} R={s['recall']:.3f} F1={s['f1']:.3f} "
              f"acc={s['accuracy']:.3f} without-absent={s['without_absent']:.3f} "
              f"mean={mean_ms:.0f} ms/page errors/timeouts={errors}")
    print(bag_of_words_note(results))
    print(author_scores(results, gold))


def report_dates(results: list[dict[str, Any]]) -> None:
    n = len(results)
    print(f"pages: {n}")
    for system, label in (
        ("base_nourl", "htmldate.find_date(html)"),
        ("base_url", "htmldate.find_date(html, url=url)"),
        ("ours_nourl", "extract_html(html)"),
        ("ours_url", "extract_html(html, url)"),
    ):
        right = sum(1 for r in results if day(r[system]) == r["gold"])
        dated = sum(1 for r in results if r[system])
        mean_ms = 1000 * sum(r[system + "_s"] for r in results) / n
        print(f"{label:36s} accuracy={right / n:.3f} ({right}/{n}) dated={dated} "
              f"right-when-dated={right / max(dated, 1):.3f} mean={mean_ms:.0f} ms/page")
    raised = sum(1 for r in results if r["ours_url_err"])
    print(f"extract_html raised (no date counted) on {raised} pages")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("task", choices=["text", "dates"])
    parser.add_argument("--limit", type=int, default=None, help="evenly subsample this many pages")
    parser.add_argument("--variant", default="default", help=f"text: {list(TEXT_VARIANTS)}; dates: {DATE_VARIANTS}")
    parser.add_argument("--half", choices=["all", "tune", "check"], default="all",
                        help="dates: tune = crc32(file) even, check = odd (issue 22's split; errors read on tune only)")
    parser.add_argument("--dump", type=Path, default=None, help="write per-page results as JSON lines")
    args = parser.parse_args()

    folder = DEV / ("extraction" if args.task == "text" else "dates")
    if not folder.is_dir():
        sys.exit(f"dev data not found: {folder}")
    gold = json.loads((folder / ("evaldata.json" if args.task == "text" else "eval_default.json")).read_text())
    items = sorted(gold.items())
    if args.half != "all":
        items = [(k, e) for k, e in items if (zlib.crc32(e["file"].encode()) % 2 == 0) == (args.half == "tune")]
    jobs = evenly(items, args.limit)
    worker = run_text_page if args.task == "text" else run_date_page

    start = time.perf_counter()
    with Pool(WORKERS, initializer=apply_variant, initargs=(args.task, args.variant)) as pool:
        results = pool.map(worker, jobs, chunksize=4)
    print(f"task={args.task} variant={args.variant} workers={WORKERS} page-timeout={PAGE_TIMEOUT_S}s "
          f"wall={time.perf_counter() - start:.0f}s")
    if args.dump:
        args.dump.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in results) + "\n")
    report_text(results, gold) if args.task == "text" else report_dates(results)


if __name__ == "__main__":
    main()
