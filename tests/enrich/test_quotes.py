import time
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from streams.enrich.quotes import extract_quotes

SEED = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "seed_article.txt"


@pytest.fixture(scope="module")
def seed_text():
    if not SEED.exists():
        pytest.skip("shared seed article absent")
    return SEED.read_text(encoding="utf-8")


def test_seed_quote_and_its_descriptive_speaker(seed_text):
    quotes = extract_quotes(seed_text)
    cornerstone = [q for q in quotes if q["text"].startswith("the cornerstone of the political process")]
    assert len(cornerstone) == 1
    assert cornerstone[0]["text"].endswith("launched from now on")
    assert "a source in Syria's foreign ministry" in cornerstone[0]["speaker"]


def test_scare_quotes_of_three_words_or_fewer_are_skipped(seed_text):
    assert all("hard year" not in q["text"] for q in extract_quotes(seed_text))
    assert extract_quotes('He called it a "witch hunt" and left.') == []


def test_titles_in_quotes_are_skipped():
    assert extract_quotes('The film "The Lord of the Rings" was shown.') == []


@pytest.mark.parametrize("sentence, quote, speaker", [
    ('"We will not stop until every fighter is gone," said Gen. John Smith, the commander.',
     "We will not stop until every fighter is gone", "Gen. John Smith"),
    ('"We will not stop until every fighter is gone," the commander said on Monday.',
     "We will not stop until every fighter is gone", "the commander"),
    ('Smith told reporters: "The situation is very bad and getting worse."',
     "The situation is very bad and getting worse.", "Smith"),
    ('According to the witness, "the plane exploded in mid-air before it hit the ground".',
     "the plane exploded in mid-air before it hit the ground", "the witness"),
    ("'We are not going anywhere soon,' the minister told the BBC.",
     "We are not going anywhere soon", "the minister"),
    ('“The talks have failed completely,” said the envoy.', "The talks have failed completely", "the envoy"),
    ('John Smith, in an interview, said "we all have to work harder now".', "we all have to work harder now", "John Smith"),
    ('Police, who arrived late, said "nobody was hurt in the blast".', "nobody was hurt in the blast", "Police"),
])
def test_speaker_patterns(sentence, quote, speaker):
    assert extract_quotes(sentence) == [{"text": quote, "speaker": speaker}]


def test_no_attribution_means_no_speaker():
    assert extract_quotes('"It is over now, finally, for everyone"') == [
        {"text": "It is over now, finally, for everyone", "speaker": None}]


def test_pronoun_resolves_to_previous_person_entity():
    text = 'Mr Obama arrived. "This is a great day for America," he said.'
    entities = [{"text": "Obama", "label": "PERSON", "start": 3, "end": 8}]
    assert extract_quotes(text, entities) == [{"text": "This is a great day for America", "speaker": "Obama"}]
    assert extract_quotes(text)[0]["speaker"] is None


def test_second_quote_of_a_paragraph_inherits_the_speaker():
    text = '"The talks have failed completely," the envoy said. "We are going home now."'
    assert [q["speaker"] for q in extract_quotes(text)] == ["the envoy", "the envoy"]


def test_quote_left_open_runs_to_end_of_line_only():
    text = 'The minister said: "we will keep fighting for this as long as it takes\n\nAnother paragraph here.'
    assert extract_quotes(text) == [
        {"text": "we will keep fighting for this as long as it takes", "speaker": "The minister"}]


def test_apostrophes_do_not_open_quotes():
    assert extract_quotes("The soldiers' families don't know what the army's plan is for them.") == []


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from(list('"“”‘’\' ,.:said X\n0123456789aA')), max_size=3000))
def test_adversarial_text_never_raises(text):
    for quote in extract_quotes(text):
        assert set(quote) == {"text", "speaker"}


def test_100kb_of_quote_marks_is_fast():
    for text in ('"a b c d" said X. ' * 6000, '"' * 100_000, "said " * 20_000 + '"x y z w"', "'" * 100_000):
        start = time.perf_counter()
        extract_quotes(text)
        assert time.perf_counter() - start < 10.0
