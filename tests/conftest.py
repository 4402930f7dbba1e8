"""Shared test helpers: where the shared data lives, the seed article."""
from __future__ import annotations

from pathlib import Path

import pytest

from harness import broker, broker_engine, parametrize_engines, stack  # noqa: F401  (fixtures for every folder)

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
SEED_PATH = SHARED_DATA / "seed_article.txt"
PACKAGED_SEED = REPO / "streams" / "data" / "samples" / "seed_article.txt"


def pytest_addoption(parser):
    parser.addoption("--brokers", default="tansu",
                     help="broker engines for the integration tests: tansu, kafka or tansu,kafka (make test: both)")


def pytest_configure(config):
    config.addinivalue_line("markers", "brokers(*engines): run only on these broker engines (tansu, kafka)")


def pytest_generate_tests(metafunc):
    parametrize_engines(metafunc)


@pytest.fixture(scope="session")
def seed_bytes() -> bytes:
    """The canonical raw article (the packaged copy is the same file)."""
    return (SEED_PATH if SEED_PATH.exists() else PACKAGED_SEED).read_bytes()


@pytest.fixture(scope="session")
def fakenews_csv() -> Path:
    path = SHARED_DATA / "fakenewscorpus_sample.csv"
    return path if path.exists() else REPO / "streams" / "data" / "samples" / "fakenewscorpus_sample.csv"
