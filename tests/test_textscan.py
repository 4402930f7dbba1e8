"""streams/textscan.py: whole-word lookups as the regexes they replace, and long runs broken for spaCy."""
from __future__ import annotations

import re
import time

import pytest

from streams.textscan import MAX_RUN, MAX_SYMBOL_RUN, break_long_runs, find_whole, find_whole_many

TEXT = "Port Arthur, S.Georgia and Georgia; Georgian food in Port Arthur_x and (Port Arthur). Bush, Bush."


@pytest.mark.parametrize("name", ["Port Arthur", "Georgia", "Bush", "P", "food in", "x"])
def test_find_whole_gives_what_the_regex_gave(name):
    expected = [(m.start(), m.end()) for m in re.finditer(r"(?<!\w)" + re.escape(name) + r"(?!\w)", TEXT)]
    assert find_whole(TEXT, name) == expected
    expected_dot = [(m.start(), m.end()) for m in re.finditer(r"(?<![\w.])" + re.escape(name) + r"(?!\w)", TEXT)]
    assert find_whole(TEXT, name, not_after=".") == expected_dot


def test_find_whole_many_takes_the_longest_at_each_position_like_one_alternation():
    names = ["Port", "Port Arthur", "Arthur", "Georgia", "Georgian", "Bush"]
    alternation = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    expected = [(m.group(), m.start(), m.end()) for m in re.finditer(r"(?<!\w)(?:" + alternation + r")(?!\w)", TEXT)]
    assert find_whole_many(TEXT, names) == expected
    assert find_whole_many(TEXT, []) == [] and find_whole(TEXT, "") == []


def test_long_runs_are_broken_without_moving_any_offset():
    url = "https://example.com/world/2018/jan/23/" + "-".join(["word"] * 30)      # 188 characters: one token
    text = "A fighter " + "'" * 700 + " jet, " + url + " " + "ago3.5Published:" * 40 + "end."
    broken = break_long_runs(text)
    assert len(broken) == len(text)
    assert all(a == b or b == " " for a, b in zip(text, broken))       # only spaces put in, in place
    assert max(len(w) for w in broken.split()) <= MAX_RUN
    assert url in broken.split()
    assert broken.startswith("A fighter ") and broken.endswith("end.")
    assert break_long_runs("Nothing long here.") == "Nothing long here."
    symbols = 'He said "' + '"!".' * 30 + '" and left.'
    broken = break_long_runs(symbols)
    assert len(broken) == len(symbols) and all(a == b or b == " " for a, b in zip(symbols, broken))
    assert max(len(w) for w in broken.split()) <= MAX_SYMBOL_RUN
    assert broken.startswith("He said ") and broken.endswith(" and left.")


def test_a_40000_character_run_no_longer_stalls_spacys_tokenizer():
    """Found by fuzzing extract_events: spaCy's tokenizer is quadratic in a run's length (8,000 apostrophes: 5 s,
    40,000: minutes). A guard against the catastrophic case, like the fuzz deadline, not a speed measurement."""
    from streams.classify.events import extract_events

    for run in ("'" * 40_000, "ago3.5Published:" * 12_000):       # both found by fuzzing extract_events
        text = "Militants downed a Russian fighter " + run + " jet over Syria."
        started = time.perf_counter()
        extract_events(text)
        assert time.perf_counter() - started < 10
