"""Entity quality: the seed article's entities end to end, and one small hand-written case per news correction
of streams/enrich/entities.py (figures on CoNLL-2003 dev: docs/ENTITIES.md, scripts/eval_entities.py)."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from streams.enrich.article import find_mentions
from streams.enrich.entities import (
    Mention,
    acronym_definitions,
    clean_mentions,
    correct_in_context,
    count_entities,
    dictionary_mentions,
    ner_mentions,
    restore_case,
)
from streams.pipeline import parse_payload
from streams.settings import Pipeline

SEED = Path(__file__).resolve().parents[3] / "shared" / "data" / "seed_article.txt"


@pytest.fixture(scope="module")
def seed_body() -> str:
    if not SEED.exists():
        pytest.skip("shared seed article not available")
    return parse_payload(SEED.read_bytes(), ingested_at=time.time(), limits=Pipeline()).text


@pytest.fixture(scope="module", params=["accurate", "fast"])
def seed_entities(request, seed_body) -> tuple[str, list[dict]]:
    return request.param, count_entities(find_mentions([seed_body], request.param)[0])


def has(entities: list[dict], canonical: str, label: str) -> bool:
    return any(e["canonical"] == canonical and e["label"] == label for e in entities)


def labels_of(entities: list[dict], name: str) -> set[str]:
    return {e["label"] for e in entities if name in (e["canonical"], e["text"])}


# --- the seed article --------------------------------------------------------------------------------

def test_seed_people_and_organisations(seed_entities):
    mode, ents = seed_entities
    if mode == "accurate":
        assert has(ents, "Staffan de Mistura", "PERSON")
        assert any(e["label"] == "ORG" and "Defence Ministry" in e["canonical"] for e in ents)
    assert has(ents, "Syrian Observatory for Human Rights", "ORG")
    assert has(ents, "Syrian Arab News Agency", "ORG")                  # SANA
    un = [e for e in ents if e["canonical"] == "United Nations"]
    assert len(un) == 1 and un[0]["label"] == "ORG" and un[0]["count"] == 2   # "UN" and "the United Nations"


def test_seed_aliases_of_the_united_states_merge(seed_entities):
    _, ents = seed_entities
    us = [e for e in ents if e["canonical"] == "United States"]
    assert len(us) == 1 and us[0]["label"] == "GPE" and us[0]["count"] >= 3   # US-backed, U.S., USA


def test_seed_places_are_places_and_demonyms_are_norp(seed_entities):
    _, ents = seed_entities
    assert labels_of(ents, "Saraqeb") == {"GPE"}
    assert labels_of(ents, "Idlib") <= {"GPE", "LOC"} and labels_of(ents, "Idlib")
    assert labels_of(ents, "Russian") == {"NORP"}
    assert labels_of(ents, "Syrians") <= {"NORP"}


def test_seed_no_person_from_the_headline(seed_entities):
    _, ents = seed_entities
    people = [e["canonical"] for e in ents if e["label"] == "PERSON"]
    for word in ("Shoots", "Kills", "Pilot", "Jet", "Backed", "Victor Meyer"):
        assert not any(word in p for p in people), people


def test_headline_in_the_body_gives_no_person():
    text = ("Backed Free Syrian Army Group Shoots Down Russian Jet, Kills Pilot\n"
            "Militants in Syria downed a Russian fighter jet on Saturday, the ministry said.")
    ms = clean_mentions(ner_mentions([text])[0])
    assert not [m for m in ms if m.label == "PERSON"], [(m.text, m.label) for m in ms]


# --- case restoration --------------------------------------------------------------------------------

def test_all_caps_headline_is_recased_from_the_article_itself():
    text = ("CRICKET - LEICESTERSHIRE TAKE OVER AT TOP AFTER INNINGS VICTORY .\nLONDON 1996-08-30\n"
            "Phil Simmons took four for 38 as Leicestershire beat Somerset.")
    view = restore_case(text)
    assert len(view) == len(text)
    head, dateline, _ = view.split("\n")
    assert head.startswith("Cricket - Leicestershire take over at top after innings victory")
    assert dateline == "London 1996-08-30"


def test_title_case_headline_is_recased_but_sentences_are_not():
    text = "Backed Free Syrian Army Group Shoots Down Russian Jet, Kills Pilot\nThe United Nations Said So."
    head, body = restore_case(text).split("\n")
    assert "shoots down Russian jet, kills pilot" in head and "Syrian" in head
    assert body == "The United Nations Said So."          # ends like a sentence: left alone


def test_acronyms_in_capitals_are_kept():
    assert restore_case("NATO AND THE KDP MEET IN LONDON") == "NATO and the KDP meet in London"


# --- in-text evidence --------------------------------------------------------------------------------

def test_acronym_definition_gives_label_and_canonical():
    text = "The Kurdistan Democratic Party (KDP) said on Friday. KDP officials denied it."
    assert acronym_definitions(text) == {"KDP": "Kurdistan Democratic Party"}
    full = text.index("Kurdistan")
    ms = [Mention("Kurdistan Democratic Party", "ORG", full, full + 26),
          Mention("KDP", "PERSON", text.index("KDP"), text.index("KDP") + 3)]
    out = clean_mentions(correct_in_context(text, ms))
    kdp = [m for m in out if m.text == "KDP"]
    assert len(kdp) == 2 and all(m.label == "ORG" and m.canonical == "Kurdistan Democratic Party" for m in kdp)


def test_acronym_must_spell_the_initials():
    assert acronym_definitions("He met Boris Yeltsin (BBC) in Moscow.") == {}


def test_person_name_recurs_and_surname_is_tagged():
    text = "Security chief Alexander Lebed arrived. Lebed said peace was near. Alexander Lebed left."
    ms = [Mention("Alexander Lebed", "PERSON", 15, 30)]
    out = correct_in_context(text, ms)
    assert [(m.text, m.label) for m in out] == [("Alexander Lebed", "PERSON"), ("Lebed", "PERSON"),
                                                ("Alexander Lebed", "PERSON")]


def test_part_of_a_full_name_tagged_otherwise_becomes_the_person():
    text = "Police detained dissident Wang Donghai. Wang was arrested in Hangzhou."
    w = text.index("Wang was")
    ms = [Mention("Wang Donghai", "PERSON", 26, 38), Mention("Wang", "ORG", w, w + 4)]
    out = clean_mentions(correct_in_context(text, ms))
    assert [(m.canonical, m.label) for m in out] == [("Wang Donghai", "PERSON"), ("Wang Donghai", "PERSON")]


def test_shared_surname_is_not_propagated():
    text = "George Bush met Jeb Bush. Bush said no."
    ms = [Mention("George Bush", "PERSON", 0, 11), Mention("Jeb Bush", "PERSON", 16, 24)]
    assert len(correct_in_context(text, ms)) == 2


def test_majority_label_within_the_article():
    text = "Gazprom rose. Gazprom fell. Gazprom said."
    ms = [Mention("Gazprom", "ORG", 0, 7), Mention("Gazprom", "ORG", 14, 21), Mention("Gazprom", "PERSON", 28, 35)]
    assert {m.label for m in correct_in_context(text, ms)} == {"ORG"}


def test_country_names_the_model_missed_are_added():
    text = "BIRMINGHAM , England 1996-08-31\nPakistan won the toss."
    out = correct_in_context(text, [Mention("Pakistan", "GPE", 32, 40)], restore_case(text))
    assert ("England", "GPE") in [(m.text, m.label) for m in out]


# --- per-mention corrections -------------------------------------------------------------------------

def mentions(*pairs: tuple[str, str]) -> list[Mention]:
    return [Mention(text, label, 0, len(text)) for text, label in pairs]


def test_countries_and_big_cities_tagged_org_or_person_become_places():
    out = clean_mentions(mentions(("Syria", "ORG"), ("Germany", "PERSON"), ("Aleppo", "ORG"), ("Reuters", "ORG"),
                                  ("Gazprom", "ORG")))
    assert [(m.text, m.label) for m in out] == [("Syria", "GPE"), ("Germany", "GPE"), ("Aleppo", "GPE"),
                                                ("Reuters", "ORG"), ("Gazprom", "ORG")]


def test_a_first_name_or_a_part_of_a_full_name_stays_a_person():
    out = clean_mentions(mentions(("Jordan", "PERSON"), ("George Washington", "PERSON"), ("Washington", "PERSON")))
    assert [m.label for m in out] == ["PERSON", "PERSON", "PERSON"]


def test_demonyms_are_norp():
    out = clean_mentions(mentions(("Russian", "ORG"), ("Syrians", "PERSON"), ("Iranian", "NORP")))
    assert [m.label for m in out] == ["NORP", "NORP", "NORP"]


def test_abbreviation_keeps_its_final_dot_and_time_zones_are_dropped():
    out = clean_mentions(mentions(("U.S.", "GPE"), ("GMT", "ORG"), ("U.N.", "ORG")))
    assert [(m.text, m.canonical) for m in out] == [("U.S.", "United States"), ("U.N.", "United Nations")]


# --- fast mode ---------------------------------------------------------------------------------------

def test_fast_mode_locates_every_occurrence_and_finds_people():
    text = "John Smith flew from Damascus to Moscow. Mr. Peres stayed in Damascus. The UN said."
    ms = clean_mentions(dictionary_mentions(text, [{"text": "Damascus", "label": "GPE", "count": 2},
                                                   {"text": "Moscow", "label": "GPE", "count": 1}]))
    got = [(m.text, m.label) for m in ms]
    assert got.count(("Damascus", "GPE")) == 2
    assert ("John Smith", "PERSON") in got and ("Peres", "PERSON") in got and ("UN", "ORG") in got
    assert all(text[m.start:m.end] == m.text for m in ms)


def test_accurate_spans_point_into_the_original_text():
    text = "SOCCER - ENGLAND BEAT MOLDOVA .\nCHISINAU 1996-08-31\nEngland beat Moldova 2-0 in Chisinau on Saturday."
    ms = ner_mentions([text])[0]
    assert ms and all(text[m.start:m.end] == m.text for m in ms)
    assert ("ENGLAND", "GPE") in [(m.text, m.label) for m in clean_mentions(ms)]
