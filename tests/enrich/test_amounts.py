import time
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from streams.enrich.amounts import extract_amounts

SEED = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "seed_article.txt"


def test_seed_counts():
    if not SEED.exists():
        pytest.skip("shared seed article absent")
    amounts = extract_amounts(SEED.read_text(encoding="utf-8"))
    assert {"text": "killed five civilians", "value": 5, "unit": None, "object": "civilians"} in amounts
    assert {"text": "more than 35 airstrikes", "value": 35, "unit": None, "object": "airstrikes"} in amounts
    assert any(a["value"] == 12 and a["unit"] == "km" for a in amounts)
    assert not any(a["value"] in (2015, 2018, 4) for a in amounts)  # years and the day of a date


@pytest.mark.parametrize("text, expected", [
    ("Facebook posts $4.2bn profit.", [("$4.2bn", 4200000000, "USD", None)]),
    ("It rose 3.5 percentage points to 40%.", [("3.5 percentage points", 3.5, "percentage points", None),
                                              ("40%", 40, "%", None)]),
    ("The army deployed 1,005 troops.", [("deployed 1,005 troops", 1005, None, "troops")]),
    ("A dozen people were hurt.", [("A dozen people", 12, None, "people")]),
    ("twenty-five soldiers", [("twenty-five soldiers", 25, None, "soldiers")]),
    ("two hundred and fifty thousand fled", [("two hundred and fifty thousand", 250000, None, None)]),
    ("It cost €30m and US$5 billion.", [("€30m", 30000000, "EUR", None), ("US$5 billion", 5000000000, "USD", None)]),
    ("about 300 euros each", [("about 300 euros", 300, "EUR", None)]),
    ("one million people marched", [("one million people", 1000000, None, "people")]),
    ("12 per cent voted", [("12 per cent", 12, "%", None)]),
    ("three years in prison", [("three years", 3, "yr", None)]),
])
def test_numbers_units_currencies_objects(text, expected):
    assert [(a["text"], a["value"], a["unit"], a["object"]) for a in extract_amounts(text)] == expected


@pytest.mark.parametrize("text", [
    "In September 2015 the war began.", "On February 4, 2018 and on 3 February it rained.",
    "An F-16 and a Su-25 crashed at 10:30.", "COVID-19 spread.", "The 3rd battalion left.",
    "It happened two days ago.", "One of its jets was downed; no one knew.", "He lives at No 10.",
])
def test_dates_times_identifiers_and_pronoun_one_are_not_amounts(text):
    assert extract_amounts(text) == []


def test_float_values_are_exact():
    assert extract_amounts("$1.1bn")[0]["value"] == 1100000000
    assert extract_amounts("0.3 percent")[0]["value"] == 0.3


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(list("0123456789,.$%€£ -abmkn\n") + ["million ", "five ", "and ", "hundred "]),
                max_size=2000).map("".join))
def test_adversarial_text_never_raises(text):
    for amount in extract_amounts(text):
        assert isinstance(amount["value"], (int, float))
        assert amount["text"] in text


def test_100kb_of_digits_is_fast():
    for text in ("1," * 50_000, "9" * 100_000, "five hundred " * 8_000, "$4.2bn " * 14_000):
        start = time.perf_counter()
        extract_amounts(text)
        assert time.perf_counter() - start < 10.0
