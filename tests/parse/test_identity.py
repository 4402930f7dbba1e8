"""streams/parse/identity.py: canonical URLs, stable ids, content hashes, MinHash signatures, language."""
from __future__ import annotations

import pytest

from streams.parse.identity import (
    SIGNATURE_PERMUTATIONS,
    article_id,
    canonical_url,
    content_hash,
    detect_language,
    domain_of,
    minhash_signature,
    signature_similarity,
)

UNRELATED = ("The city council approved a new budget for public libraries on Monday, adding funds for longer "
             "opening hours, children's reading programmes and the repair of the old central library roof.")


# --- canonical_url -------------------------------------------------------------------------------

@pytest.mark.parametrize("given, expected", [
    ("https://www.example.com/news/a?utm_source=tw&utm_medium=social&id=3#comments", "https://example.com/news/a?id=3"),
    ("HTTPS://WWW.Example.COM/News/A/", "https://example.com/News/A"),             # the path keeps its case
    ("http://example.com/a?fbclid=x&gclid=y&ref=home&mc_cid=1", "http://example.com/a"),
    ("https://example.com/a?page=2&UTM_Campaign=x", "https://example.com/a?page=2"),
    ("https://example.com/a?q=&x=1", "https://example.com/a?q=&x=1"),               # blank values kept
    ("https://example.com", "https://example.com/"),
    ("https://example.com/", "https://example.com/"),
    ("  https://example.com/a  ", "https://example.com/a"),
    ("https://news.example.com/a", "https://news.example.com/a"),                  # other subdomains kept
    ("https://example.com:8443/a", "https://example.com:8443/a"),
])
def test_canonical_url(given, expected):
    assert canonical_url(given) == expected


@pytest.mark.parametrize("given", [None, "", "   ", "/relative/path", "not a url"])
def test_no_canonical_url_without_a_host(given):
    assert canonical_url(given) is None


def test_variants_of_one_url_share_one_canonical_form():
    variants = ["https://www.example.com/story/1", "https://example.com/story/1/", "https://EXAMPLE.com/story/1#top",
                "https://example.com/story/1?utm_source=newsletter", "https://www.example.com/story/1/?ref=rss#x"]
    assert len({canonical_url(v) for v in variants}) == 1


# --- article_id ----------------------------------------------------------------------------------

def test_article_id_prefers_the_given_id_then_the_url_then_the_content():
    h = content_hash("Some article text")
    assert article_id("given-7", "https://example.com/a", h) == "given-7"
    by_url = article_id(None, "https://example.com/a", h)
    assert by_url.startswith("u") and len(by_url) == 21
    by_content = article_id(None, None, h)
    assert by_content == "c" + h[:20]
    assert article_id("", "", h) == by_content                       # empty means absent


def test_url_ids_are_stable_across_url_variants_and_independent_of_the_text():
    a = article_id(None, "https://www.example.com/a/?utm_source=x#top", content_hash("one text"))
    b = article_id(None, "https://example.com/a", content_hash("another text"))
    assert a == b
    assert a != article_id(None, "https://example.com/b", content_hash("one text"))


# --- content_hash --------------------------------------------------------------------------------

def test_content_hash_ignores_case_punctuation_and_whitespace():
    base = content_hash("Russian jets struck Idlib, killing five civilians.")
    assert content_hash("russian JETS struck idlib killing five civilians") == base
    assert content_hash("  Russian jets\n\nstruck Idlib —  killing five civilians!!! ") == base
    assert content_hash("Russian jets struck Idlib, killing six civilians.") != base
    assert len(base) == 64 and int(base, 16) >= 0


def test_content_hash_keeps_non_latin_words():
    assert content_hash("Дамаск сегодня") != content_hash("Дамаск вчера")
    assert content_hash("ДАМАСК сегодня") == content_hash("дамаск сегодня")


# --- MinHash -------------------------------------------------------------------------------------

def test_signatures_are_deterministic_and_of_fixed_length(seed_bytes):
    text = seed_bytes.decode()
    assert minhash_signature(text) == minhash_signature(text)
    assert len(minhash_signature(text)) == SIGNATURE_PERMUTATIONS
    assert all(isinstance(v, int) for v in minhash_signature(text))


def test_near_identical_texts_are_similar_and_unrelated_ones_are_not(seed_bytes):
    text = seed_bytes.decode()
    edited = text.replace("Saturday", "Sunday", 1).replace("five civilians", "six civilians")
    sig = minhash_signature(text)
    assert signature_similarity(sig, sig) == 1.0
    assert signature_similarity(sig, minhash_signature(edited)) >= 0.8
    assert signature_similarity(sig, minhash_signature(text.upper())) == 1.0       # normalised first
    assert signature_similarity(sig, minhash_signature(UNRELATED)) <= 0.1


def test_short_texts_have_signatures_too():
    assert len(minhash_signature("two words")) == SIGNATURE_PERMUTATIONS
    assert signature_similarity(minhash_signature("two words"), minhash_signature("two words")) == 1.0


def test_signature_similarity_of_mismatched_signatures_is_zero():
    assert signature_similarity([], []) == 0.0
    assert signature_similarity([1, 2, 3], [1, 2]) == 0.0


# --- language ------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, lang", [
    ("Russian jets struck the town on Saturday, killing five civilians, a monitoring group said.", "en"),
    ("Le gouvernement français a annoncé mardi une nouvelle réforme des retraites, suscitant la colère "
     "des syndicats.", "fr"),
    ("Die Bundesregierung hat am Dienstag neue Maßnahmen gegen die steigenden Energiepreise beschlossen.", "de"),
    ("El gobierno español aprobó el martes una nueva ley de vivienda tras meses de negociaciones.", "es"),
])
def test_detect_language(text, lang):
    assert detect_language(text) == lang


@pytest.mark.parametrize("text", ["", "   ", "Hi there", "12 34 56", "!!!"])
def test_too_short_text_has_no_language(text):
    assert detect_language(text) is None


def test_seed_is_english(seed_bytes):
    assert detect_language(seed_bytes.decode()) == "en"


# --- domain_of -----------------------------------------------------------------------------------

@pytest.mark.parametrize("url, source, expected", [
    ("https://www.BBC.co.uk/news/x", None, "bbc.co.uk"),
    (None, "reuters.com", "reuters.com"),
    (None, "www.reuters.com", "reuters.com"),
    ("https://apnews.com/a", "Reuters", "apnews.com"),              # the URL wins
    ("not a url", "awm.com", "awm.com"),
    (None, "Reuters", None),                                        # a name, not a domain
    (None, "The Coastal Ledger", None),
    (None, None, None),
])
def test_domain_of(url, source, expected):
    assert domain_of(url, source) == expected


def test_a_url_without_scheme_still_gives_a_url_id():
    from streams.parse.identity import article_id, canonical_url

    assert canonical_url("example.com/a?utm_source=x") == "http://example.com/a"
    assert canonical_url("not a url") is None
    assert article_id(None, canonical_url("www.example.com/a"), "0" * 64).startswith("u")
