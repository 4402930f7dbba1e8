"""The seed article is the golden test of the scraped-text parser, field by field."""
from streams.parse.authors import clean_authors
from streams.parse.boilerplate import boilerplate_kind, strip_boilerplate
from streams.parse.text import parse_scraped_text

TITLE = "Backed Free Syrian Army Group Shoots Down Russian Jet, Kills Pilot"


def test_seed_header_fields(seed_bytes):
    parts = parse_scraped_text(seed_bytes.decode())
    assert parts.title == TITLE
    assert parts.published_at == "2018-02-04"
    assert parts.authors == ["Victor Meyer"]
    assert parts.section == "Worldwide"


def test_seed_body_is_clean(seed_bytes):
    parts = parse_scraped_text(seed_bytes.decode())
    body = "\n\n".join(parts.paragraphs)
    assert body.startswith("Al-Qaida-linked militants in Syria downed a Russian fighter jet")
    assert body.endswith("purportedly show the plane's wreckage.")
    assert TITLE not in body
    assert "More news" not in body and "Zuckerberg" not in body
    assert "Like this" not in body
    assert len(parts.paragraphs) == 14
    assert parts.removed == {"title_repeat": 1, "injected_link": 1, "share_trailer": 1}


def test_bracketed_dateline_and_reader_poll():
    text = ("AWAKENING OF 12 STRANDS of DNA – Reconnecting with You Movie\n\n"
            "% of readers think this story is Fact. Add your two cents.\n\n"
            "Headline: Bitcoin & Blockchain Searches Exceed Trump! Blockchain Stocks Are Next!\n\n"
            "[January 24, 2018 - ZurichTimes.net]\n\n"
            "As Miles Johnston was giving update, it was another case of strange synchronicities.\n\n"
            "In researching the 12 strands of DNA we came across some articles.\n\n"
            "https://www.youtube.com/watch?v=_6Ze1mrs4BQ\n\n"
            "We suggest you use your discernment.")
    parts = parse_scraped_text(text)
    assert parts.title.startswith("AWAKENING OF 12 STRANDS")
    assert parts.published_at == "2018-01-24"
    assert parts.source_name == "ZurichTimes.net"
    assert parts.paragraphs[0].startswith("As Miles Johnston")
    assert not any("youtube.com" in p or "readers think" in p or "Headline:" in p for p in parts.paragraphs)
    assert parts.removed["reader_poll"] == 1 and parts.removed["bare_url"] == 1


def test_text_without_header_keeps_its_first_sentence():
    text = ("Sometimes the power of Christmas will make you do wild and wonderful things.\n\n"
            "One congregation in Ohio was moved to action by a sermon.\n\nFeatured Image via Getty Images/Drew Angerer")
    parts = parse_scraped_text(text)
    assert parts.title is None
    assert parts.paragraphs[0].startswith("Sometimes the power")
    assert parts.removed == {"image_credit": 1}


def test_share_words_early_in_a_long_body_are_kept():
    paragraphs = ["Related:"] + [f"Paragraph {i} of real content about the subject." for i in range(10)]
    kept, removed = strip_boilerplate(paragraphs[1:] + ["Like this:", "Like Loading..."])
    assert len(kept) == 10 and removed == {"share_trailer": 2}


def test_boilerplate_kinds():
    assert boilerplate_kind("Like this:") == "share_trailer"
    assert boilerplate_kind("Share this:") == "share_trailer"
    assert boilerplate_kind("More news: Facebook posts $4.2bn profit") == "injected_link"
    assert boilerplate_kind("Read more: https://example.org/x") == "injected_link"
    assert boilerplate_kind("Featured Image via Getty Images/Drew Angerer") == "image_credit"
    assert boilerplate_kind("Subscribe to Canada Free Press for FREE") == "newsletter"
    assert boilerplate_kind("http://news.goldseek.com/GoldSeek/1508764620.php") == "bare_url"
    assert boilerplate_kind("The witness said that a pilot parachuted.") is None
    assert boilerplate_kind("Read more about the treaty in our archive, which covers decades of talks " * 8) is None


def test_authors_are_person_names_only():
    assert clean_authors("By ANDREW C. MCCARTHY / FAMILY SECURITY MATTERS") == ["Andrew C. McCarthy"]
    assert clean_authors("by Harvey Organ, Harvey Organ Blog:") == ["Harvey Organ"]
    assert clean_authors("By Greg Hunter’s USAWatchdog.com") == ["Greg Hunter"]
    assert clean_authors("Margaret Kimberley, Bar Editor, Senior Columnist, Glen Ford, Bar Executive Editor") == [
        "Margaret Kimberley", "Glen Ford"]
    assert clean_authors(["Jane Roe and John Doe", "jane roe"]) == ["Jane Roe", "John Doe"]
    assert clean_authors("By Lisa Haven") == ["Lisa Haven"]
    assert clean_authors("Staff Reporter") == []
    assert clean_authors("") == []
