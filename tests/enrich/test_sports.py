"""Teams are organisations (streams/enrich/sports.py): each mechanism on sentences written for these tests."""
from __future__ import annotations

import pytest

from streams.enrich.article import enrich_article, find_mentions
from streams.enrich.sports import mark_teams, player_spans, sports_article, team_slots
from streams.records import ParsedArticle

MATCH_REPORT = """Porto held on to beat Valencia 2-1 on Wednesday night and top the group.
The Portuguese side led through a first-half header and their captain sealed the win from the penalty spot.
Valencia were left to rue two missed chances, and their coach said the league would be decided in May.
Results:
Porto 2 Valencia 1
Aston Villa 0 Sheffield United 0"""

COUNTY_CRICKET = """Leicestershire and Worcestershire both closed in on victory in the county championship on Friday.
Leicestershire reached 320 for six before the close, a lead of 95, with the wicket still true.
Scorecard: Worcestershire 225 and 140-4, Leicestershire 320-6 (P. Simmons 88, V. Wells 61).
Wasim Akram c Lampitt b Illingworth 35"""

POLITICS = """The mayor of Porto met officials in Valencia on Tuesday to discuss a rail link between the two cities.
Porto's council approved the plan, and Valencia's regional government is expected to vote next month."""


def labels(text: str, mode: str = "accurate") -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for m in find_mentions([text], mode)[0]:
        out.setdefault(m.text, set()).add(m.label)
    return out


def test_a_match_report_is_sport_and_a_city_council_story_is_not():
    assert sports_article(MATCH_REPORT)
    assert sports_article(COUNTY_CRICKET)
    assert not sports_article(POLITICS)
    assert not sports_article("")


def test_results_lines_give_whole_team_names_between_the_scores():
    slots = [MATCH_REPORT[s:e] for s, e in team_slots(MATCH_REPORT)]
    assert {"Porto", "Valencia", "Aston Villa", "Sheffield United"} <= set(slots)


def test_standings_rows_and_fixtures_are_team_slots():
    text = "Standings after Saturday:\nRiverton Rovers 12 8 2 2 26\nLakeside 12 7 3 2 24\nLakeside v Riverton Rovers"
    slots = [text[s:e] for s, e in team_slots(text)]
    assert slots.count("Riverton Rovers") == 2 and slots.count("Lakeside") == 2


@pytest.mark.parametrize("mode", ["accurate", "fast"])
def test_clubs_named_after_cities_are_organisations_in_a_match_report(mode):
    found = labels(MATCH_REPORT, mode)
    assert found["Porto"] == {"ORG"}
    assert found["Valencia"] == {"ORG"}


def test_the_same_cities_stay_places_outside_sport():
    found = labels(POLITICS)
    assert "ORG" not in found.get("Porto", set()) and found.get("Porto")
    assert "ORG" not in found.get("Valencia", set()) and found.get("Valencia")


def test_a_dateline_and_in_city_keep_the_place_reading():
    text = ("CHICAGO 2026-05-02\nChicago beat Denver 5-3 on Friday. Chicago's pitcher struck out nine.\n"
            "The Cubs play in Chicago again on Sunday, and Denver host the series after that.\nChicago 5 Denver 3")
    ms = find_mentions([text], "accurate")[0]
    by_start = {m.start: m for m in ms}
    assert by_start[0].label in ("GPE", "LOC")                                  # the dateline
    venue = text.index("in Chicago") + 3
    assert by_start[venue].label in ("GPE", "LOC")
    assert all(m.label == "ORG" for m in ms if m.text == "Chicago" and m.start not in (0, venue))


def test_national_teams_keep_the_country():
    text = ("Japan beat Syria 2-1 in the World Cup qualifier on Tuesday, their coach praising the striker's header.\n"
            "Japan 2 Syria 1\nScotland 0 Wales 0")
    found = labels(text)
    for country in ("Japan", "Syria", "Scotland", "Wales"):
        assert "ORG" not in found[country], country


def test_teams_are_not_geocoded():
    article = ParsedArticle(id="t1", url="https://example.test/r", source={"domain": "example.test"},
                            title="Porto beat Valencia", authors=[], section=None, published_at=None,
                            language="en", text=MATCH_REPORT, word_count=60, content_hash="x", signature=[], flags=[],
                            pipeline={}, extra={})
    enriched, _ = enrich_article(article, find_mentions([article.text], "accurate")[0])
    places = {surface for loc in enriched.locations for surface in loc["mentions"]}
    assert not places & {"Porto", "Valencia", "Aston Villa", "Sheffield United"}
    assert {"ORG"} == {e["label"] for e in enriched.entities if e["canonical"] in ("Porto", "Valencia")}


def test_a_name_listed_beside_a_team_is_a_team():
    found = labels(COUNTY_CRICKET)
    assert found["Leicestershire"] == {"ORG"}
    assert found["Worcestershire"] == {"ORG"}


def test_scorecard_names_are_people():
    spans = [COUNTY_CRICKET[s:e] for s, e in player_spans(COUNTY_CRICKET)]
    assert {"P. Simmons", "V. Wells", "Wasim Akram", "Lampitt", "Illingworth"} <= set(spans)
    found = labels(COUNTY_CRICKET)
    for person in ("P. Simmons", "V. Wells", "Lampitt", "Illingworth"):
        assert found.get(person) == {"PERSON"}, person


def test_a_model_span_across_a_score_is_split_into_the_two_teams():
    from streams.enrich.entities import Mention
    text = "The derby ended in a draw after extra time in the league.\nNorthgate Athletic 1 Harbour Town 1"
    line = text.index("Northgate")
    wrong = Mention("Northgate Athletic 1 Harbour", "ORG", line, line + len("Northgate Athletic 1 Harbour"))
    out = mark_teams(text, [wrong])
    assert [(m.text, m.label) for m in out] == [("Northgate Athletic", "ORG"), ("Harbour Town", "ORG")]


def test_outside_sport_mentions_come_back_unchanged():
    from streams.enrich.entities import Mention
    ms = [Mention("Porto", "GPE", 15, 20, "Porto")]
    assert mark_teams(POLITICS, ms) == [Mention("Porto", "GPE", 15, 20, "Porto")]


@pytest.mark.parametrize("sentence, club", [
    ("Leeds beat Bolton 2-0 in the league. The loss was Bolton's fourth in five matches.", "Bolton"),
    ("Preston sit three points behind Swindon after the league match on Saturday, their striker injured.",
     "Swindon"),
    ("The striker, who joined Leeds from Nantes in the close season, scored twice in the league match.", "Nantes"),
    ("The league title race tightened as Portsmouth, who thrashed Oxford 4-0, closed in on the leaders.",
     "Portsmouth"),
    ("The goalkeeper thanked the fans of Sunderland after the league match, his last before he retires.",
     "Sunderland"),
])
def test_prose_cues_make_a_town_a_club(sentence, club):
    found = labels(sentence)
    assert found.get(club) == {"ORG"}, found


def test_a_town_no_cue_reads_stays_off_the_map_in_a_sports_story_but_the_venue_does_not():
    text = ("Leeds beat Bolton 2-1 in the league on Saturday, their striker scoring twice.\n"
            "The win lifts them above Swindon , Wigan and Burnley on goal difference, and the next match is in "
            "Preston.")
    article = ParsedArticle(id="t2", url=None, source={"domain": None}, title=None, authors=[], section=None,
                            published_at=None, language="en", text=text, word_count=30, content_hash="y",
                            signature=[], flags=[], pipeline={}, extra={})
    enriched, _ = enrich_article(article, find_mentions([text], "accurate")[0])
    mapped = {surface for loc in enriched.locations for surface in loc["mentions"]}
    assert "Preston" in mapped                        # "in Preston": the place
    assert not mapped & {"Leeds", "Bolton", "Swindon", "Wigan", "Burnley"}   # a list is no "town , county"


def _mapped(text: str) -> set[str]:
    article = ParsedArticle(id="t3", url=None, source={"domain": None}, title=None, authors=[], section=None,
                            published_at=None, language="en", text=text, word_count=40, content_hash="z",
                            signature=[], flags=[], pipeline={}, extra={})
    enriched, _ = enrich_article(article, find_mentions([text], "accurate")[0])
    return {surface for loc in enriched.locations for surface in loc["mentions"]}


def test_a_national_team_keeps_its_label_but_not_the_map_unless_read_as_the_place():
    text = ("Norway beat Malta 3-0 in Oslo on Wednesday, their striker scoring twice in the qualifier.\n"
            "Norway 3 Malta 0\n"
            "Malta's coach said the squad would return to the league next week.")
    assert not _mapped(text) & {"Norway", "Malta"}
    assert "Oslo" in _mapped(text)
    found = labels(text)
    assert "ORG" not in found["Norway"] and "ORG" not in found["Malta"]
    hosted = text + "\nThe return match will be played in Malta in March."
    assert "Malta" in _mapped(hosted)


def test_a_small_town_no_cue_reads_stays_off_the_map_in_a_sports_story():
    text = ("Rovers beat City 2-1 in the league on Saturday, their striker scoring twice after the break.\n"
            "Supporters travelled from Darlington and Hartlepool , and the coach praised his defenders.")
    assert not _mapped(text) & {"Darlington", "Hartlepool"}     # towns under the big-city size, too
    assert "Darlington" in _mapped("Buses from Darlington and Hartlepool were cancelled on Tuesday after the flooding.")


def test_outside_sport_every_place_is_mapped():
    ms = find_mentions([POLITICS], "accurate")[0]
    assert all(m.geocode for m in ms)


def test_results_told_in_prose_and_clubs_named_after_their_town():
    text = ("Westfalia Dortmund beat Kaltenbach Bremen 3-1 in the league on Saturday, while Hertha Berlin drew 0-0 "
            "with Eintracht Rostock, whose striker missed a penalty.")
    found = labels(text)
    assert found.get("Kaltenbach Bremen") == {"ORG"}, found          # a name between a result verb and a score
    assert found.get("Hertha Berlin") == {"ORG"}, found               # "X drew", X ends in a town: the club


def test_a_players_sets_are_no_team_slot_and_scores_leave_names():
    text = "In the tennis tournament, Pete Sampras beat Andre Jackson 6-3 6-4 and Tim Henman lost to Boris Becker 7-5 6-2."
    ms = find_mentions([text], "accurate")[0]
    assert not any(m.label == "ORG" for m in ms if m.text in ("Andre Jackson", "Boris Becker"))
    assert all(text[m.start:m.end] == m.text and not m.text[-1].isdigit() for m in ms)
