"""(e) of the bench, streams.bench.costs: each step's own CPU time, in one process (never its timings as such)."""
from __future__ import annotations

import importlib
import inspect

import pytest

import streams.enrich.article
import streams.enrich.tone
from streams.bench import costs, report


class FakeClock:
    """CPU time that moves only when a test says so."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def spend(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(costs.time, "process_time", fake)
    return fake


def test_a_step_called_inside_another_counts_once_for_itself(clock):
    timer = costs.StepTimer()

    def inner():
        clock.spend(2.0)

    def outer():
        clock.spend(1.0)
        timed_inner()
        clock.spend(0.5)
        timed_inner()

    timed_inner, timed_outer = timer.wrap("inner", inner), timer.wrap("outer", outer)
    timed_outer()
    timed_inner()
    assert dict(timer.seconds) == {"outer": 1.5, "inner": 6.0}


def test_a_step_that_raises_is_timed_and_the_error_goes_on(clock):
    timer = costs.StepTimer()

    def broken():
        clock.spend(0.25)
        raise ValueError("bad article")

    with pytest.raises(ValueError):
        timer.wrap("broken", broken)()
    assert timer.seconds["broken"] == 0.25 and timer._inner == []


def test_the_steps_are_wrapped_inside_the_block_and_put_back_even_when_it_fails():
    before = {(m, a): getattr(importlib.import_module(m), a) for m, a, _ in costs.STEPS}
    with pytest.raises(RuntimeError):
        with costs.timed_steps(costs.StepTimer()):
            assert streams.enrich.article.score_tone is not streams.enrich.tone.score_tone
            raise RuntimeError("the block failed")
    assert {(m, a): getattr(importlib.import_module(m), a) for m, a, _ in costs.STEPS} == before
    assert streams.enrich.article.score_tone is streams.enrich.tone.score_tone


def _names(code) -> set[str]:
    """Global names a function's code uses, its comprehensions' included (nested code objects)."""
    names = set(code.co_names)
    for const in code.co_consts:
        if inspect.iscode(const):
            names |= _names(const)
    return names


def test_every_step_is_called_on_the_batch_path():
    callers = {"streams.enrich.article": ("enrich_article", "find_mentions"),
               "streams.classify.article": ("classify_article",), "streams.pipeline": ("enrich_and_classify",)}
    for module_name, attr, _ in costs.STEPS:
        module = importlib.import_module(module_name)
        names = {n for caller in callers[module_name] for n in _names(getattr(module, caller).__code__)}
        assert attr in names, f"{module_name}.{attr} is no longer called on the batch path"


def test_every_extractor_of_enrich_and_classify_is_a_step():
    """A new extractor called by enrich_article or classify_article must be timed, or named here as too small to
    time: otherwise its cost would hide in 'the rest'."""
    too_small = {"count_entities", "source_reliability", "agree_on_speakers"}   # a few string tests an event
    timed = {attr for _, attr, _ in costs.STEPS}
    for module_name, caller in (("streams.enrich.article", "enrich_article"),
                                ("streams.classify.article", "classify_article")):
        module = importlib.import_module(module_name)
        for name in _names(getattr(module, caller).__code__):
            value = getattr(module, name, None)
            if inspect.isfunction(value) and value.__module__.startswith("streams.") \
                    and value.__module__ != module_name:
                assert name in timed | too_small, f"{caller} calls {name}, which the bench does not time"


def test_costs_of_fast_mode_add_up(seed_bytes):
    result = costs.measure_costs([seed_bytes] * 3, modes=("fast",), rounds=1)
    fast = result["modes"]["fast"]
    assert result["articles"] == 3 and result["ner_alone"] is None
    assert fast["parse"] > 0 and fast["total"] > 0
    assert fast["steps"]["ner_mentions"] == 0.0                     # fast mode never calls the model
    for attr in ("dictionary_mentions", "score_tone", "extract_keywords", "extract_events", "classify_topics"):
        assert fast["steps"][attr] > 0, attr
    assert sum(fast["steps"].values()) + fast["rest"] == pytest.approx(fast["total"])
    assert streams.enrich.article.score_tone is streams.enrich.tone.score_tone


def test_the_report_shows_each_step_and_what_the_targets_leave():
    steps = {attr: 0.0 for _, attr, _ in costs.STEPS}
    recorded = {"articles": 251, "messages": 251, "rounds": 3, "ner_alone": 36.0, "modes": {
        "fast": {"mode": "fast", "parse": 2.5, "steps": dict(steps, score_tone=3.0, dictionary_mentions=1.5),
                 "rest": 0.5, "total": 5.0},
        "accurate": {"mode": "accurate", "parse": 2.5, "steps": dict(steps, score_tone=3.0, ner_mentions=38.0),
                     "rest": 0.5, "total": 41.5}}}
    text = "\n".join(report.render_costs(recorded, ceiling_rate=5000.0, cores=2))
    assert "| step | fast mode | accurate mode |" in text
    assert "| tone (VADER) | 3.00 | 3.00 |" in text
    assert "| names from the bundled dictionaries (fast mode's NER) | 1.50 | – |" in text
    assert "| NER: spaCy over the batch (memory zones, case restoration, corrections) | – | 38.00 |" in text
    assert "| dates |" not in text                                    # a step no mode spent time in is left out
    assert "| **total** | 7.50 | 44.00 |" in text
    assert "| spaCy's NER pipe alone over the same texts, one pass: the work of the bound (c) | – | 36.00 |" in text
    assert "spends 8.0 ms an article here beside the NER pipe alone" in text
    assert "leaves 4.0 ms an article beside the model" in text           # 36 / 0.9 - 36
    assert "Fast >= 0.5x of (a) leaves 0.80 ms of CPU an article on 2 cores" in text
    assert "fast mode's steps take 7.5" in text


def test_the_ner_pipe_alone_is_timed_over_each_text_once():
    """One pass, as the bound (c) runs: a best of several passes would find the tokenizer's cache full."""
    from streams.bench.costs import BATCH, ner_pipe_ms

    class CountingPipe:
        def __init__(self):
            self.seen, self.batch_sizes = [], []

        def pipe(self, texts, batch_size):
            self.batch_sizes.append(batch_size)
            for text in texts:
                self.seen.append(text)
                yield text

    nlp = CountingPipe()
    assert ner_pipe_ms(nlp, ["a", "b", "c"]) >= 0.0
    assert nlp.seen == ["a", "b", "c"] and nlp.batch_sizes == [BATCH]
