"""Hypothesis settings for the fuzz tests: a short run by default (CI), a long one on demand.

    pytest tests/fuzz                                  # CI: a few hundred examples per target, ~1 min in all
    FUZZ_SECONDS=300 pytest tests/fuzz -p no:cacheprovider   # each target keeps drawing new examples for
                                                             # its share of 300 s
    HYPOTHESIS_PROFILE=long pytest tests/fuzz          # 20x the examples, no time budget

Every call must finish within ``FUZZ_DEADLINE_MS`` (default 10 s: the machine is shared and noisy; a
catastrophic regex backtrack takes minutes or forever, so the bound still catches it) and a hung call is
killed by pytest-timeout.
"""
from __future__ import annotations

import os
import time
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, settings

FUZZ_SECONDS = float(os.environ.get("FUZZ_SECONDS", "0"))
DEADLINE = timedelta(milliseconds=int(os.environ.get("FUZZ_DEADLINE_MS", "10000")))
_COMMON = dict(deadline=DEADLINE, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                        HealthCheck.filter_too_much], print_blob=True)
settings.register_profile("ci", max_examples=150, **_COMMON)
settings.register_profile("long", max_examples=3000, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

N_TARGETS = 14      # fuzz targets in this folder: each gets FUZZ_SECONDS / N_TARGETS


@pytest.fixture
def fuzz():
    """``fuzz(test)``: run a @given test once (CI), or repeatedly for its share of FUZZ_SECONDS."""
    return run_fuzz


def run_fuzz(test) -> int:
    """Run a @given test once (CI), or again and again with fresh examples for its share of FUZZ_SECONDS.
    Returns the number of runs."""
    budget = FUZZ_SECONDS / N_TARGETS
    runs, started = 0, time.monotonic()
    while True:
        test()
        runs += 1
        if time.monotonic() - started >= budget:
            return runs
