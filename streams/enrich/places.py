"""Places: find place names in text and resolve them to GeoNames entries with coordinates.

Pure functions over mentions and text; the gazetteer (streams/data/gazetteer/, built by
scripts/build_gazetteer.py) is loaded lazily once per process.

- ``resolve_places(mentions, text)`` turns NER mentions ({"text", "label", "count"}) into locations
  ({"name", "country_code", "lat", "lon", "geonameid", "count", "mentions"}), using the article's own
  countries, regions and demonyms as context, then population and feature rank.
- ``find_place_mentions(text)`` is a conservative dictionary tagger for the fast mode (no neural NER).

Demonyms ("Syrian", "Russian", label NORP) are evidence for their country but are not emitted as
locations: "Russian jet" says whose jet, not where something happened.
"""
from __future__ import annotations

import csv
import gzip
import math
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parents[1] / "data" / "gazetteer"

# --- every threshold and weight, in one place ------------------------------------------------------
PLACE_LABELS = frozenset({"GPE", "LOC", "FAC"})
KIND_BONUS = {"K": 2.0, "C": 2.0, "R": -0.3, "P": 0.0}  # continents and countries outrank same-named towns
FEATURE_BONUS = {"PPLC": 1.0, "PPLA": 0.3, "PPLX": -1.0}  # capitals up, city districts down
ALTERNATE_PENALTY = 0.7      # matched through an alternate name rather than the GeoNames name
WEAK_PENALTY = 1.5           # matched through a region's short form ("Moscow" for "Moscow Oblast")
SKELETON_PENALTY = 1.2       # matched only after transliteration folding ("Saraqeb" ~ "Saraqib")
REGION_CUE_BONUS = 2.5       # "Idlib province", "province of Idlib": the region is meant
COUNTRY_CONTEXT_BONUS = 3.0  # candidate lies in the article's dominant country (scaled by its share)
REGION_CONTEXT_BONUS = 1.5   # candidate lies in a first-level region the article names
NEAR_CONTEXT_BONUS = 0.8     # candidate lies near another place the article resolves unambiguously
NEAR_KM = 150.0
DEMONYM_WEIGHT = 0.5         # a demonym is half the evidence of naming the country
MIN_SKELETON_LEN = 5         # transliteration folding only for names at least this long
ORG_MIN_POPULATION = 50_000  # an ORG-labelled mention resolves only to countries, regions or big places
TAGGER_MAX_TOKENS = 5
TAGGER_MIN_POP_SINGLE = 5_000    # one-word names from the tagger need a place this big
TAGGER_MIN_POP_MULTI = 1_000
TAGGER_MIN_POP_ALTERNATE = 15_000  # alternate names only for places this big (or countries/regions)
REGION_CUE_WORDS = ("province", "governorate", "region", "state", "oblast", "county", "district",
                    "prefecture", "department", "territory", "krai")
CONNECTOR_WORDS = frozenset({"of", "de", "del", "la", "le", "upon", "on", "the", "da", "do", "dos", "das", "al", "el"})
COUNTRY_ABBREVIATIONS = frozenset({"us", "usa", "uk", "uae", "drc"})

_LETTER_MAP = str.maketrans({"ı": "i", "ø": "o", "æ": "ae", "œ": "oe", "ß": "ss", "đ": "d", "ł": "l",
                             "þ": "th", "ð": "d", "ħ": "h"})
_DROP_CHARS = str.maketrans({c: "" for c in "'’ʼʻ`´‘.\""})
_SPACE_CHARS = str.maketrans({c: " " for c in "-–—_/,()"})
_ARABIC_ARTICLES = ("al ", "el ", "ad ", "ar ", "as ", "an ", "ash ", "az ", "at ", "ad ")
_SKELETON_RULES = (("sch", "sh"), ("tch", "ch"), ("dj", "j"), ("ou", "u"), ("ph", "f"), ("kh", "k"), ("ck", "k"))
_SKELETON_LETTERS = str.maketrans({"q": "k", "e": "i", "o": "u", "y": "i", "w": "v", " ": None})
_DOUBLED_RE = re.compile(r"(.)\1+")
_TOKEN_RE = re.compile(r"\w+(?:['’.]\w+)*")


@dataclass(frozen=True, slots=True)
class Place:
    geonameid: int
    name: str
    kind: str          # K continent, C country, R first-level region, P populated place
    country_code: str
    admin1: str
    feature_code: str
    lat: float
    lon: float
    population: int


@lru_cache(maxsize=200_000)
def normalise_name(name: str) -> str:
    """Lower-case, accent-folded, punctuation-free form of a place name ("Sarāqib" -> "saraqib")."""
    folded = unicodedata.normalize("NFKD", name.lower().translate(_LETTER_MAP))
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    folded = " ".join(folded.translate(_DROP_CHARS).translate(_SPACE_CHARS).split())
    if folded.startswith("st "):
        folded = "saint " + folded[3:]
    elif folded.startswith("mt "):
        folded = "mount " + folded[3:]
    return folded


def transliteration_skeleton(normalised: str) -> str:
    """Fold common romanisation variants together ("saraqeb", "saraqib" -> "sarakib"); for fallback matching."""
    s = normalised
    for article in _ARABIC_ARTICLES:
        if s.startswith(article):
            s = s[len(article):]
            break
    for old, new in _SKELETON_RULES:
        if old in s:
            s = s.replace(old, new)
    return _DOUBLED_RE.sub(r"\1", s.translate(_SKELETON_LETTERS))


@dataclass(slots=True)
class Gazetteer:
    places: list[Place]
    by_name: dict[str, list[tuple[int, int]]]   # normalised name -> [(place index, match kind)]
    demonyms: dict[str, str]                     # normalised demonym -> country code
    country_index: dict[str, int]                # country code -> place index of the country
    stopnames: dict[str, str]                    # normalised name -> "word" | "first"


MATCH_NAME, MATCH_ALTERNATE, MATCH_WEAK = 0, 1, 2


@lru_cache(maxsize=1)
def load_gazetteer() -> Gazetteer:
    """Read the shipped gazetteer files once per process (names ship normalised: no per-name work here)."""
    places: list[Place] = []
    by_name: dict[str, list[tuple[int, int]]] = {}
    with gzip.open(DATA_DIR / "places.tsv.gz", "rt", encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE, escapechar="\\")
        next(reader)
        for gid, name, kind, cc, a1, fcode, lat, lon, pop, keys, weak in reader:
            idx = len(places)
            places.append(Place(int(gid), name, kind, cc, a1, fcode, float(lat), float(lon), int(pop)))
            how = MATCH_NAME
            for key in keys.split("|"):
                by_name.setdefault(key, []).append((idx, how))
                how = MATCH_ALTERNATE
            if weak:
                for key in weak.split("|"):
                    by_name.setdefault(key, []).append((idx, MATCH_WEAK))
    demonyms = {}
    with open(DATA_DIR / "demonyms.tsv", encoding="utf-8") as fh:
        next(fh)
        for line in fh:
            word, cc = line.rstrip("\n").split("\t")
            demonyms[normalise_name(word)] = cc
            demonyms.setdefault(normalise_name(word) + "s", cc)  # "Syrians"
    with gzip.open(DATA_DIR / "stopnames.tsv.gz", "rt", encoding="utf-8") as fh:
        stopnames = dict(line.rstrip("\n").split("\t") for line in fh)
    country_index = {p.country_code: i for i, p in enumerate(places) if p.kind == "C"}
    return Gazetteer(places, by_name, demonyms, country_index, stopnames)


@lru_cache(maxsize=1)
def _skeleton_index() -> dict[str, list[int]]:
    """Transliteration skeleton -> place indices; built on the first name that has no exact match."""
    index: dict[str, list[int]] = {}
    for key, entries in load_gazetteer().by_name.items():
        if len(key) >= MIN_SKELETON_LEN:
            # own names only: alternate names are already spelling variants, and folding them too is slow
            indices = [idx for idx, how in entries if how == MATCH_NAME]
            if indices:
                index.setdefault(transliteration_skeleton(key), []).extend(indices)
    return index


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance in km (Earth radius 6,371 km)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 12742.0 * math.asin(math.sqrt(min(1.0, h)))


# --- resolution -----------------------------------------------------------------------------------

@dataclass(slots=True)
class _Mention:
    surface: str
    key: str
    label: str
    count: int
    region_cue: bool
    candidates: list[tuple[int, float]]  # (place index, prior score)


def _strip_surface(surface: str) -> tuple[str, bool]:
    """Drop "the", possessive "'s" and a trailing region word; report whether a region word was there."""
    s = surface.strip().strip(".,;:!?\"“”")
    for suffix in ("'s", "’s"):
        if s.endswith(suffix):
            s = s[: -len(suffix)]
    if s.lower().startswith("the "):
        s = s[4:]
    words = s.split()
    cue = False
    if len(words) > 1 and words[-1].lower() in REGION_CUE_WORDS:
        s, cue = " ".join(words[:-1]), True
    elif len(words) > 2 and words[0].lower() in REGION_CUE_WORDS and words[1].lower() == "of":
        s, cue = " ".join(words[2:]), True
    return s, cue


def _region_cue_in_text(surface: str, lowered_text: str) -> bool:
    """True when the text calls this name a province/state/region ("Idlib province", "province of Idlib")."""
    name = surface.lower()
    for word in REGION_CUE_WORDS:
        if f"{name} {word}" in lowered_text or f"{word} of {name}" in lowered_text:
            return True
    return False


def _prior(place: Place, how: int, region_cue: bool) -> float:
    score = math.log10(place.population + 10) + KIND_BONUS[place.kind] + FEATURE_BONUS.get(place.feature_code, 0.0)
    if how == MATCH_ALTERNATE and place.kind != "C":
        score -= ALTERNATE_PENALTY
    elif how == MATCH_WEAK and not region_cue:
        score -= WEAK_PENALTY
    if region_cue and place.kind == "R":
        score += REGION_CUE_BONUS
    return score


def _candidates(gaz: Gazetteer, key: str, label: str, region_cue: bool) -> list[tuple[int, float]]:
    entries = gaz.by_name.get(key, [])
    scored: dict[int, float] = {}
    for idx, how in entries:
        scored[idx] = max(scored.get(idx, -1e9), _prior(gaz.places[idx], how, region_cue))
    if not scored and label != "ORG" and len(key) >= MIN_SKELETON_LEN:
        for idx in _skeleton_index().get(transliteration_skeleton(key), []):
            scored[idx] = max(scored.get(idx, -1e9), _prior(gaz.places[idx], MATCH_ALTERNATE, region_cue) - SKELETON_PENALTY)
    if label == "ORG":
        scored = {i: s for i, s in scored.items()
                  if gaz.places[i].kind != "P" or gaz.places[i].population >= ORG_MIN_POPULATION}
    if region_cue:  # "Idlib province": only regions if any region matches
        regions = {i: s for i, s in scored.items() if gaz.places[i].kind == "R"}
        scored = regions or scored
    else:  # a region named like a city inside it ("Moscow", "Idlib") means the city unless cued
        cities = {(gaz.places[i].country_code, gaz.places[i].admin1) for i in scored if gaz.places[i].kind == "P"}
        scored = {i: s for i, s in scored.items()
                  if gaz.places[i].kind != "R" or (gaz.places[i].country_code, gaz.places[i].admin1) not in cities}
    return sorted(scored.items(), key=lambda kv: -kv[1])


def _parse_mentions(gaz: Gazetteer, mentions: list[dict], text: str) -> tuple[list[_Mention], dict[str, float]]:
    lowered_text = text.lower()
    parsed: list[_Mention] = []
    demonym_evidence: dict[str, float] = defaultdict(float)
    for m in mentions or []:
        if not isinstance(m, dict) or not isinstance(m.get("text"), str):
            continue
        label = str(m.get("label") or "GPE").upper()
        try:
            count = max(1, int(m.get("count") or 1))
        except (TypeError, ValueError):
            count = 1
        surface, cue = _strip_surface(m["text"])
        key = normalise_name(surface)
        if not key or not any(ch.isalpha() for ch in key):
            continue
        if label == "NORP" or key in gaz.demonyms:  # "Canadian" is Canada's, not Canadian, Texas
            if key in gaz.demonyms:
                demonym_evidence[gaz.demonyms[key]] += DEMONYM_WEIGHT * count
            continue
        if label not in PLACE_LABELS and label != "ORG":
            continue
        cue = cue or _region_cue_in_text(surface, lowered_text)
        cands = _candidates(gaz, key, label, cue)
        if cands:
            parsed.append(_Mention(m["text"], key, label, count, cue, cands))
    return parsed, demonym_evidence


def _first_choice_evidence(gaz: Gazetteer, m: _Mention) -> tuple[str, float]:
    """The country a mention's first-choice reading votes for, and how strongly."""
    best_idx, best = m.candidates[0]
    place = gaz.places[best_idx]
    runner_up = m.candidates[1][1] if len(m.candidates) > 1 else -1e9
    weight = m.count if place.kind in "CR" or best - runner_up >= 1.0 else 0.3 * m.count
    return place.country_code, weight


def _context(gaz: Gazetteer, parsed: list[_Mention], demonyms: dict[str, float]):
    """Country evidence, named regions and anchor points from the mentions' first-choice readings."""
    countries: dict[str, float] = defaultdict(float, demonyms)
    regions: set[tuple[str, str]] = set()
    anchors: list[tuple[str, float, float]] = []
    for m in parsed:
        cc, weight = _first_choice_evidence(gaz, m)
        if cc:
            countries[cc] += weight
        best_idx, best = m.candidates[0]
        place = gaz.places[best_idx]
        if place.kind == "R":
            regions.add((place.country_code, place.admin1))
        runner_up = m.candidates[1][1] if len(m.candidates) > 1 else -1e9
        if best - runner_up >= 1.0 and place.kind == "P":
            anchors.append((m.key, place.lat, place.lon))
    return countries, regions, anchors


def _country_shares(countries: dict[str, float], own_cc: str, own_weight: float) -> dict[str, float]:
    """Each country's evidence relative to the strongest, leaving out the mention's own vote."""
    evidence = dict(countries)
    if own_cc:
        evidence[own_cc] = evidence.get(own_cc, 0.0) - own_weight
    top = max(evidence.values(), default=0.0)
    return {cc: v / top for cc, v in evidence.items() if v > 0} if top > 0 else {}


def resolve_places(mentions: list[dict], text: str = "") -> list[dict]:
    """Resolve NER place mentions to GeoNames places, one entry per place, most mentioned first.

    mentions: [{"text": "Damascus", "label": "GPE"|"LOC"|"FAC"|"NORP"|"ORG", "count": 2}, ...]
    returns:  [{"name", "country_code", "lat", "lon", "geonameid", "count", "mentions": [surface forms]}]
    """
    gaz = load_gazetteer()
    parsed, demonyms = _parse_mentions(gaz, mentions, text or "")
    if not parsed:
        return []
    countries, regions, anchors = _context(gaz, parsed, demonyms)
    located: dict[int, dict] = {}
    for m in parsed:
        shares = _country_shares(countries, *_first_choice_evidence(gaz, m))
        best_idx, best_score = None, -1e9
        for idx, prior in m.candidates:
            place = gaz.places[idx]
            score = prior
            if place.kind in "RP":
                score += COUNTRY_CONTEXT_BONUS * shares.get(place.country_code, 0.0)
            if place.kind == "P" and (place.country_code, place.admin1) in regions:
                score += REGION_CONTEXT_BONUS
            if place.kind == "P" and any(key != m.key and great_circle_km(place.lat, place.lon, lat, lon) <= NEAR_KM
                                         for key, lat, lon in anchors):
                score += NEAR_CONTEXT_BONUS
            if score > best_score:
                best_idx, best_score = idx, score
        place = gaz.places[best_idx]
        entry = located.setdefault(place.geonameid, {
            "name": place.name, "country_code": place.country_code, "lat": place.lat, "lon": place.lon,
            "geonameid": place.geonameid, "count": 0, "mentions": []})
        entry["count"] += m.count
        if m.surface not in entry["mentions"]:
            entry["mentions"].append(m.surface)
    return sorted(located.values(), key=lambda e: (-e["count"], e["name"]))


# --- dictionary tagger (fast mode) ----------------------------------------------------------------

@lru_cache(maxsize=1)
def _tagger_names() -> frozenset[str]:
    """Normalised names the tagger may tag: big enough places, no common words or first names."""
    gaz = load_gazetteer()
    allowed = set()
    for key, entries in gaz.by_name.items():
        multiword = " " in key
        for idx, how in entries:
            p = gaz.places[idx]
            if p.kind in "KCR":
                ok = how != MATCH_WEAK or multiword or gaz.stopnames.get(key) is None
            else:
                min_pop = TAGGER_MIN_POP_MULTI if multiword else TAGGER_MIN_POP_SINGLE
                if how != MATCH_NAME:
                    min_pop = max(min_pop, TAGGER_MIN_POP_ALTERNATE)
                ok = p.population >= min_pop and (multiword or key not in gaz.stopnames)
            if ok:
                allowed.add(key)
                break
    return frozenset(allowed)


def _is_capitalised(token: str) -> bool:
    return token[:1].isupper()


def find_place_mentions(text: str) -> list[dict]:
    """Tag place names and country demonyms in text with the gazetteer alone (no neural model).

    Conservative: capitalised names only, longest match first, skipping common English words, first names
    and words right after a first name ("George Washington"). Returns mentions shaped like NER output:
    [{"text": surface, "label": "GPE" (places) | "NORP" (demonyms), "count": n}].
    """
    if not text or not isinstance(text, str):
        return []
    gaz = load_gazetteer()
    names = _tagger_names()
    tokens = [(m.start(), m.end(), m.group()) for m in _TOKEN_RE.finditer(text)]
    counts: dict[tuple[str, str], int] = defaultdict(int)
    i, n = 0, len(tokens)
    while i < n:
        start, end, tok = tokens[i]
        if not _is_capitalised(tok) or tok[0].isdigit():
            i += 1
            continue
        prev_first = i > 0 and _is_capitalised(tokens[i - 1][2]) and gaz.stopnames.get(
            tokens[i - 1][2].lower()) == "first" and text[tokens[i - 1][1]:start] == " "
        matched = 0
        # Candidate spans: tokens joined by a single space or hyphen, connectors allowed inside.
        j = i
        while j < n and j - i < TAGGER_MAX_TOKENS:
            if j > i:
                gap = text[tokens[j - 1][1]:tokens[j][0]]
                if gap not in (" ", "-"):
                    break
                if not _is_capitalised(tokens[j][2]) and tokens[j][2].lower() not in CONNECTOR_WORDS:
                    break
            j += 1
        for k in range(j, i, -1):
            last = tokens[k - 1][2]
            if not _is_capitalised(last):
                continue
            surface = text[start:tokens[k - 1][1]]
            bare = surface[:-2] if surface.endswith(("'s", "’s")) else surface
            key = normalise_name(bare)
            single = k == i + 1
            if single and bare.isupper() and len(bare) > 1 and key not in COUNTRY_ABBREVIATIONS:
                continue  # acronyms (SANA, NATO) are organisations, not places
            if single and bare.isupper() is False and key in COUNTRY_ABBREVIATIONS:
                continue  # "Us", "Usa" as ordinary words
            if key in names and not (single and prev_first):
                counts[(bare, "GPE")] += 1
                matched = k - i
                break
            if single and key in gaz.demonyms and not prev_first:
                counts[(bare, "NORP")] += 1
                matched = 1
                break
        if not matched:  # a two-word demonym ("South Korean") or nothing
            i += 1
        else:
            i += matched
    return [{"text": t, "label": label, "count": c} for (t, label), c in
            sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
