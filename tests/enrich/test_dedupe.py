"""streams/enrich/dedupe.py: exact and near duplicates, stories, idempotent verdicts, bounded memory."""
from __future__ import annotations

import pytest

from streams.enrich.dedupe import DUPLICATE_SIMILARITY, STORY_SIMILARITY, DuplicateIndex, Verdict
from streams.parse.identity import content_hash, minhash_signature, signature_similarity

UNRELATED = (
    "The city council approved a new budget for public libraries on Monday, adding funds for longer opening "
    "hours, children's reading programmes and the repair of the old central library roof, which has leaked "
    "for years. Librarians welcomed the decision but said staffing remained a problem in the eastern districts, "
    "where two branches closed last winter. The mayor said the plan would be reviewed again in the autumn after "
    "a public consultation, and that private donors had offered to match part of the spending on books."
)


@pytest.fixture(scope="module")
def seed_text(seed_bytes) -> str:
    from streams.parse.text import parse_scraped_text

    return "\n\n".join(parse_scraped_text(seed_bytes.decode()).paragraphs)


def check(index: DuplicateIndex, article_id: str, text: str) -> Verdict:
    return index.check_and_add(article_id, content_hash(text), minhash_signature(text))


def rewrite_half(text: str) -> str:
    """The same story told again: the first half of the paragraphs kept, the rest rewritten."""
    paragraphs = text.split("\n\n")
    keep = len(paragraphs) * 2 // 3
    return "\n\n".join(paragraphs[:keep] + [UNRELATED])


def test_the_first_article_starts_its_own_story(seed_text):
    assert check(DuplicateIndex({}), "a", seed_text) == Verdict(None, "a")


def test_exact_duplicate_under_another_id(seed_text):
    index = DuplicateIndex({})
    check(index, "a", seed_text)
    # the same text with other case, punctuation and spacing has the same content hash
    assert check(index, "b", "  " + seed_text.upper().replace(",", "") + "\n") == Verdict("a", "a")


def test_near_duplicate_with_a_few_words_changed(seed_text):
    index = DuplicateIndex({})
    check(index, "a", seed_text)
    edited = (seed_text.replace("Saturday", "Sunday", 1).replace("five civilians", "six civilians")
              .replace("downed", "shot down", 1))
    assert content_hash(edited) != content_hash(seed_text)
    assert signature_similarity(minhash_signature(seed_text), minhash_signature(edited)) >= DUPLICATE_SIMILARITY
    assert check(index, "b", edited) == Verdict("a", "a")


def test_a_rewrite_joins_the_story_without_being_a_duplicate(seed_text):
    rewrite = rewrite_half(seed_text)
    similarity = signature_similarity(minhash_signature(seed_text), minhash_signature(rewrite))
    assert STORY_SIMILARITY <= similarity < DUPLICATE_SIMILARITY, similarity
    index = DuplicateIndex({})
    check(index, "a", seed_text)
    assert check(index, "b", rewrite) == Verdict(None, "a")


def test_a_different_article_is_its_own_story(seed_text):
    index = DuplicateIndex({})
    check(index, "a", seed_text)
    assert check(index, "b", UNRELATED) == Verdict(None, "b")


def test_a_duplicate_of_a_story_member_keeps_the_story(seed_text):
    index = DuplicateIndex({})
    check(index, "a", seed_text)
    rewrite = rewrite_half(seed_text)
    check(index, "b", rewrite)
    assert check(index, "c", rewrite) == Verdict("b", "a")      # copy of b, story of a


def test_rechecking_an_article_gives_its_first_verdict_back(seed_text):
    index = DuplicateIndex({})
    first = check(index, "a", seed_text)
    dup = check(index, "b", seed_text)
    size = len(index.store)
    assert check(index, "a", seed_text) == first              # redelivered after a crash: same answer
    assert check(index, "b", seed_text) == dup
    assert check(index, "a", UNRELATED) == first              # the id decides, not the text
    assert len(index.store) == size                           # nothing added twice


def test_two_indexes_over_one_store_agree(seed_text):
    """Workers share the store (a Faust table): an article judged by one is known to the other."""
    store: dict = {}
    check(DuplicateIndex(store), "a", seed_text)
    assert check(DuplicateIndex(store), "b", seed_text) == Verdict("a", "a")


def test_bounded_size_evicts_the_oldest(seed_text):
    index = DuplicateIndex({}, max_articles=2)
    texts = {"a": seed_text, "b": UNRELATED, "c": "Completely different words about a football match in Lagos "
                                                   "where the home side won by three goals to one on Sunday."}
    for article_id, text in texts.items():
        check(index, article_id, text)
    assert sorted(index.store) == ["a:b", "a:c"]
    # a copy of the evicted article is no longer recognised; a copy of a kept one is
    assert check(index, "a2", seed_text) == Verdict(None, "a2")
    assert check(index, "c2", texts["c"]) == Verdict("c", "c")


def test_index_stays_bounded_over_many_articles():
    index = DuplicateIndex({}, max_articles=5)
    for n in range(40):
        text = f"Article number {n} " + " ".join(f"word{n}x{i}" for i in range(30))
        check(index, f"id{n}", text)
    assert sorted(index.store) == [f"a:id{n}" for n in range(35, 40)]
    assert len(index._known) == len(index._hashes) == 5
    assert sum(len(table) for table in index._bands) <= 5 * len(index._bands)   # no band of a forgotten article


def test_the_bound_holds_across_a_restart_on_the_same_store(seed_text):
    store = {}
    first = DuplicateIndex(store, max_articles=5)
    for i in range(5):
        first.check_and_add(f"old{i}", f"{i:064x}", minhash_signature(f"{seed_text} variant {i} " * (i + 1)))
    restarted = DuplicateIndex(store, max_articles=5)            # a worker restarts and recovers the table
    for i in range(5):
        restarted.check_and_add(f"new{i}", f"{i + 10:064x}", minhash_signature(f"unrelated text number {i} " * 30))
    assert sorted(store) == [f"a:new{i}" for i in range(5)]
    owners = {owner for table in restarted._bands for owner in table.values()} | set(restarted._hashes.values())
    assert owners <= {f"new{i}" for i in range(5)}               # no lookup points to a forgotten article


def test_the_configured_bound_reaches_the_worker_index():
    from streams.agents import StageRunner
    from streams.settings import load_settings

    settings = load_settings(env={"NEWSSTREAMS_PIPELINE_DEDUPE_MAX_ARTICLES": "1234"})
    assert StageRunner(settings, pool=None, producer=None, dedupe_store={}).dedupe.max_articles == 1234
