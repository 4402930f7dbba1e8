"""Places: gazetteer resolution with article context, and the dictionary tagger."""
import time
from pathlib import Path

import pytest

from streams.enrich.places import find_place_mentions, great_circle_km, resolve_places

SEED = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "seed_article.txt"


def gpe(*names, label="GPE"):
    return [{"text": n, "label": label, "count": 1} for n in names]


def by_mention(locations):
    return {surface: loc for loc in locations for surface in loc["mentions"]}


def near(loc, lat, lon, km):
    return great_circle_km(loc["lat"], loc["lon"], lat, lon) <= km


@pytest.fixture(scope="module")
def seed_text():
    if not SEED.exists():
        pytest.skip("shared seed article not available")
    return SEED.read_text(encoding="utf-8")


def test_seed_places_resolve_to_syria_and_russia(seed_text):
    mentions = gpe("Syria", "Idlib", "Saraqeb", "Damascus", "Moscow", "Sochi", "Russia", "US") + gpe(
        "Russian", "Syrian", label="NORP")
    found = by_mention(resolve_places(mentions, seed_text))
    assert found["Idlib"]["country_code"] == "SY" and near(found["Idlib"], 35.93, 36.63, 60)
    assert found["Saraqeb"]["country_code"] == "SY" and near(found["Saraqeb"], 35.86, 36.81, 10)
    assert found["Saraqeb"]["name"].replace("ā", "a") == "Saraqib"
    assert found["Damascus"]["country_code"] == "SY" and near(found["Damascus"], 33.51, 36.29, 15)
    assert found["Moscow"]["country_code"] == "RU" and near(found["Moscow"], 55.75, 37.62, 25)
    assert found["Sochi"]["country_code"] == "RU" and near(found["Sochi"], 43.60, 39.72, 25)
    assert found["Syria"]["geonameid"] == 163843 and found["Russia"]["geonameid"] == 2017370
    assert "Russian" not in found and "Syrian" not in found  # demonyms are evidence, not locations


def test_tagger_finds_the_seed_places_and_they_resolve(seed_text):
    mentions = find_place_mentions(seed_text)
    surfaces = {m["text"] for m in mentions if m["label"] == "GPE"}
    assert {"Syria", "Idlib", "Saraqeb", "Damascus", "Moscow", "Sochi", "Russia"} <= surfaces
    located = resolve_places(mentions, seed_text)
    names = {loc["mentions"][0]: loc for loc in located}
    for name in ("Idlib", "Saraqeb", "Damascus"):
        assert names[name]["country_code"] == "SY"
    assert names["Moscow"]["country_code"] == names["Sochi"]["country_code"] == "RU"


def test_output_shape_counts_and_order():
    located = resolve_places([{"text": "Paris", "label": "GPE", "count": 3},
                              {"text": "France", "label": "GPE", "count": 1},
                              {"text": "Paris", "label": "LOC", "count": 2}], "")
    assert [loc["name"] for loc in located] == ["Paris", "France"]
    paris = located[0]
    assert set(paris) == {"name", "country_code", "lat", "lon", "geonameid", "count", "mentions"}
    assert paris["count"] == 5 and paris["country_code"] == "FR" and paris["mentions"] == ["Paris"]
    assert isinstance(paris["geonameid"], int) and isinstance(paris["lat"], float)


@pytest.mark.parametrize("name, context, country, lat, lon", [
    ("Paris", ["Texas", "Dallas"], "US", 33.66, -95.56),
    ("Paris", ["Louvre"], "FR", 48.85, 2.35),
    ("London", ["Ontario", "Toronto"], "CA", 42.98, -81.23),
    ("London", [], "GB", 51.51, -0.13),
    ("Tripoli", ["Lebanon", "Beirut"], "LB", 34.44, 35.85),
    ("Tripoli", ["Libya"], "LY", 32.89, 13.19),
    ("Damascus", [], "SY", 33.51, 36.29),
    ("Moscow", [], "RU", 55.75, 37.62),
    ("Moscow", ["Idaho", "Boise"], "US", 46.73, -117.0),
])
def test_context_disambiguates(name, context, country, lat, lon):
    loc = by_mention(resolve_places(gpe(name, *context), " ".join([name, *context])))[name]
    assert loc["country_code"] == country and near(loc, lat, lon, 50)


def test_demonyms_steer_but_are_not_emitted():
    located = resolve_places(gpe("Tripoli") + gpe("Lebanese", label="NORP"), "Lebanese troops in Tripoli")
    assert [loc["country_code"] for loc in located] == ["LB"]


@pytest.mark.parametrize("spelling", ["Saraqeb", "Saraqib", "Sarāqib", "SARAQIB", "Saraqeeb"])
def test_alternate_and_transliterated_spellings(spelling):
    loc = by_mention(resolve_places(gpe(spelling, "Syria")))[spelling]
    assert loc["geonameid"] == 164816


@pytest.mark.parametrize("surface, code, geonameid", [
    ("Syria", "SY", 163843), ("the United States", "US", 6252001), ("U.S.", "US", 6252001),
    ("UK", "GB", 2635167), ("Britain", "GB", 2635167), ("Russia's", "RU", 2017370), ("Germany", "DE", 2921044),
])
def test_countries_and_their_common_names(surface, code, geonameid):
    (loc,) = resolve_places(gpe(surface))
    assert loc["country_code"] == code and loc["geonameid"] == geonameid


def test_countries_have_centre_coordinates():
    (syria,) = resolve_places(gpe("Syria"))
    assert near(syria, 35.0, 38.0, 200)


def test_first_level_regions():
    ohio = by_mention(resolve_places(gpe("Ohio")))["Ohio"]
    assert ohio["country_code"] == "US" and ohio["geonameid"] == 5165418 and near(ohio, 40.3, -82.8, 150)
    idlib = by_mention(resolve_places(gpe("Idlib province")))["Idlib province"]
    assert idlib["country_code"] == "SY" and near(idlib, 35.8, 36.6, 60)
    ky = by_mention(resolve_places(gpe("Ky.")))["Ky."]
    assert ky["country_code"] == "US" and ky["name"] == "Kentucky"


def test_region_cue_in_text_picks_region_over_same_named_city():
    city = resolve_places(gpe("Idlib"), "Fighting in Idlib.")[0]
    region = resolve_places(gpe("Idlib"), "Fighting in the province of Idlib.")[0]
    assert city["geonameid"] == 169389 and region["geonameid"] != 169389


def test_empty_input():
    assert resolve_places([]) == []
    assert resolve_places([], "") == []
    assert find_place_mentions("") == []


@pytest.mark.parametrize("junk", [
    [{"text": "", "label": "GPE", "count": 1}], [{"text": "!!!", "label": "GPE", "count": 1}],
    [{"text": "12345", "label": "GPE"}], [{"text": None, "label": "GPE"}], [{"label": "GPE"}], ["Paris"],
    [{"text": "Xqzvbnmwk", "label": "GPE", "count": 1}], [{"text": "Paris", "label": "PERSON", "count": 1}],
    [{"text": "Paris", "label": "GPE", "count": "many"}],
])
def test_junk_mentions_do_not_crash(junk):
    located = resolve_places(junk, "some text")
    assert all(loc["name"] == "Paris" for loc in located)


def test_norp_only_is_no_location():
    assert resolve_places(gpe("Russian", "Syrian", label="NORP")) == []


def test_tagger_skips_common_words_and_person_names():
    text = ("Mobile phones are nice. Reading the Police report, Victor Meyer said Hope and Mission matter. "
            "George Washington met Michael Jordan on Saturday. SANA and NATO reported. We saw US troops.")
    tagged = {m["text"] for m in find_place_mentions(text)}
    assert tagged == {"US"}


def test_tagger_prefers_longest_match_and_counts():
    tagged = find_place_mentions("New York is busy. In New York, Rio de Janeiro and Saudi Arabia met.")
    assert {m["text"]: m["count"] for m in tagged} == {"New York": 2, "Rio de Janeiro": 1, "Saudi Arabia": 1}
    assert all(m["label"] == "GPE" for m in tagged)


def test_tagger_reports_demonyms_as_norp():
    tagged = find_place_mentions("Syrian and Russian forces")
    assert {(m["text"], m["label"]) for m in tagged} == {("Syrian", "NORP"), ("Russian", "NORP")}


def test_tagger_is_fast():
    find_place_mentions("Warm up in Paris.")
    text = ("The minister flew from Berlin to Warsaw on Tuesday, then met officials in Kyiv and Lviv before "
            "returning to Brussels, where the European Commission said talks would resume. ") * 30
    assert len(text) > 5000
    start = time.perf_counter()
    for _ in range(10):
        find_place_mentions(text)
    assert (time.perf_counter() - start) / 10 < 0.02  # ~2-5 ms here; generous for a shared CI machine
