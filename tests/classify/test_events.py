"""CAMEO event coding: the seed article, one sentence per event family, irrealis cases, limits."""
from __future__ import annotations

import csv
import re
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streams.classify.events import MAX_EVENTS_PER_ARTICLE, extract_events, load_lexicon, verb_forms
from streams.classify.events.coder import MAX_PARSED_SENTENCES

SHARED_DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
SEED = SHARED_DATA / "seed_article.txt"
CORPUS = SHARED_DATA / "fakenewscorpus_sample.csv"

SEED_LOCATIONS = [
    {"name": name, "country_code": cc, "lat": lat, "lon": lon, "mentions": [name]}
    for name, cc, lat, lon in [("Idlib", "SY", 35.93, 36.63), ("Saraqeb", "SY", 35.86, 36.81),
                               ("Syria", "SY", 35.0, 38.0), ("Sochi", "RU", 43.6, 39.73),
                               ("Moscow", "RU", 55.75, 37.62), ("Damascus", "SY", 33.51, 36.29)]
]


def one(events: list[dict], needle: str, root_prefixes: tuple[str, ...]) -> dict:
    """The event of a root family coded from the sentence containing ``needle``."""
    found = [e for e in events if needle in e["sentence"] and e["root"].startswith(root_prefixes)]
    assert found, f"no {root_prefixes} event for {needle!r}: {[(e['code'], e['sentence'][:50]) for e in events]}"
    return found[0]


# --- the seed article ------------------------------------------------------------------

@pytest.fixture(scope="module")
def seed_events() -> list[dict]:
    if not SEED.exists():
        pytest.skip("shared seed article not available")
    return extract_events(SEED.read_text(encoding="utf-8"), locations=SEED_LOCATIONS)


def test_seed_jet_downing_is_material_conflict_by_the_militants(seed_events):
    event = one(seed_events, "downed a Russian fighter jet", ("18", "19"))
    assert event["code"] == "190" and event["quad_class"] == 4 and event["goldstein"] == -10.0
    assert event["actors"] == {"source": "Al-Qaida-linked militants", "target": "Russian fighter jet"}
    assert event["place"] == "Idlib"


def test_seed_pilot_killing_is_part_of_the_downing_and_the_passive_killing_has_the_pilot_as_target(seed_events):
    """Killings with no weapon named are 190 (codebook note to 190): "downed a jet ... and killed its pilot" is one
    190 event of the militants; "the pilot ... was killed in a ground fight" names no killer: a military victim."""
    assert len([e for e in seed_events if "killed its pilot" in e["sentence"] and e["root"] == "19"]) == 1
    passive = one(seed_events, "was killed in a ground fight", ("19",))
    assert passive["actors"] == {"source": None, "target": "pilot"}


def test_seed_airstrikes_are_aerial_weapons_reported_by_the_observatory(seed_events):
    event = one(seed_events, "35 airstrikes", ("19",))
    assert event["code"] == "195" and event["trigger_kind"] == "noun"
    assert event["actors"]["source"] is None            # the observatory reported them; it did not strike
    assert event["place"] == "Saraqeb"


def test_seed_statements_are_coded_for_their_speakers(seed_events):
    said = [e for e in seed_events if e["root"] == "01"]
    assert {e["actors"]["source"] for e in said} >= {"Russian defence ministry", "Russian Defence Ministry"}
    assert all(e["source_actor"]["name"] == e["actors"]["source"] for e in said)


def test_seed_hypothetical_scenario_is_not_coded(seed_events):
    assert not [e for e in seed_events if "The scenario where" in e["sentence"]]
    assert len({(e["sentence"], e["code"], e["actors"]["source"]) for e in seed_events}) == len(seed_events)


# --- one sentence per event family ----------------------------------------------------------

@pytest.mark.parametrize("sentence, code, source, target", [
    ("The European Union sent humanitarian aid to Yemen on Monday.", "070", "European Union", "Yemen"),
    ("Germany provided 50 million euros in aid to the refugees.", "070", "Germany", "refugees"),
    ("President Putin met with Turkish President Erdogan in Ankara.", "040", "President Putin",
     "Turkish President Erdogan"),
    ("Thousands of people protested against the new law in Paris.", "140", "Thousands of people", "new law"),
    ("North Korea threatened to attack the United States.", "138", "North Korea", "United States"),
    ("The opposition demanded the resignation of the prime minister.", "100", "opposition",
     "resignation of the prime minister"),
    ("Police arrested three men in connection with the shooting.", "173", "Police", "three men"),
    ("The suspect was arrested by police in London.", "173", "police", "suspect"),
    ("The United States imposed sanctions on Russian oligarchs.", "163", "United States", "Russian oligarchs"),
    ("The US sanctioned five Iranian officials.", "163", "US", "five Iranian officials"),
    ("The minister criticized the decision.", "111", "minister", "decision"),
    ("The government rejected the proposal.", "120", "government", "proposal"),
    ("Rebels kidnapped two aid workers near Aleppo.", "181", "Rebels", "two aid workers"),
    ("Troops opened fire on protesters.", "193", "Troops", "protesters"),
    ("Israel and Hamas agreed to a ceasefire.", "0871", "Israel and Hamas", None),
    ("Saudi Arabia expelled the Canadian ambassador.", "161", "Saudi Arabia", "Canadian ambassador"),
    ("Hamas released three hostages on Sunday.", "0841", "Hamas", "three hostages"),
    ("China deployed warships to the South China Sea.", "154", "China", "South China Sea"),
    ("The FBI is investigating the leak.", "090", "FBI", "leak"),
])
def test_sentence_is_coded_with_actors(sentence, code, source, target):
    events = extract_events(sentence)
    assert code in [e["code"] for e in events]
    event = next(e for e in events if e["code"] == code)
    assert event["actors"] == {"source": source, "target": target}


def test_possessive_actor_and_imperative_sentence():
    event = extract_events("Russia's foreign ministry condemned the strike.")[0]
    assert event["code"] == "111" and event["actors"]["source"] == "Russia's foreign ministry"
    assert extract_events("Visit our website for more.") == []


def test_participle_after_comma_shares_the_subject():
    events = extract_events("Troops opened fire on protesters, killing 12.")
    kill = next(e for e in events if e["code"] == "190")      # a killing, weapon not told: 190
    assert kill["actors"]["source"] == "Troops"


def test_entity_spans_bound_the_actor_and_places_come_from_entities():
    text = "Fighters of the Free Syrian Army attacked Afrin on Tuesday."
    start = text.index("Free Syrian Army")
    entities = [{"text": "Free Syrian Army", "label": "ORG", "start": start, "end": start + 16,
                 "canonical": "Free Syrian Army"},
                {"text": "Afrin", "label": "GPE", "start": text.index("Afrin"), "end": text.index("Afrin") + 5,
                 "canonical": "Afrin"}]
    event = extract_events(text, entities)[0]
    assert event["code"] == "190"
    assert event["actors"]["source"] == "Fighters of the Free Syrian Army"
    assert event["place"] == "Afrin"


def test_place_from_locations_without_mentions_and_from_alias_mentions():
    text = "Government forces shelled Saraqeb overnight."
    by_name = extract_events(text, locations=[{"name": "Saraqeb", "country_code": "SY", "lat": 35.86, "lon": 36.8}])
    assert by_name[0]["code"] == "194" and by_name[0]["place"] == "Saraqeb"
    by_alias = extract_events(text, locations=[{"name": "Saraqib", "country_code": "SY", "lat": 35.86,
                                                "lon": 36.8, "mentions": ["Saraqeb"]}])
    assert by_alias[0]["place"] == "Saraqib"


# --- negation, modality, hypotheticals --------------------------------------------------------

@pytest.mark.parametrize("sentence", [
    "Russia did not attack the convoy.",
    "Russia never attacked the convoy.",
    "The army could attack the city next week.",
    "The scenario where rebels shoot down a jet should be seen as an escalation.",
    "If Iran attacks, the US will respond.",
    "Did Russia attack the convoy?",
    "No one was killed.",
    "Experts say the weather was nice.",
    "We went to the beach in order to relax.",
    "He suffered a heart attack last year.",
])
def test_irrealis_or_eventless_sentences_yield_nothing(sentence):
    assert extract_events(sentence) == []


def test_threat_is_coded_but_the_threatened_attack_is_not():
    codes = [e["code"] for e in extract_events("Iran threatened to attack Israel.")]
    assert codes == ["138"]


@pytest.mark.parametrize("text", ["", "   \n\n ", "Like this:"])
def test_empty_or_trivial_input(text):
    assert extract_events(text) == []


def test_one_event_per_sentence_and_code_and_capped_total():
    text = "Rebels attacked the base and attacked the airport. " * 3 + " ".join(
        f"Group {i} attacked town {i}." for i in range(40))
    events = extract_events(text)
    assert 0 < len(events) <= MAX_EVENTS_PER_ARTICLE
    assert len({(e["sentence"], e["code"]) for e in events}) == len(events)
    assert sum("Rebels attacked" in e["sentence"] for e in events) == 1      # the repeated sentence, once


def test_only_the_first_candidate_sentences_are_parsed(monkeypatch):
    from streams.classify.events import coder

    parsed = []
    real = coder.parse_sentences
    monkeypatch.setattr(coder, "parse_sentences", lambda text, spans: parsed.extend(spans) or real(text, spans))
    text = "The weather was mild. " + " ".join(f"Group {i} attacked town {i}." for i in range(40))
    extract_events(text)
    firsts = [int(re.search(r"Group (\d+)", text[s:e]).group(1)) for s, e in parsed]
    assert firsts == list(range(MAX_PARSED_SENTENCES))


def test_event_shape_and_root_consistency():
    lexicon = load_lexicon()
    for event in extract_events("Police arrested the protesters after they burned cars. The UN praised the deal."):
        assert set(event) >= {"code", "root", "label", "quad_class", "quad_label", "goldstein", "sentence",
                              "actors", "place"}
        assert event["root"] == event["code"][:2]
        assert event["label"] == lexicon.roots[event["root"]][0]


# --- lexicon data -----------------------------------------------------------------------------

def test_codebook_roots_quads_and_goldstein_values():
    lexicon = load_lexicon()
    assert sorted(lexicon.roots) == [f"{i:02d}" for i in range(1, 21)]
    expected_quad = {**{f"{i:02d}": 1 for i in range(1, 6)}, **{f"{i:02d}": 2 for i in range(6, 9)},
                     **{f"{i:02d}": 3 for i in range(9, 14)}, **{f"{i:02d}": 4 for i in range(14, 21)}}
    assert {r: q for r, (_, q) in lexicon.roots.items()} == expected_quad
    assert lexicon.codes["190"][1] == -10.0 and lexicon.codes["183"][1] == -10.0 and lexicon.codes["040"][1] == 1.0
    assert all(-10.0 <= g <= 10.0 for _, g in lexicon.codes.values())
    assert all(code[:2] in lexicon.roots for code in lexicon.codes)
    assert lexicon.size > 300


def test_verb_inflection_covers_irregular_and_doubled_forms():
    irregular = {"shoot": ("shot", "shot"), "kidnap": ("kidnapped", "kidnapped")}
    assert verb_forms("shoot", irregular)[0] == {"shoot", "shoots", "shot", "shooting"}
    assert "kidnapping" in verb_forms("kidnap", irregular)[0]
    assert verb_forms("deny", {})[0] == {"deny", "denies", "denied", "denying"}
    assert verb_forms("down", {}, past_only=True)[0] == {"downed", "downing"}


# --- bounded time on adversarial text --------------------------------------------------------

_WORDS = ["attack", "attacked", "shot", "down", "not", "if", "to", "and", "the", "which", "killed", "-", ",",
          "by", "was", "airstrikes", "on", "of", "talks", "in", "\n", ".", "?", "sanctions", "_", "’s", "Al-Qaida",
          "a", "release", "hostages", "who", "said", "that", "—", "“", "x" * 60]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(_WORDS) | st.text(max_size=12), max_size=400))
def test_adversarial_text_is_coded_in_bounded_time(words):
    text = " ".join(words)
    start = time.perf_counter()
    events = extract_events(text)
    assert time.perf_counter() - start < 2.0
    assert len(events) <= MAX_EVENTS_PER_ARTICLE
    for event in events:
        assert event["sentence"] and event["sentence"] in text


# --- the sentence prefilter and the parser's memory ---------------------------------------------------

def test_the_sentence_prefilter_never_drops_a_sentence_that_holds_an_event(fakenews_csv):
    """The word test skips parsing sentences without a full trigger; it must keep every sentence where the matcher
    finds one (checked sentence by sentence on the parse, without the prefilter)."""
    from streams.classify.events.lexicon import find_triggers
    from streams.classify.events.syntax import parse_sentences
    from streams.enrich.tone import sentence_spans

    csv.field_size_limit(10**9)
    with fakenews_csv.open(encoding="utf-8") as handle:
        texts = [row["content"] or "" for row, _ in zip(csv.DictReader(handle), range(40))]
    lexicon = load_lexicon()
    may_hold_event = lexicon.may_hold_event
    assert may_hold_event is not None
    kept = with_trigger = total = 0
    for text in texts:
        spans = list(sentence_spans(text[:20000]))
        total += len(spans)
        for sent in parse_sentences(text, spans):
            sentence = text[sent.start:sent.end]
            passes = may_hold_event(sentence)
            kept += passes
            if find_triggers(sent.words, lexicon):
                with_trigger += 1
                assert passes, sentence
    assert with_trigger > 50 and kept < 0.6 * total


def test_a_batch_parsed_in_one_pass_codes_the_same_events_as_each_article_alone(fakenews_csv):
    """The pipeline parses a batch's candidate sentences in one pass (parse_event_sentences): each article's events
    must be the ones it gets parsed on its own, empty and event-free texts included, in the batch's order."""
    from streams.classify.events import parse_event_sentences

    csv.field_size_limit(10**9)
    with fakenews_csv.open(encoding="utf-8") as handle:
        texts = [row["content"] or "" for row, _ in zip(csv.DictReader(handle), range(24))]
    texts[3:3] = ["", "The weather was mild and the gardens were full of roses."]
    batch = parse_event_sentences(texts)
    assert len(batch) == len(texts) and batch[3] == [] and batch[4] == []
    coded = 0
    for text, sentences in zip(texts, batch):
        alone = extract_events(text)
        assert extract_events(text, sentences=sentences) == alone
        coded += bool(alone)
    assert coded >= 8


def test_parsing_leaves_nothing_of_the_text_in_the_vocabulary():
    """The parser runs in a memory zone (streams/spacy_memory.py): new words do not pile up in a long-running
    worker, and the words returned are plain strings and offsets that outlive the zone."""
    from streams.classify.events.syntax import load_parser, parse_sentences

    text = "Officials named Zqvorlan Xubquettre on Monday. They paid $94,257,113 to Kwydramo-Pelt, officials said."
    vocab = load_parser().vocab
    before = len(vocab.strings)
    first, second = parse_sentences(text, [(0, 46), (47, len(text))])
    assert len(vocab.strings) == before
    assert [w.text for w in first.words] == ["Officials", "named", "Zqvorlan", "Xubquettre", "on", "Monday", "."]
    assert all(text[w.start:w.end] == w.text for s in (first, second) for w in s.words)
    load_parser()(text)       # these words are new to it: outside a zone the vocabulary grows
    assert len(vocab.strings) > before
