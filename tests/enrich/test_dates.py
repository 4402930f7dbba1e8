import time
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from streams.enrich.dates import resolve_dates

SEED = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "seed_article.txt"


def resolved(text, published_at="2018-02-04"):
    return {d["text"]: d["resolved"] for d in resolve_dates(text, published_at)}


def test_seed_dates():
    if not SEED.exists():
        pytest.skip("shared seed article absent")
    dates = resolve_dates(SEED.read_text(encoding="utf-8"), "2018-02-04")
    values = [d["resolved"] for d in dates]
    assert "2018-02-03" in values and "2015-09" in values
    assert len(values) == len(set(values))  # "on Saturday" twice is one date
    assert {"text": "September 2015", "resolved": "2015-09"} in dates


@pytest.mark.parametrize("text, expected", [
    ("He died yesterday.", {"yesterday": "2018-02-03"}),
    ("It happened two days ago.", {"two days ago": "2018-02-02"}),
    ("It happened last week.", {"last week": "2018-W04"}),
    ("It happened last month.", {"last month": "2018-01"}),
    ("The talks will resume on Monday.", {"on Monday": "2018-02-05"}),
    ("On Sunday it rained.", {"On Sunday": "2018-02-04"}),
    ("Born 3 February 1990.", {"3 February 1990": "1990-02-03"}),
    ("Thursday, March 1, 2018", {"Thursday, March 1, 2018": "2018-03-01"}),
    ("the March 3 attack", {"March 3": "2017-03-03"}),
    ("The 2018-01-15 report", {"2018-01-15": "2018-01-15"}),
    ("Prices fell in 2015.", {"2015": "2015"}),
    ("It began in May.", {"May": "2017-05"}),
])
def test_absolute_and_relative_dates(text, expected):
    assert resolved(text) == expected


def test_published_datetime_with_zone_is_accepted():
    assert resolved("on Saturday", "2018-02-04T10:00:00Z") == {"on Saturday": "2018-02-03"}


def test_without_publication_date_relative_dates_stay_unresolved():
    assert resolve_dates("yesterday and in September 2015", None) == [
        {"text": "yesterday", "resolved": None}, {"text": "September 2015", "resolved": "2015-09"}]


def test_words_that_look_like_months_are_not_dates():
    assert resolve_dates("It may be that they march on.", "2018-02-04") == []


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(["Monday ", "May ", "2015 ", "in ", "on ", "3 ", "ago ", "days ", ", ", "last ", "week "]),
                max_size=60).map("".join))
def test_adversarial_text_never_raises(text):
    for date in resolve_dates(text, "2018-02-04"):
        assert date["resolved"] is None or date["resolved"][:1] in "12"


def test_100kb_is_bounded():
    text = " ".join(f"on {d} March {y}" for y in range(1900, 2100) for d in range(1, 29))[:100_000]
    start = time.perf_counter()
    resolve_dates(text, "2018-02-04")
    assert time.perf_counter() - start < 10.0


def test_a_publication_date_outside_news_years_resolves_nothing_relative():
    from streams.enrich.dates import resolve_dates

    for published in ("0001-01-01", "9999-12-31"):
        assert [d["resolved"] for d in resolve_dates("He came on Saturday, two days ago.", published)] == [None, None]


# The words the candidate pattern is made of, in both cases, and the glue between them.
_WORDS = ("on the of in since until by during from early late mid mid- before after last next this past earlier later "
          "yesterday today tonight tomorrow week weekend month year days weeks months years ago a an one two three "
          "twelve monday tuesday wednesday thursday friday saturday sunday january february march april may june july "
          "august september october november december jan. feb. sept. sep oct dec 1st 2nd 3rd 4th 21 31 09 2018 1999 "
          "2018-02-04 said police x").split()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_WORDS), st.booleans(), st.sampled_from([" ", " ", ", ", ". ", "\n", "-"])),
                max_size=40))
def test_the_first_character_check_changes_no_match(words):
    """The lookahead on a candidate's first character only saves time: the same matches as the pattern without it."""
    import re

    from streams.enrich import dates

    plain = re.compile(dates._CANDIDATE.pattern.replace(f"(?=[{dates._FIRST_CHARS}])", "", 1), re.VERBOSE)
    assert plain.pattern != dates._CANDIDATE.pattern
    text = "".join((w.capitalize() if upper else w) + glue for w, upper, glue in words)
    found = [(m.span(), m.lastgroup) for m in dates._CANDIDATE.finditer(text)]
    assert found == [(m.span(), m.lastgroup) for m in plain.finditer(text)]
