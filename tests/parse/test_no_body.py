"""Parsing never loses an article to its own header and boilerplate rules."""
def test_an_article_is_never_emptied_by_the_header_and_boilerplate_rules():
    import time

    from streams.parse.article import parse_article
    from streams.records import RawArticle

    one_line = "How To Easily Understand The Difference Between The Day Of Christ And The Day Of Lord In The End Times"
    parsed = parse_article(RawArticle(format="json", id="20749", title="Cia Director Admits", text=one_line),
                           ingested_at=time.time())
    assert parsed.text == one_line and "no_body_found" in parsed.flags
    assert parsed.title == "Cia Director Admits"
