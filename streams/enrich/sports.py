"""Teams are organisations: in sports context, a place name that stands for a club is a team, not a place.

``mark_teams(text, mentions)`` runs after ``entities.clean_mentions`` (article.find_mentions). It reads structure,
not lists of clubs:

- **Is the article about sport?** Sport words (match, innings, striker, league...), scores ("2-1") and results
  lines, counted against the article's length (``sports_article``). Nothing below happens outside sport.
- **Results and tables**: "Barcelona 2 Real Madrid 1" (a result), "KANSAS CITY 61 74 .452 20" (a standings row),
  "BOSTON AT OAKLAND" / "Kent v Surrey" (a fixture): the names in these slots are teams. Whole names are taken
  between the numbers, so "Bristol Rovers" is one team even where the model saw "Bristol" alone.
- **Prose slots**: "beat X", "drew with X", "lost to X", "X were beaten", "X's striker", "signed for X", ...
- **One name, one reading per article**: a name seen as a team is a team everywhere in the article, except where
  it is plainly the place: a dateline ("CHICAGO 1996-08-30"), "in / near / outside Chicago". A town no cue reads
  either way keeps its label but stays off the map (``Mention.geocode``); so does a country named as a team.
- **Players**: in results lines and scorecards, "J. Benjamin 4-17", "Wasim Akram c Smith b Jones 45" and
  "Scorers: Shearer 23" name people.

Conventions (docs/ENTITIES.md): a club is ORG with its name as written as canonical, and is not geocoded. A national
team keeps the country's label (LOC/GPE), as CoNLL-2003 annotates it ("Japan beat Syria 2-1": 554 country mentions
in the dev split's sports stories, all LOC, none ORG): the country is what it stands for; but like a club it is not
put on the map where the story names it as the team that played. The four home nations
(England, Scotland, Wales, Northern Ireland) field national teams and count as countries here. A stadium is a place
(FAC).
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import lru_cache

from streams.enrich.entities import (CORRECTIONS, Mention, _SpanSet, _clean_text, _is_first_name, full_name_words,
                                     place_kind)
from streams.textscan import find_whole_many

# --- settings --------------------------------------------------------------------------------------
SPORTS_MIN_SIGNALS = 2          # sport words + scores + results lines an article needs at least ...
SPORTS_MIN_DENSITY = 0.008      # ... and per word at least (a politics story that mentions "the match" is not sport)
RESULTS_LINES_ALONE = 2         # this many results/standings lines make an article sports whatever its words
MAX_TABLE_LINE = 400            # longer lines are prose: not searched for results or standings rows
HOME_NATIONS = frozenset({"england", "scotland", "wales", "northern ireland"})   # national teams, not clubs

# words of sport and little else: "victory", "defeat", "team", "manager", "title", "loss" are as common in
# politics and business, so they do not count
SPORT_WORDS = frozenset("""
match matches league leagues cup championship championships tournament tournaments semifinal semi-final
semi-finals quarterfinal quarter-final quarter-finals qualifier qualifiers fixture fixtures playoff playoffs
play-off play-offs standings
soccer football footballer footballers cricket rugby tennis golf golfer golfers baseball basketball hockey
athletics cycling cyclist boxing boxer motorsport racing sprint sprinter marathon olympic olympics prix
goal goals scorer scorers striker strikers midfielder midfielders defender defenders goalkeeper goalkeepers
penalty penalties free-kick half-time halftime kickoff kick-off extra-time injury-time equaliser equalizer
hat-trick
innings inning wicket wickets batsman batsmen bowler bowlers bowled batting bowling all-out not-out
pitcher pitchers pitched homer homers homered home-run hitter hitters rbi bullpen shortstop outfielder
quarterback touchdown touchdowns
scrum scrum-half fly-half lineout
tiebreak tie-break break-point grand-slam seeded
birdie birdies bogey bogeys putt leaderboard
laps podium grand-prix metres hurdles relay steeplechase javelin discus
teammate teammates stadium unbeaten relegated relegation
flyweight bantamweight featherweight lightweight welterweight middleweight cruiserweight heavyweight knockout
knock-out peloton indycar motocross
fifa uefa nba nfl nhl pga wba wbo wbc ibf icc iaaf
""".split())

# a name: capitalised words, with lower-case connectors inside ("Queens Park Rangers", "Sporting de Gijon")
_NAME = r"(?:[A-Z][\w'’.&-]*)(?: (?:[A-Z][\w'’.&-]*|de|del|da|di|do|dos|van|von|of|the|and|&))*?(?: [A-Z][\w'’.&-]*)?"
_PAREN = r"(?: \([^()\n]{1,40}\))?"
_SCORE = r"\d{1,3}"
_RESULT = re.compile(rf"(?<![\w-])(?P<a>{_NAME}){_PAREN} (?P<sa>{_SCORE}) (?P<b>{_NAME}){_PAREN} (?P<sb>{_SCORE})(?![\w.-])")
_STANDING = re.compile(rf"^\s*(?P<a>{_NAME}){_PAREN}(?: (?:\d+(?:\.\d+)?|\.\d+|-|\d+ \d/\d)){{3,}}\s*$")
# a cricket total: "Surrey 468", "Warwickshire 195 and 109", "Kent 429-7 declared", "Essex 214 for 5" (line start,
# or after a comma / "v"), then a bracket, comma, full stop or the line's end
_CRICKET_SCORE = r"\d{1,3}(?:-\d{1,2}| for \d{1,2})?(?: (?:declared|dec|all out))?"
_TOTAL = re.compile(rf"(?:^\s*|[,;:] |\bv )(?P<a>{_NAME}) {_CRICKET_SCORE}(?: and {_CRICKET_SCORE})?(?= \(| ?[,;.]|\s*$)")
_FIXTURE = re.compile(rf"^\s*(?P<a>{_NAME}) (?:AT|at|v|vs|v\.|vs\.|versus) (?P<b>{_NAME})(?: \([^()\n]*\))?\s*$")
# a result told in prose: the name right after a result verb and right before the score ("edged Lazio 1-0")
_PROSE_RESULT = re.compile(
    rf"\b(?:beat|beats|beating|defeated|edged|thrashed|routed|hammered|overcame|drew with|drew|lost to|lost|"
    rf"fell to|draw with|won at|won against|win over|victory over)\s+(?:the\s+)?(?P<a>{_NAME})(?: \([^()\n]{{1,40}}\))?"
    rf"\s+\d{{1,3}}-\d{{1,3}}(?![\w./-])(?!,? \d{{1,2}}-\d{{1,2}})")      # "6-3 6-4" is a player's sets
_SCORELINE = re.compile(r"(?<![\w.-])\d{1,3}-\d{1,3}(?![\w./-])")     # "2-1", not "1996-08-30" nor "107-2/32"
_DATELINE = re.compile(r"^\s*(?P<a>[A-Z][A-Za-z .,'’-]*?)(?:,\s*[A-Z][A-Za-z .'-]*)?\s+(?:\d{4}-\d{2}-\d{2}|\(\w+\)\s+-)")
_WORDS = re.compile(r"[a-z][a-z-]*")

# prose slots around a name (sports articles only): what ends just before it / starts just after it
_BEFORE_TEAM = re.compile(
    r"(?:\b(?:beat|beats|beating|defeated|defeating|thrashed|routed|edged|blanked|swept|hammered|overcame|"
    r"eliminated|knocked out|drew with|draw with|drawn with|draws with|tied with|lost to|lose to|loses to|losing to|"
    r"fell to|falls to|bowed to|went down to|(?:win|wins|won|victory|victories|triumph|lead|advantage) (?:over|against)|"
    r"against|v|vs|v\.|vs\.|versus|signed for|sign for|joined|joins|join|joining|played for|plays for|playing for|"
    r"scored for|pitched for|homered for|moved to|move to|transfer to|former|ex-|rivals|leaders|champions|"
    r"hosts|hosted|host|visit|visits|visited|visiting|face|faces|faced|facing|dismissed|dismiss|"
    r"title rivals|title hopefuls|points? (?:behind|ahead of|clear of|above|below)|fans of|supporters of|"
    r"(?:joined|joins|signed|moved|transferred|arrived|bought|recruited)\b[^.;]{0,30}\bfrom)\s+(?:the\s+)?)$",
    re.IGNORECASE)
_AFTER_TEAM = re.compile(
    r"^(?:\s*(?:'s?|’s?)?\s*(?:beat|beats|defeated|thrashed|routed|edged|blanked|swept|drew|draw|lost|lose|won|win|"
    r"wins|clinched|trailed|trail|led|lead|leads|scored|score|equalised|equalized|declared|were|are|have|had|has|reached|tied|"
    r"closed|batted|bowled|collapsed|replied|resumed|needed|finished|conceded|"
    r"manager|coach|captain|skipper|striker|midfielder|defender|goalkeeper|pitcher|outfielder|infielder|"
    r"shortstop|quarterback|batsman|bowler|player|players|side|squad|fans|supporters|chairman|"
    r"starter|reliever|teammates?|all-rounder|opener|batsmen|bowlers|forward|winger|full-back|centre|"
    r"fly-half|scrum-half|lock|prop|hooker|flanker|pitchers|hitters|rookie|veteran)\b|\s+\d{1,3}-\d{1,3}\b(?!,? \d{1,2}-\d{1,2})|"
    r"\s*(?:'s|’s)\s+(?:[A-Z][a-z]+\s+){0,2}[A-Z][a-z]+\s+(?:hit|homered|scored|pitched|struck|singled|doubled|"
    r"tripled|drove|made|took|finished|kicked|netted|headed)|"
    r"\s*,\s*(?:who|which)\s+(?:have\s+|had\s+)?(?:beat|beaten|thrashed|defeated|drew|lost|won|trail|trailed|lead|led|"
    r"host|hosted|face|faced)\b|\s*(?:'s|’s)\s+(?:\w+th|first|second|third)\b)", re.IGNORECASE)
_VENUE_BEFORE = re.compile(r"\b(?:in|near|outside)\s+$", re.IGNORECASE)    # "at"/"from" X: often the club
_PLACE_QUALIFIED = re.compile(r"\s*,\s*([A-Z][a-z]+(?: [A-Z][a-z]+)?)")      # "Arlington , Texas"
_QUALIFIES_PLACE = re.compile(r"([A-Z][a-z]+(?: [A-Z][a-z]+)?)\s*,\s*$")
_TRAILING_SCORES = re.compile(r"(?:\s+\d{1,3}-\d{1,3})+$")
_SCORE_TAIL = re.compile(r"[\s\d.–-]*$")
_POSSESSIVE = re.compile(r"^\s*(?:'s|’s|')\s*$")

# players
_SURNAME = r"[A-Z][a-z]*[A-Z]?[a-z]+"                     # "Butcher", "McCague", "DeFreitas"
_INITIAL_NAME = re.compile(rf"(?<![\w.])(?:[A-Z]\. ?){{1,3}}{_SURNAME}(?:[-'’ ]{_SURNAME})?(?=,? \(?\d)")
_CRICKET = re.compile(rf"^\s*(?P<bat>{_NAME}) (?:c (?P<c>{_NAME}) b (?P<b1>{_NAME})|c and b (?P<b2>{_NAME})|"
                      rf"st (?P<s>{_NAME}) b (?P<b3>{_NAME})|lbw b (?P<b4>{_NAME})|b (?P<b5>{_NAME})|run out|not out|"
                      rf"retired hurt)(?: \([^()\n]*\))? \d")
_SCORERS = re.compile(r"^\s*(?:Scorers?|Goalscorers?|Goals?|Try scorers?|Tries|Scorer)\s*:", re.IGNORECASE)
_SCORER_ITEM = re.compile(rf"(?P<n>{_NAME})(?: \(\w+\))? \(?\d{{1,3}}")


@dataclass(frozen=True)
class Line:
    start: int
    end: int
    text: str


def _lines(text: str) -> list[Line]:
    out, at = [], 0
    for part in text.split("\n"):
        out.append(Line(at, at + len(part), part))
        at += len(part) + 1
    return out


def _may_be_table(line: str) -> bool:
    """A line short enough to be a results or standings row, with a figure in it (the regexes are costly)."""
    return len(line) <= MAX_TABLE_LINE and any(c.isdigit() for c in line)


@lru_cache(maxsize=32)           # asked by enrich (teams) and classify (events) of the same text in one batch
def sports_article(text: str) -> bool:
    """Whether an article is about sport: sport words, scores and results lines, enough of them for its length."""
    if not isinstance(text, str) or not text:
        return False
    words = _WORDS.findall(text.lower())
    if not words:
        return False
    signals = sum(w in SPORT_WORDS for w in words) + len(_SCORELINE.findall(text))
    if not signals:                                 # a table alone (prices, polls) says nothing of sport
        return False
    table_lines = sum(1 for line in _lines(text) if _may_be_table(line.text)
                      and (_RESULT.search(line.text) or _STANDING.match(line.text)))
    signals += table_lines
    if table_lines >= RESULTS_LINES_ALONE and signals >= SPORTS_MIN_SIGNALS + table_lines:
        return True
    return signals >= SPORTS_MIN_SIGNALS and signals / len(words) >= SPORTS_MIN_DENSITY


def is_national(name: str) -> bool:
    """A name that is a country (or a home nation): its team keeps the country's label."""
    return place_kind(name) == "C" or name.lower() in HOME_NATIONS


def team_slots(text: str) -> list[tuple[int, int]]:
    """Character spans of names standing in a team's slot: results, standings rows, fixtures (structure only)."""
    spans = []
    for line in _lines(text):
        if _DATELINE.match(line.text) or _CRICKET.match(line.text):
            continue
        groups = []
        if len(line.text) > MAX_TABLE_LINE:                                 # prose: results told in words only
            groups += [(m, "a") for m in _PROSE_RESULT.finditer(line.text)]
        elif _may_be_table(line.text):
            groups += [(m, g) for m in _RESULT.finditer(line.text) for g in ("a", "b")]
            groups += [(m, "a") for m in _TOTAL.finditer(line.text)]
            m = _STANDING.match(line.text)
            groups += [(m, "a")] if m else []
            groups += [(m, "a") for m in _PROSE_RESULT.finditer(line.text)]
        m = _FIXTURE.match(line.text)                                       # "BOSTON AT OAKLAND": no figure
        groups += [(m, g) for g in ("a", "b")] if m else []
        for m, g in groups:
            s, e = m.span(g)
            spans.append((line.start + s, line.start + e))
    return spans


def player_spans(text: str) -> list[tuple[int, int]]:
    """Spans of people named in scorecards: "J. Benjamin 4-17", "Akram c Smith b Jones 45", "Scorers: Shearer 23"."""
    spans = []
    for line in _lines(text):
        for m in _INITIAL_NAME.finditer(line.text):
            spans.append((line.start + m.start(), line.start + m.end()))
        m = _CRICKET.match(line.text)
        if m:
            spans += [(line.start + m.start(g), line.start + m.end(g))
                      for g in ("bat", "c", "b1", "b2", "s", "b3", "b4", "b5") if m.group(g)]
        m = _SCORERS.match(line.text)
        if m:
            spans += [(line.start + m.end() + s.start("n"), line.start + m.end() + s.end("n"))
                      for s in _SCORER_ITEM.finditer(line.text[m.end():])]
    return spans


def _in_prose_slot(text: str, start: int, end: int) -> bool:
    line_start = text.rfind("\n", 0, start) + 1
    return bool(_BEFORE_TEAM.search(text[max(line_start, start - 40):start])
                or _AFTER_TEAM.match(text[end:end + 40]))


def _is_place_reading(text: str, line: Line, start: int) -> bool:
    """A dateline, or "in / near / outside X" in prose: the name stands for the place there."""
    dateline = _DATELINE.match(line.text)
    if dateline and start - line.start <= dateline.end("a"):
        return True
    return bool(_VENUE_BEFORE.search(text[max(line.start, start - 12):start])) and not _FIXTURE.match(line.text)


def _line_of(lines: list[Line], pos: int) -> Line:
    return lines[max(0, bisect.bisect_right(lines, pos, key=lambda line: line.start) - 1)]


def _can_be_team(name: str, label: str) -> bool:
    if not name or is_national(name) or label in ("NORP", "EVENT"):
        return False
    return label in ("ORG", "GPE", "LOC", "FAC") or bool(place_kind(name))


_COORDINATION = re.compile(r"^\s*(?:,|and|or|,\s*and|&)\s*$")


def _coordinated_teams(text: str, mentions: list[Mention], teams: set[str], person_words: set[str]) -> None:
    """Names listed with a team ("Essex , Derbyshire and Surrey") are teams too: adds them to ``teams``."""
    ordered = sorted(mentions, key=lambda m: m.start)
    changed = True
    while changed:
        changed = False
        for left, right in zip(ordered, ordered[1:]):
            if not _COORDINATION.match(text[left.end:right.start]):
                continue
            a, b = left.text.casefold(), right.text.casefold()
            if (a in teams) == (b in teams):
                continue
            other = right if a in teams else left
            if _can_be_team(other.text, other.label) and other.label != "PERSON" \
                    or other.label == "PERSON" and _team_not_person(other.text, person_words):
                teams.add(other.text.casefold())
                changed = True


def _team_not_person(name: str, person_words: set[str]) -> bool:
    """A name the model called a person, in a team's slot, that is a team: one word that no full person name of
    the article contains ("Derbyshire 362", but not "Sampras" of "Pete Sampras"), or several ending in a town and
    not starting with a first name or an initial ("Hertha Berlin", "Dynamo Kiev")."""
    words = name.split()
    if len(words) == 1:
        return name.casefold() not in person_words
    return place_kind(words[-1]) in ("P", "R") and not _is_first_name(words[0]) and not words[0].endswith(".")


def mark_teams(text: str, mentions: list[Mention]) -> list[Mention]:
    """Mentions with clubs relabelled ORG (canonical: the name as written) and scorecard players PERSON.

    Only in sports articles (``sports_article``); elsewhere the mentions come back unchanged. New mentions are
    added for names in team or player slots the model missed. The result is sorted by start.
    """
    if not CORRECTIONS["sports_teams"] or not sports_article(text):
        return mentions
    lines = _lines(text)

    teams: set[str] = set()
    nationals: set[str] = set()             # countries named as the team that played: their label stays, not the map
    slots = []
    for s, e in team_slots(text):
        name = _clean_text(text[s:e])
        if name[:1].isupper():
            slots.append((s, e, name))
    # a model span across a score ("Barcelona 2 Real") is no name: the slots' names replace it
    crossing = {id(m) for m in mentions for s, e, _ in slots
                if m.start < e and s < m.end and (m.start < s or m.end > e)
                and (m.label != "PERSON" or _SCORE_TAIL.match(text, e, m.end))}     # "Lazio 1-0" as a person
    if crossing:
        mentions = [m for m in mentions if id(m) not in crossing]
    spans = _SpanSet(mentions)
    person_words = full_name_words(mentions)
    for s, e, name in slots:
        held = [m for m in mentions if m.start < e and s < m.end]
        if is_national(name):                                # a national team: the country, found if missed
            nationals.add(name.casefold())
            if not held and spans.free(s, e):
                mentions.append(Mention(name, "GPE", s, e, name))
                spans.add(s, e)
            continue
        if any(m.label == "PERSON" for m in held) and not _team_not_person(name, person_words):
            continue
        teams.add(name.casefold())
        if not held and spans.free(s, e):
            mentions.append(Mention(name, "ORG", s, e, name))
            spans.add(s, e)
        elif len(held) == 1:
            held[0].start, held[0].end, held[0].text = s, e, name        # "Bristol" -> "Bristol Rovers"
    for m in mentions:
        club = (m.label != "PERSON" and _can_be_team(m.text, m.label)
                or m.label == "PERSON" and (place_kind(m.text) or " " in m.text)
                and _team_not_person(m.text, person_words))
        national = m.label in ("GPE", "LOC") and is_national(m.text)      # "Japan beat Syria", "Japan 's coach"
        if (club or national) and _in_prose_slot(text, m.start, m.end) \
                and not _is_place_reading(text, _line_of(lines, m.start), m.start):
            (nationals if national else teams).add(m.text.casefold())
    ordered = sorted(mentions, key=lambda m: m.start)
    for owner, person in zip(ordered, ordered[1:]):         # "Baltimore 's Eddie Murray": the club's player
        if person.label == "PERSON" and owner.label != "PERSON" and _can_be_team(owner.text, owner.label) \
                and _POSSESSIVE.match(text[owner.end:person.start]):
            teams.add(owner.text.casefold())
    _coordinated_teams(text, mentions, teams, person_words)
    for m in mentions:
        if m.text.casefold() in teams and (m.label != "PERSON" or _team_not_person(m.text, person_words)) \
                and not _is_place_reading(text, _line_of(lines, m.start), m.start):
            m.label, m.canonical = "ORG", m.text

    _recurring_teams(text, lines, mentions, teams)
    _keep_teams_and_doubtful_towns_off_the_map(text, lines, mentions, nationals)
    return _mark_players(text, mentions, teams)


def _keep_teams_and_doubtful_towns_off_the_map(text: str, lines: list[Line], mentions: list[Mention],
                                               nationals: set[str]) -> None:
    """What a sports story may name as the team stays off the map; its label stays (``Mention.geocode``):
    - a country the story names as a team ("Japan beat Syria 2-1"), in the whole article, as CoNLL keeps national
      teams LOC but issue 22 keeps teams off the map;
    - a town or region no cue reads either way (it may be the club), unless qualified ("Arlington , Texas").
    Both stay on the map where the text reads them as the place: a dateline, "in / near / outside X"."""
    for m in mentions:
        if m.label not in ("GPE", "LOC"):
            continue
        national = is_national(m.text)
        if national and m.text.casefold() not in nationals or not national and _qualified(text, m):
            continue
        if not _is_place_reading(text, _line_of(lines, m.start), m.start):
            m.geocode = False


def _qualified(text: str, m: Mention) -> bool:
    """"Arlington , Texas": a town followed by its region or country, or that region after a town."""
    after = _PLACE_QUALIFIED.match(text, m.end)
    if after and place_kind(after.group(1)) in ("C", "R"):
        return True
    before = _QUALIFIES_PLACE.search(text, max(0, m.start - 40), m.start)
    return bool(before) and place_kind(m.text) == "R" and place_kind(before.group(1)) == "P"


def _recurring_teams(text: str, lines: list[Line], mentions: list[Mention], teams: set[str]) -> None:
    """A team's name where the model left it untagged ("Leicestershire and Worcestershire both closed...")."""
    spans = _SpanSet(mentions)
    names = {m.text for m in mentions if m.label == "ORG" and m.text.casefold() in teams}
    for name, s, e in find_whole_many(text, names):
        if spans.free(s, e) and not _is_place_reading(text, _line_of(lines, s), s):
            mentions.append(Mention(name, "ORG", s, e, name))
            spans.add(s, e)


def _mark_players(text: str, mentions: list[Mention], teams: set[str]) -> list[Mention]:
    """Scorecard names as people; a model span over more than the name ("G. Kersey 63", "Akram c Lampitt b
    Illingworth") gives way to the names. Sorted by start."""
    players = []
    for s, e in player_spans(text):
        name = _clean_text(text[s:e])
        if name and not is_national(name) and name.casefold() not in teams:
            players.append((s, e, name))
    wider = {id(m) for m in mentions for s, e, _ in players
             if m.start < e and s < m.end and (m.start, m.end) != (s, e) and m.text.casefold() not in teams}
    mentions = [m for m in mentions if id(m) not in wider]
    for m in mentions:                                         # "Boris Becker 7-5 6-2": the name without the score
        tail = _TRAILING_SCORES.search(m.text)
        if tail and tail.start() > 0:
            m.end -= len(m.text) - tail.start()
            m.text = m.text[:tail.start()]
            m.canonical = m.text if m.canonical.startswith(m.text) else m.canonical
    spans = _SpanSet(mentions)
    for s, e, name in players:
        held = [m for m in mentions if m.start < e and s < m.end]
        if not held and spans.free(s, e):
            mentions.append(Mention(name, "PERSON", s, e, name))
            spans.add(s, e)
        elif len(held) == 1 and (held[0].start, held[0].end) == (s, e):
            held[0].label = "PERSON"
    mentions.sort(key=lambda m: m.start)
    return mentions
