"""CAMEO event coding: the seed article, one sentence per event family, irrealis cases, limits."""
from __future__ import annotations

import csv
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streams.classify import events as ev
from streams.classify.events import extract_events, load_lexicon, verb_forms

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


def test_seed_pilot_killing_is_coded_with_the_pilot_as_target(seed_events):
    event = one(seed_events, "killed its pilot", ("18",))
    assert event["code"] == "1823"
    assert event["actors"]["target"] == "pilot"
    assert event["actors"]["source"] == "Al-Qaida-linked militants"
    passive = one(seed_events, "was killed in a ground fight", ("18",))
    assert passive["actors"] == {"source": None, "target": "pilot"}


def test_seed_airstrikes_are_aerial_weapons_that_killed_civilians(seed_events):
    event = one(seed_events, "35 airstrikes", ("19",))
    assert event["code"] == "195"
    assert event["actors"]["target"] == "five civilians"
    assert event["place"] == "Saraqeb"
    # the killing is folded into the airstrikes, not a second event
    assert not [e for e in seed_events if "35 airstrikes" in e["sentence"] and e["code"] != "195"]


def test_seed_sochi_talks_are_consultation(seed_events):
    event = one(seed_events, "talks in Sochi", ("04",))
    assert event["quad_class"] == 1 and event["quad_label"] == "verbal cooperation"
    assert event["place"] == "Sochi"


def test_seed_hypothetical_scenario_and_generic_said_are_not_coded(seed_events):
    assert not [e for e in seed_events if "The scenario where" in e["sentence"]]
    assert not [e for e in seed_events if e["root"] == "01"]
    assert len({(e["sentence"], e["code"]) for e in seed_events}) == len(seed_events)


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
    kill = next(e for e in events if e["code"] == "1823")
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
    "Russia denied attacking the convoy.",
    "Russia did not attack the convoy.",
    "Russia never attacked the convoy.",
    "The army could attack the city next week.",
    "The scenario where rebels shoot down a jet should be seen as an escalation.",
    "If Iran attacks, the US will respond.",
    "Iran vowed to attack Israel.",
    "Did Russia attack the convoy?",
    "No one was killed.",
    "The president said the weather was nice.",
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
    assert len(events) == ev.MAX_EVENTS_PER_ARTICLE
    assert len({(e["sentence"], e["code"]) for e in events}) == len(events)


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
    assert len(events) <= ev.MAX_EVENTS_PER_ARTICLE
    for event in events:
        assert event["sentence"] and event["sentence"] in text


# --- hand-labelled sentences from the FakeNewsCorpus sample (see docs/EVENTS.md) ---------------

# (article id, sentence prefix, gold CAMEO root codes, split); "dev" was used while writing the
# lexicon, "held-out" was labelled blind and not tuned on.
EVAL_SENTENCES = [
    ('26536', 'Party of the tragedy of Don Quixote is he’s tilt', set(), 'dev'),
    ('38042', 'Between November 2016 and March 2017 more than 4', set(), 'dev'),
    ('22567', 'Finland became the eleventh member state of the ', set(), 'dev'),
    ('5590', 'As a privately owned website, we reserve the rig', set(), 'dev'),
    ('19866', 'We are entertained, informed and branded by corp', set(), 'dev'),
    ('33782', 'It’s a shame that we don’t have a national Black', set(), 'dev'),
    ('20360', 'I can trace my roots back to the 1690’s in North', set(), 'dev'),
    ('27373', 'It can make our life heaven or hell.', set(), 'dev'),
    ('22768', 'It was understood that my part of this was to br', set(), 'dev'),
    ('37134', 'It allowed the gambling casinos of Wall Street (', set(), 'dev'),
    ('22768', 'Your emotions are truly a gift from the divine t', set(), 'dev'),
    ('23066', 'That possibility is to see that there is no such', set(), 'dev'),
    ('3160', 'American Chemical Society, ACS is a congressiona', set(), 'dev'),
    ('9272', 'We assessed that these trucks, while although th', set(), 'dev'),
    ('11504', 'But it remains a choice nonetheless, maybe the m', set(), 'dev'),
    ('8751', 'Obama feverishly promotes socialism as just desc', set(), 'dev'),
    ('20360', 'Comment Policy: Please keep comments relevant to', set(), 'dev'),
    ('2033', 'The 83-year-old began to cry as he thought about', set(), 'dev'),
    ('36471', 'Looks like the views of Heritage Foundation call', {'02'}, 'dev'),
    ('35661', 'You can also consume natural sources of magnesiu', set(), 'dev'),
    ('2736', 'During the period of 1999 to 2001, two teenage g', {'18'}, 'dev'),
    ('3160', 'Physical unclonable function (PUF) devices hold ', set(), 'dev'),
    ('28544', 'Man has been fermenting vegetables for thousands', set(), 'dev'),
    ('6375', 'Each such budget shall include an accounting of ', set(), 'dev'),
    ('34422', 'Additionally, continuous modernization of animal', set(), 'dev'),
    ('1685', 'President Trump, right, with Rep. Robert Lighthi', set(), 'dev'),
    ('8694', 'The Revolutionary War erupted two years after th', {'19'}, 'dev'),
    ('7895', 'It reminds knowledgeable Americans that governme', set(), 'dev'),
    ('19866', 'They have high-priced legal teams, millions of e', set(), 'dev'),
    ('26057', 'Tags: domestic news, government corruption, mone', set(), 'dev'),
    ('29669', 'GOVERNMENT’S NOTICE OF INTENT TO PROCEED ….', set(), 'dev'),
    ('9320', 'The last time Americans were faced with this kin', set(), 'dev'),
    ('9659', "The proposed meeting will be Trump's second with", {'04'}, 'dev'),
    ('24998', 'LASER (Light Amplification by Simulated Emission', set(), 'dev'),
    ('11328', 'But one reason is this was not the case during t', set(), 'dev'),
    ('19547', 'The first thing I notice about many activists an', set(), 'dev'),
    ('38330', 'The insane logic being employed by the West show', set(), 'dev'),
    ('9272', 'That was a very thoughtful question, Warren conc', set(), 'dev'),
    ('9757', 'More than the money, our government is usurping ', set(), 'dev'),
    ('12665', 'While our criminal justice system was originally', set(), 'dev'),
    ('5827', 'Their value together is formidable in halting th', set(), 'dev'),
    ('15764', 'For example, military assets in Europe were not ', set(), 'dev'),
    ('5568', 'Abe, Trump said after the meeting has agreed “to', {'03', '04'}, 'dev'),
    ('8694', 'Sometime before the year 2025, America will pass', set(), 'dev'),
    ('5337', 'It is the first system to bolt onto traditional ', set(), 'dev'),
    ('10657', 'In southern and central Iraq, the scene was diff', {'19'}, 'dev'),
    ('11328', 'Kiev is backed by the United States and that pro', set(), 'dev'),
    ('13153', 'Which is slightly odd since this suggests shutdo', set(), 'dev'),
    ('32995', 'In fact, Police spend more time training to shoo', set(), 'dev'),
    ('5967', 'Matt mentions Kentucky Senate candidate Rand Pau', set(), 'dev'),
    ('18811', 'The country recently built a border fence to cra', set(), 'dev'),
    ('11504', 'In other words, whatever one feels about Donald ', set(), 'dev'),
    ('10186', 'Last week, the San Francisco-based judge ordered', {'10'}, 'dev'),
    ('15564', 'On Monday, the top Republicans in Congress – Maj', {'01', '03'}, 'dev'),
    ('13842', 'It prompted Moscow to restrict the maximum fligh', {'17'}, 'dev'),
    ('10186', 'DACA, which impacts roughly 700,000 people dubbe', {'01'}, 'dev'),
    ('38330', 'In an article for Breaking Defense , DePetris po', set(), 'dev'),
    ('21862', 'Those of us who support the full legalization of', set(), 'dev'),
    ('26536', 'That’s the premise of the whole book; the premis', set(), 'dev'),
    ('5512', 'No court approved the FBI’s usage of these aircr', set(), 'dev'),
    ('15564', 'The significance of the gulf can barely be overs', set(), 'dev'),
    ('33591', 'In 1969, four years before birthing the TC with ', set(), 'dev'),
    ('37031', 'U.S. DEA agents who spoke to POLITICO accused th', {'09', '11'}, 'dev'),
    ('8600', 'Of course, the LIBOR affair pales in its human i', set(), 'dev'),
    ('29669', 'U.S. Attorney Jessie K. Liu, and Assistant USAs ', {'12'}, 'dev'),
    ('24398', 'It’s what saved us both in the long run.', set(), 'dev'),
    ('36471', 'After all, the pretext for development of the mi', set(), 'dev'),
    ('8694', 'This Fourth Turning is progressing along a dual ', set(), 'dev'),
    ('35900', 'Whether Vietnam’s companies and their goods are ', {'04'}, 'dev'),
    ('15564', 'One ex – CIA leader, Hillary Clinton advocate Mi', set(), 'dev'),
    ('7820', 'In a recent turn of events Russia’s President Vl', {'19'}, 'dev'),
    ('11131', 'Judicial Watch filed a request on June 30 that t', {'02'}, 'dev'),
    ('2736', 'Thuo, the leader of the murderous Mungiki sect, ', {'18'}, 'dev'),
    ('27373', 'These outside voices have been heard and repeate', set(), 'dev'),
    ('5524', 'Martino played army and semi-pro baseball, along', set(), 'dev'),
    ('1570', 'Shortly afterwards, an agitated Mills emailed Po', set(), 'dev'),
    ('11328', 'He could say look, every Republican president of', set(), 'dev'),
    ('5934', 'They want us afraid and dependent on the governm', set(), 'dev'),
    ('5967', 'While not busy slam dunking domestic issues this', set(), 'dev'),
    ('9757', 'If a private business engaged in similar decepti', set(), 'dev'),
    ('11131', 'These latest FBI documents show how the agency’s', {'04'}, 'held-out'),
    ('15764', 'The select committee revealed Clinton herself wa', {'19'}, 'held-out'),
    ('19547', 'As the recent FBI vs. Apple court case showed, e', set(), 'held-out'),
    ('25791', 'What happens when government regulates the livin', set(), 'held-out'),
    ('26562', 'Does this amount to a threat, or do EU bureaucra', set(), 'held-out'),
    ('37031', 'In early 2016, French police smashed a Hezbollah', {'17'}, 'held-out'),
    ('18225', 'US forces have conducted “multiple ground operat', {'01', '19'}, 'held-out'),
    ('1422', 'How sincere was Rev. Rodriguez when he raised th', set(), 'held-out'),
    ('35900', 'Yet, while Mr Trong’s visit was aimed at develop', {'04'}, 'held-out'),
    ('9101', 'The supposed fact check comes in response to a t', set(), 'held-out'),
    ('23985', 'In fact, NATO has absolutely no planned response', set(), 'held-out'),
    ('33591', 'COOPER: President Carter and Secretary of State ', set(), 'held-out'),
    ('7242', 'On May 2, 1778, George Washington charged his so', set(), 'held-out'),
    ('11328', 'And so Russia legally annexed in 2014…they don’t', {'19'}, 'held-out'),
    ('35900', 'Six months ago, before Phuc’s China trip, Hanoi ', {'04'}, 'held-out'),
    ('1411', 'In ounces AT THE COMEX, the OI is still represen', set(), 'held-out'),
    ('21862', 'Altering the status quo has not taken place with', set(), 'held-out'),
    ('1570', 'This past weekend, in a letter to the FBI regard', set(), 'held-out'),
    ('26150', 'Then they broke a minister’s leg because he want', {'18'}, 'held-out'),
    ('9101', 'That said, like the tweeted headline, the body o', set(), 'held-out'),
    ('36471', 'One of the planned new NATO command centers will', set(), 'held-out'),
    ('21862', 'Fortunately, Superior Court Justice Michaela Mur', {'12'}, 'held-out'),
    ('5934', 'How can there be any semblance of freedom when t', set(), 'held-out'),
    ('38736', 'Senate Minority Leader Chuck Schumer, D-N.Y., sa', set(), 'held-out'),
    ('3391', 'A former clerk for pro-life Supreme Court Justic', set(), 'held-out'),
    ('26057', 'Law enforcement officials arrested the site’s al', {'17'}, 'held-out'),
    ('24398', 'Shortly after my beautiful young mother was kill', set(), 'held-out'),
    ('39208', 'The Senate voted late Thursday to start work on ', set(), 'held-out'),
    ('15029', 'And contrary to the values of an open society th', set(), 'held-out'),
    ('5337', 'The system is now being installed at locations i', set(), 'held-out'),
]


def _root_scores(split: str) -> tuple[int, int, int]:
    csv.field_size_limit(10**9)
    wanted = {(a, p): g for a, p, g, s in EVAL_SENTENCES if s == split}
    ids = {a for a, _ in wanted}
    with CORPUS.open(encoding="utf-8") as handle:
        articles = {r["id"]: r["content"] or "" for r in csv.DictReader(handle) if r["id"] in ids}
    tp = fp = fn = seen = 0
    for (article_id, prefix), gold in wanted.items():
        text = articles[article_id][:20000]
        tail = text[text.index(prefix):][:2000]
        sentence = next(tail[t[0].start:t[-1].end] for t in ev.split_sentences(tail))
        predicted = {e["root"] for e in extract_events(sentence)}
        tp, fp, fn, seen = tp + len(predicted & gold), fp + len(predicted - gold), fn + len(gold - predicted), seen + 1
    assert seen == len(wanted)
    return tp, fp, fn


@pytest.mark.skipif(not CORPUS.exists(), reason="FakeNewsCorpus sample not available")
@pytest.mark.parametrize("split, min_precision, min_recall", [("dev", 0.7, 0.7), ("held-out", 0.6, 0.5)])
def test_root_code_precision_and_recall_on_labelled_corpus_sentences(split, min_precision, min_recall):
    tp, fp, fn = _root_scores(split)
    print(f"\n{split}: gold={tp + fn} predicted={tp + fp} P={tp / (tp + fp):.2f} R={tp / (tp + fn):.2f}")
    assert tp / (tp + fp) >= min_precision
    assert tp / (tp + fn) >= min_recall


def test_the_sentence_prefilter_never_drops_a_sentence_that_holds_an_event(fakenews_csv):
    """The prefilter skips tokenizing sentences without a full trigger; it must keep every sentence where the
    matcher finds one (checked sentence by sentence, the matcher run without the prefilter)."""
    from streams.enrich.tone import sentence_spans

    csv.field_size_limit(10**9)
    with fakenews_csv.open(encoding="utf-8") as handle:
        texts = [row["content"] or "" for row, _ in zip(csv.DictReader(handle), range(80))]
    lexicon = ev.load_lexicon()
    may_hold_event = ev._trigger_prefilter(lexicon)
    assert may_hold_event is not None
    kept = with_trigger = 0
    for text in texts:
        for start, end in sentence_spans(text[:20000]):
            sentence = text[start:end]
            passes = may_hold_event(sentence)
            kept += passes
            for tokens in ev.split_sentences(sentence):          # no prefilter: every sentence tokenized
                if ev.find_triggers(tokens, lexicon):
                    with_trigger += 1
                    assert passes, sentence
    assert with_trigger > 50 and kept < 0.5 * sum(1 for t in texts for _ in sentence_spans(t[:20000]))


def test_sentence_splitting_leaves_nothing_of_the_text_in_the_tokenizer_vocabulary():
    """The tokenizer runs in a memory zone (streams/spacy_memory.py): new words do not pile up in a long-running
    worker, and the tokens returned are plain strings and offsets that outlive the zone."""
    text = "Officials named Zqvorlan Xubquettre on Monday. They paid $94,257,113 to Kwydramo-Pelt, officials said."
    vocab = ev._tokenizer().vocab
    before = len(vocab.strings)
    sentences = ev.split_sentences(text)
    assert len(vocab.strings) == before
    assert [[t.text for t in s] for s in sentences] == [
        ["Officials", "named", "Zqvorlan", "Xubquettre", "on", "Monday", "."],
        ["They", "paid", "$", "94,257,113", "to", "Kwydramo", "Pelt", ",", "officials", "said", "."]]
    assert all(text[t.start:t.end] == t.text for s in sentences for t in s)
    ev._tokenizer()(text)       # these words are new to it: outside a zone the vocabulary grows
    assert len(vocab.strings) > before
