"""The seed article is the golden test of the scraped-text parser, field by field."""
from streams.parse.authors import clean_authors
from streams.parse.boilerplate import boilerplate_kind, strip_boilerplate
from streams.parse.text import clean_lines, parse_scraped_text

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

# ---------------------------------------------------------------- layouts of the FakeNewsCorpus sites
from streams.parse.authors import names_in_byline  # noqa: E402
from streams.parse.boilerplate import PARAGRAPH_KINDS  # noqa: E402
from streams.parse.text import ScrapedText  # noqa: E402

BODY = ("The committee met on Thursday and voted to extend the programme for another year, officials said. "
        "The decision followed months of debate over its cost.")


def test_canadafreepress_deck_then_title():
    text = "\n\n".join([
        "Subscribe to Canada Free Press for FREE",
        "Fairness is the vehicle Obama uses to implement socialism",
        "Obama and Redistribution of Your Wealth",
        "Continued below... " + BODY,
        "Joseph Harris has been a college professor and pastor since 1987 and his writings have appeared widely.",
        "Please adhere to our commenting policy to avoid being banned. As a privately owned website, we reserve "
        "the right to remove any comment and ban any user at any time."])
    parts = parse_scraped_text(text)
    assert parts.title == "Obama and Redistribution of Your Wealth"
    assert parts.paragraphs[0] == "Fairness is the vehicle Obama uses to implement socialism"   # the deck is kept
    assert parts.paragraphs[1] == BODY                                                           # ad marker cut out
    assert parts.authors == ["Joseph Harris"] and parts.author_source == "bio"
    assert parts.removed == {"newsletter": 1, "advertisement": 1, "site_footer": 1}


def test_beforeitsnews_layout():
    text = "\n\n".join([
        "You’ll Be Enraged When You Find Out What the FBI Just Did– 30 Cities Targeted",
        "% of readers think this story is Fact. Add your two cents.",
        "Headline: Bitcoin & Blockchain Searches Exceed Trump! Blockchain Stocks Are Next!",
        "By Lisa Haven", BODY, BODY.replace("Thursday", "Friday"),
        "More Critical Reads You Need to Hear by Lisa Haven! Click Here!",
        "Subscribe to My Website at: www.LisaHavenNews.net",
        "The post You’ll Be Enraged appeared first on Lisa Haven News.",
        "Source: http://www.lisahavennews.net/2017/fbi"])
    parts = parse_scraped_text(text)
    assert parts.title.startswith("You’ll Be Enraged") and parts.authors == ["Lisa Haven"]
    assert len(parts.paragraphs) == 2
    assert parts.removed == {"reader_poll": 1, "injected_link": 1, "read_more": 1, "bare_url": 1,
                             "republish_note": 1, "source_link": 1}
    assert sum(parts.removed.values()) == len(parts.dropped)


def test_bylines_of_the_corpus():
    def header(line: str) -> ScrapedText:
        return parse_scraped_text(f"A Title For The Test Article\n\n{line}\n\n{BODY}")

    assert header("by Harvey Organ, Harvey Organ Blog:").authors == ["Harvey Organ"]
    got = header("news.goldseek.com / By: Jim Willie CB, GoldenJackass.com / 26 December 2017")
    assert (got.authors, got.published_at, got.source_name) == (["Jim Willie CB"], "2017-12-26", "news.goldseek.com")
    got = header("By Pam Martens and Russ Martens: April 4, 2016")
    assert (got.authors, got.published_at) == (["Pam Martens", "Russ Martens"], "2016-04-04")
    assert header("By Stephen Bryen / American Thinker").authors == ["Stephen Bryen"]
    assert header("By Jim Quinn / The Burning Platform").authors == ["Jim Quinn"]
    assert header("Authored by Turd Ferguson via TFMetalsReport.com").authors == ["Turd Ferguson"]
    assert header("PETER KORZUN / STRATEGIC CULTURE").authors == ["Peter Korzun"]
    assert header("Xuan Loc DOAN").authors == ["Xuan Loc Doan"]
    assert header("March 26th, 2017").published_at == "2017-03-26"
    got = header("by Giovani – Liveanddare.com")
    assert got.authors == [] and got.removed == {"empty_byline": 1} and got.paragraphs == [BODY]


def test_author_from_a_note_when_no_byline():
    text = "\n\n".join(["So Begins the Rug-Yank Phase of Fed Policy",
                       "This article was written by MN Gordon and originally published at Economic Prism / GoldSeek",
                       BODY, "Contributed by The Daily Sheeple of www.TheDailySheeple.com."])
    parts = parse_scraped_text(text)
    assert parts.authors == ["MN Gordon"] and parts.author_source == "note"
    assert parts.removed == {"republish_note": 2}


def test_poem_line_like_the_title_is_kept():
    text = "\n\n".join(["The Son of God Goes Forth to War", "The Son of God Goes Forth to War", "By Reginald Heber",
                       "The Son of God goes forth to war,", "a kingly crown to gain;"] + [BODY] * 3)
    parts = parse_scraped_text(text)
    assert parts.authors == ["Reginald Heber"]
    assert parts.paragraphs[0] == "The Son of God goes forth to war,"
    assert parts.removed == {"title_repeat": 1}


def test_list_items_are_not_titles():
    assert parse_scraped_text("Fermented vegetables\n\nKefir\n\nKombucha\n\n" + BODY).title is None
    assert parse_scraped_text("1. Dairy is an allergen and lactose intolerance trigger\n\n" + BODY * 3).title is None


def test_caption_with_agency_credit_is_not_a_title():
    parts = parse_scraped_text("President Trump, right, with Rep. Robert Lighthizer ( REUTERS/Jonathan Ernst/Reuters )"
                               "\n\n" + BODY + "\n\n" + BODY)
    assert parts.title is None and parts.removed == {"image_credit": 1}


def test_body_sentences_that_look_like_boilerplate_are_kept():
    for sentence in ["Sources say the deal is done and will be signed on Monday in Brussels.",
                     "Originally published in 1851, the novel sold poorly, and Melville turned to poetry. It was "
                     "rediscovered in the 1920s.",
                     "The survey (Reuters/Ipsos) found most voters undecided.",
                     "Delivered by drone, the parcels reached the island within an hour, the company said, and the "
                     "trial will be extended to other islands next year after the regulator approves it.",
                     "Facebook - the company said on Monday - will change its news feed.",
                     "Like this one, many of the bills never reach a vote."]:
        assert boilerplate_kind(sentence) is None, sentence


def test_every_boilerplate_kind_is_named_and_linear_time():
    import time

    hostile = ["(" * 5_000, "a " * 5_000, "Source:" + " x" * 5_000, "http://" + "a." * 5_000,
               "by " * 3_000, "The post " + "x appeared first on " * 500, "- " * 5_000, "Like this: " * 800]
    started = time.perf_counter()
    for text in hostile:
        boilerplate_kind(text)
        boilerplate_kind(text[:400])
        parse_scraped_text(text[:2_000] + "\n" + text[:300])
    assert time.perf_counter() - started < 5
    assert set(PARAGRAPH_KINDS) >= {"share_trailer", "reader_poll", "injected_link", "image_credit", "bare_url",
                                    "newsletter", "republish_note", "site_footer", "source_link"}


def test_one_author_cleaner_for_text_and_html():
    from streams.parse import html

    assert html.clean_authors is clean_authors
    assert clean_authors("Jane Doe | The Coastal Ledger", ("The Coastal Ledger",)) == ["Jane Doe"]
    assert clean_authors("Von Roland Brockmann und Sebastian Drescher") == ["Roland Brockmann", "Sebastian Drescher"]
    assert clean_authors("Alexa von Heyden") == ["Alexa von Heyden"]
    assert clean_authors("Contributed by Zero Hedge") == []
    assert clean_authors("Giovani") == ["Giovani"] and clean_authors("Giovani", min_words=2) == []
    assert names_in_byline("LifeNews.com, Jane Roe") == ["Jane Roe"]


def test_lines_lose_zero_width_characters_and_keep_everything_else():
    assert clean_lines("Dam\u200bascus\ufeff  said\u2060\r\n\u200c\u200d\n  Aleppo\u200e  ") == \
        ["Damascus said", "Aleppo\u200e"]          # U+200E (a direction mark) is not zero-width space: kept
