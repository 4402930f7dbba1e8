"""The enrich stage as a whole: one-word ORGs that are towns of the article's country become places, words don't."""
import pytest

from streams.enrich.article import find_mentions, relabel_local_places
from streams.enrich.entities import Mention


def test_a_town_tagged_org_in_a_country_the_article_names_becomes_a_place():
    mentions = [Mention("Syria", "GPE", 0, 5, "Syria"), Mention("Saraqeb", "ORG", 20, 27, "Saraqeb")]
    assert [m.label for m in relabel_local_places(mentions)] == ["GPE", "GPE"]


def test_a_common_word_or_a_town_of_another_country_stays_an_organisation():
    mentions = [Mention("Washington", "GPE", 0, 10, "Washington"), Mention("Congress", "ORG", 20, 28, "Congress"),
                Mention("Saraqeb", "ORG", 40, 47, "Saraqeb")]
    assert [m.label for m in relabel_local_places(mentions)] == ["GPE", "ORG", "ORG"]


@pytest.mark.parametrize("mode", ["accurate", "fast"])
def test_congress_is_never_geocoded(mode):
    text = "The bill passed Congress on Tuesday, the Washington Post reported. Congress votes again next week."
    labels = {m.text: m.label for m in find_mentions([text], mode)[0]}
    assert labels.get("Congress") != "GPE"
