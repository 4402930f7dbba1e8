"""extract_html on small hand-written pages (tests/parse/fixtures/) and hostile inputs."""

import re
import socket
import time
from pathlib import Path

import pytest

from streams.parse.html import HtmlExtractionError, clean_authors, decode_html, extract_html, publication_date

FIXTURES = Path(__file__).resolve().parent / "fixtures"
NEWS_URL = "https://www.coastal-ledger.example/news/harbour-bridge"
KEYS = {"title", "authors", "published_at", "text", "sitename", "canonical_url", "language", "description",
        "section", "removed"}


def page(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.fixture(scope="module")
def news() -> dict:
    return extract_html(page("news_article.html"), NEWS_URL)


def test_output_shape(news):
    assert set(news) == KEYS
    assert isinstance(news["authors"], list) and all(isinstance(a, str) for a in news["authors"])
    assert isinstance(news["removed"]["boilerplate_chars"], int)
    for key in KEYS - {"authors", "removed"}:
        assert news[key] is None or isinstance(news[key], str)


def test_news_article_main_text_without_boilerplate(news):
    text = news["text"]
    assert text.startswith("Harbour bridge reopens after repairs")
    assert "cost the city council nearly four million pounds." in text
    assert "after which the bridge should be fully open again." in text
    for boilerplate in ("Share on Facebook", "Related stories", "Cookie settings", "Contact us",
                        "All rights reserved", "SCRIPT_TEXT_MUST_NOT_APPEAR", ".nav {"):
        assert boilerplate not in text
    assert news["removed"]["boilerplate_chars"] > 100


def test_news_article_paragraphs_are_separated_by_blank_lines(news):
    paragraphs = news["text"].split("\n\n")
    assert len(paragraphs) == 6  # headline + five paragraphs
    assert all(p == p.strip() and "\n" not in p for p in paragraphs)


def test_news_article_metadata(news):
    assert news["title"] == "Harbour bridge reopens after repairs"
    assert news["authors"] == ["Jane Doe", "John Smith"]
    # JSON-LD datePublished, not dateModified; the time of day is kept
    assert news["published_at"] == "2023-03-14T09:30:00+00:00"
    assert news["sitename"] == "The Coastal Ledger"
    assert news["canonical_url"] == "https://www.coastal-ledger.example/2023/03/14/harbour-bridge-reopens"
    assert news["language"] == "en"
    assert news["section"] == "Local News"
    assert news["description"].startswith("The harbour bridge reopened")


def test_page_without_text_raises_no_main_text():
    with pytest.raises(HtmlExtractionError) as err:
        extract_html(page("no_text.html"))
    assert err.value.reason == "no_main_text"
    assert isinstance(err.value, ValueError)


@pytest.mark.parametrize("html", [b"", "", "   \n ", b"\x00\x00"])
def test_empty_input_raises(html):
    with pytest.raises(HtmlExtractionError):
        extract_html(html)


def test_external_entities_and_doctype_are_not_resolved(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("extract_html tried to open a network connection")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    started = time.perf_counter()
    result = extract_html(page("entity_trick.html"), "https://council.example/2024/budget")
    assert time.perf_counter() - started < 5
    text = result["text"]
    assert "The council published its annual budget on Monday" in text
    assert "root:" not in text and "/bin/" not in text  # /etc/passwd not read
    assert "lollollol" not in text  # no entity expansion
    assert "INJECTED_BY_SCRIPT" not in text


def test_a_url_is_never_fetched(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("network access")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    # a page whose whole content looks like a URL: htmldate would download such a string
    with pytest.raises(HtmlExtractionError):
        extract_html("https://example.com/2020/01/01/story")


def test_non_utf8_page_is_decoded_with_its_declared_charset():
    raw = page("latin1_page.html")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    result = extract_html(raw)
    assert result["title"] == "Fête de la musique à Besançon"
    # declared iso-8859-1 is read as windows-1252, as browsers do: 0x92 is a right quote
    assert "jusqu’à minuit" in result["text"]
    assert result["language"] == "fr"
    assert "\ufffd" not in result["text"]


def test_decode_falls_back_leniently():
    assert decode_html("déjà".encode("utf-8")) == "déjà"
    assert decode_html(b'<meta charset="utf-8"><p>caf\xe9</p>') == '<meta charset="utf-8"><p>caf\ufffd</p>'
    assert decode_html(b'<meta charset="no-such-codec"><p>caf\xc3\xa9</p>').endswith("café</p>")
    assert "\ufeff" not in decode_html("\ufeff<p>x</p>".encode("utf-8"))


def test_huge_page_is_handled_in_bounded_time():
    paragraph = "<p>The committee met again on Thursday to discuss the proposal for the new bridge, number {}.</p>"
    links = "<li><a href='/x'>Another related link</a></li>" * 20_000
    html = "<html><body><ul>" + links + "</ul><article>" + "".join(
        paragraph.format(i) for i in range(60_000)) + "</article></body></html>"
    assert len(html) > 5_000_000
    started = time.perf_counter()
    result = extract_html(html)
    assert time.perf_counter() - started < 15
    assert "The committee met again on Thursday" in result["text"]


@pytest.mark.parametrize(
    ("byline", "names"),
    [
        ("By Jane Doe and John Smith", ["Jane Doe", "John Smith"]),
        ("Jane Doe, John Smith; Ann Lee", ["Jane Doe", "John Smith", "Ann Lee"]),
        ("Von Roland Brockmann und Sebastian Drescher", ["Roland Brockmann", "Sebastian Drescher"]),
        ("Jane Doe, Staff Writer", ["Jane Doe"]),
        ("Reuters", []),
        ("Jane Doe | The Coastal Ledger", ["Jane Doe"]),
        ("View all posts by Daniel Lemire", ["Daniel Lemire"]),
        ("Art Edwards says", []),
        ("jane@example.com", []),
        ("", []),
    ],
)
def test_clean_authors(byline, names):
    assert clean_authors(byline, ("The Coastal Ledger", "coastal-ledger.example")) == names


def test_published_date_prefers_original_over_modified():
    html = """<html><head>
    <meta property="article:published_time" content="2021-05-04T08:00:00+02:00">
    <meta property="article:modified_time" content="2022-01-01T10:00:00+02:00">
    </head><body><article><h1>Title of the story</h1>
    <p>Some article text that is long enough to be kept as the main text of this page.</p>
    <p>Updated on 1 January 2022.</p></article></body></html>"""
    result = extract_html(html)
    assert result["published_at"] == "2021-05-04T08:00:00+02:00"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}(T.*)?", result["published_at"])


DEV_DATES = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "dev" / "dates"


@pytest.mark.skipif(not DEV_DATES.is_dir(), reason="shared dev data absent")
def test_a_few_dev_pages_get_their_publication_day():
    import gzip
    import json

    gold = json.loads((DEV_DATES / "eval_default.json").read_text())
    sample = sorted(gold.items())[::100]
    right = 0
    for url, entry in sample:
        raw = gzip.decompress((DEV_DATES / "pages" / (entry["file"] + ".gz")).read_bytes())
        try:
            found = extract_html(raw, url)["published_at"]
        except HtmlExtractionError:
            continue
        right += bool(found) and found[:10] == entry["date"]
    assert right >= len(sample) - 2


NO_MARKUP = {"article_dates": [], "meta_dates": [], "other_dates": []}


def test_when_the_original_date_search_and_plain_htmldate_disagree_plain_htmldate_wins():
    # an old date found in the text, stated nowhere in the page's markup or URL: htmldate's own answer is kept
    assert publication_date(NO_MARKUP, "2004-01-01", "2019-06-13", "https://example.test/recipes/cake") == \
        "2019-06-13"


def test_the_original_date_stands_where_the_markup_or_the_url_states_it():
    stated = dict(NO_MARKUP, meta_dates=["2021-05-04T08:00:00+02:00"])
    assert publication_date(stated, "2021-05-04", "2022-01-01", None) == "2021-05-04T08:00:00+02:00"
    assert publication_date(NO_MARKUP, "2021-05-04", "2022-01-01", "https://example.test/2021/05/04/story") == \
        "2021-05-04"


def test_either_answer_alone_is_taken():
    assert publication_date(NO_MARKUP, None, "2022-01-01", None) == "2022-01-01"
    assert publication_date(NO_MARKUP, "2021-05-04", None, None) == "2021-05-04"
    assert publication_date(NO_MARKUP, None, None, None) is None
