"""Event actors: the noun phrase of a source or target, and what it names (entity, country, role).

An actor is built from the head word the parse gives (subject, object, agent): the phrase is the head with its
determiners, modifiers, compounds, possessor, "of" phrase and conjuncts ("Israel and Hamas"); its ``canonical``
name is the entity (from the entities stage) that covers the head; its ``country_code`` comes from a place the
article resolved (locations), else a country name or demonym inside the phrase ("Syrian government" -> SY); its
``role`` from the head noun's class, in the spirit of CAMEO's agent codes (GOV, MIL, COP, REB, JUD...).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

from streams.classify.events.syntax import Sentence
from streams.enrich.sports import sports_article

# CAMEO-like roles from the head noun (or a compound before it: "security forces", "police officer")
ROLES = {
    "government": "government administration ministry ministries minister ministers president presidents premier "
                  "chancellor king queen monarch cabinet official officials authorities authority spokesman "
                  "spokeswoman spokesperson embassy ambassador ambassadors diplomat diplomats envoy envoys mayor "
                  "governor governors regime leader leaders secretary department state kremlin junta council "
                  "prime regulator regulators",
    "military": "army armies military troops troop soldier soldiers forces navy marines commander commanders general "
                "generals jets jet warplanes warplane warships warship coalition airforce battalion brigade "
                "peacekeepers pilot pilots",
    "police": "police policeman policemen policewoman officer officers cops cop gendarmes gendarmerie guards "
              "agents",
    "rebels": "rebels rebel militants militant insurgents insurgent fighters fighter jihadists jihadist guerrillas "
              "guerrilla gunmen gunman terrorists terrorist attackers attacker extremists extremist militia "
              "militias bomber bombers assailants assailant separatists separatist",
    "judiciary": "court courts judge judges prosecutor prosecutors tribunal justice justices attorney attorneys",
    "legislature": "parliament parliamentarians lawmakers lawmaker legislators legislator legislature senate "
                   "senator senators congress congressman congresswoman congressmen mp mps assembly",
    "opposition": "opposition protesters protester protestors demonstrators demonstrator activists activist "
                  "dissidents dissident campaigners",
    "civilians": "civilians civilian people residents resident villagers children child women men refugees "
                 "refugee migrants migrant students student workers worker families family passengers patients "
                 "citizens worshippers pilgrims",
    "detainees": "prisoners prisoner hostages hostage detainees detainee captives captive inmates inmate",
    "media": "newspaper newspapers media journalists journalist reporters reporter broadcaster outlet outlets "
             "magazine agency",
    "business": "company companies firm firms bank banks corporation corporations industry",
    "experts": "researchers researcher scientists scientist experts expert analysts analyst academics academic "
               "professor professors doctors doctor economists economist inspectors inspector investigators "
               "investigator monitors observers",
    "organisation": "hospital hospitals university universities school schools church churches commission "
                    "committee board union unions association associations foundation institute federation party "
                    "parties organization organisation organizations organisations",
    "ngo": "charity charities ngo ngos watchdog",
}
ROLE_OF = {word: role for role, words in ROLES.items() for word in words.split()}
STATE_ROLES = frozenset({"government", "military", "police", "rebels", "judiciary", "legislature"})
ACTOR_LABELS = frozenset({"PERSON", "ORG", "GPE", "NORP"})
# the press attributing a story ("according to AP", "the Post reported") is the report, not an event of its own
MEDIA_WORDS = frozenset("news times post press journal herald tribune gazette telegraph guardian magazine daily "
                        "tv television radio reuters afp ap bbc cnn msnbc fox nbc abc cbs bloomberg politico "
                        "observer insider axios newsweek".split())
SPEAKER_PRONOUNS = frozenset("he she they".split())
# a document speaks for whoever issued it ("a report released in Kigali alleged that ...", "the resolution condemned
# ..."): the source of what it says beyond a plain statement (coder.DOCUMENT_ROOTS), never the actor of a deed
DOCUMENT_NOUNS = frozenset("report reports study statement communique communiqué resolution declaration letter memo "
                           "memorandum dossier document petition".split())
DOCUMENT_ROLE = "document"
PRONOUNS = SPEAKER_PRONOUNS | {"it", "i", "we", "you"}
ACTOR_LEFT_DEPS = frozenset({"det", "amod", "compound", "poss", "nummod", "nmod", "quantmod", "case", "npadvmod",
                             "advmod", "predet"})
ACTOR_RIGHT_DEPS = frozenset({"case", "conj", "cc", "appos"})
DETERMINER_WORDS = frozenset("a an the this these those that some any".split())
# when, not who: "filed a request on June 30", "in 2014"
TIME_WORDS = frozenset("monday tuesday wednesday thursday friday saturday sunday today yesterday tomorrow tonight "
                       "morning evening night week weekend month year day days weeks months years january february "
                       "march april may june july august september october november december".split())


@dataclass(frozen=True)
class Actor:
    head: int                  # word index of the head
    first: int                 # first and last word of the phrase
    last: int
    name: str                  # the phrase as written, without a leading determiner
    canonical: str | None      # the entity covering the head
    label: str | None          # that entity's label
    country_code: str | None
    role: str | None

    def as_dict(self) -> dict:
        return {"name": self.name, "canonical": self.canonical, "country_code": self.country_code,
                "role": self.role}

    @property
    def is_pronoun(self) -> bool:
        return self.first == self.last and self.name.lower() in PRONOUNS


class ArticleActors:
    """Per-article lookups: entity spans, and the country of each place name the article resolved."""

    def __init__(self, text: str, entities: Sequence[dict], locations: Sequence[dict]):
        self.text = text
        self.entities = sorted((e for e in entities if isinstance(e.get("start"), int)
                                and isinstance(e.get("end"), int)), key=lambda e: e["start"])
        self.has_entities = bool(self.entities)        # without NER spans, a proper noun may be any actor
        self.is_sport = sports_article(text)           # "Chelsea attacked", "beat", "shot": play, not force
        self.place_country: dict[str, str] = {}
        for loc in locations:
            cc = loc.get("country_code")
            if not cc:
                continue
            for form in {*(loc.get("mentions") or ()), loc.get("name") or ""}:
                if form:
                    self.place_country.setdefault(form.casefold(), cc)

    def entity_at(self, start: int, end: int) -> dict | None:
        for ent in self.entities:
            if ent["start"] > start:
                break
            if ent["start"] <= start and end <= ent["end"]:
                return ent
        return None

    def actor(self, sent: Sentence, head: int | None) -> Actor | None:
        if head is None:
            return None
        words = sent.words
        h = words[head]
        partitive = h.pos == "NUM" and _of_group(sent, head) is not None     # "one of the ministers"
        if h.pos in {"PUNCT", "SYM"} or (h.pos == "NUM" and not partitive) or h.tag in {"WDT", "WP"}:
            return None
        span = _phrase(sent, head)
        first, last = span[0], span[-1]
        while first < last and (words[first].norm in DETERMINER_WORDS or words[first].is_punct):
            first += 1
        while last > first and words[last].is_punct:
            last -= 1
        if words[first].norm in DETERMINER_WORDS or h.norm in TIME_WORDS or h.norm.isdigit():
            return None
        name = self.text[words[first].start:words[last].end]
        entity = self.entity_at(h.start, h.end)
        if entity is not None and entity.get("label") in {"DATE", "TIME", "CARDINAL", "PERCENT", "MONEY",
                                                          "QUANTITY", "ORDINAL"}:
            if not partitive:
                return None
            entity = None
        canonical = (entity.get("canonical") or entity.get("text")) if entity else None
        label = entity.get("label") if entity else None
        role = _role(sent, head)
        country = self._country(sent, first, last, entity)
        return Actor(head, first, last, name, canonical, label, country, role)

    def _country(self, sent: Sentence, first: int, last: int, entity: dict | None) -> str | None:
        if entity is not None:
            surface = self.text[entity["start"]:entity["end"]]
            for form in (surface, entity.get("canonical") or ""):
                if form.casefold() in self.place_country:
                    return self.place_country[form.casefold()]
        words = sent.words[first:last + 1]
        for n in (3, 2, 1):                          # "United States", "South Korean", "Syrian"
            for k in range(len(words) - n + 1):
                gram = self.text[words[k].start:words[k + n - 1].end]
                cc = self.place_country.get(gram.casefold()) or country_of_name(gram)
                if cc:
                    return cc
        return None


def _phrase(sent: Sentence, head: int) -> list[int]:
    """Word indices of the actor phrase headed at ``head``."""
    out = {head}
    for kid in sent.kids(head):
        if kid.i < head and kid.dep in ACTOR_LEFT_DEPS:
            out.update(sent.subtree(kid.i))
        elif kid.i > head and (kid.dep in ACTOR_RIGHT_DEPS or (kid.dep == "prep" and kid.norm == "of")):
            out.update(sent.subtree(kid.i))
    lo, hi = min(out), max(out)
    return list(range(lo, hi + 1))


QUANTITY_NOUNS = frozenset("thousands hundreds dozens millions tens scores group groups crowd crowds number "
                           "members member".split())


def _of_group(sent: Sentence, head: int) -> int | None:
    """The group word of "X of the group" ("thousands of people", "one of the ministers")."""
    for prep in sent.kids(head, {"prep"}):
        if prep.norm == "of":
            for obj in sent.kids(prep.i, {"pobj"}):
                return obj.i
    return None


def _role(sent: Sentence, head: int) -> str | None:
    word = sent.words[head]
    if word.norm in QUANTITY_NOUNS or word.pos == "NUM":  # "thousands of people", "members of the opposition"
        group = _of_group(sent, head)
        if group is not None:
            return _role(sent, group) or ("opposition" if word.norm.startswith("crowd") else None)
        if word.norm.startswith("crowd"):
            return "opposition"
    role = ROLE_OF.get(sent.words[head].norm)
    if role is None:
        for kid in sent.kids(head, {"compound"}):
            role = ROLE_OF.get(kid.norm) or role
    return role


@lru_cache(maxsize=4096)
def country_of_name(name: str) -> str | None:
    """ISO code of a country name or demonym ("Syria", "Syrian", "United States"), from the gazetteer."""
    from streams.enrich.places import MATCH_ALTERNATE, MATCH_NAME, load_gazetteer, normalise_name

    gaz = load_gazetteer()
    key = normalise_name(name)
    if not key:
        return None
    if key in gaz.demonyms and name[:1].isupper():
        return gaz.demonyms[key]
    for index, how in gaz.by_name.get(key, ()):
        place = gaz.places[index]
        if place.kind == "C" and how in (MATCH_NAME, MATCH_ALTERNATE) and name[:1].isupper():
            return place.country_code
    return None


def is_media(actor: Actor) -> bool:
    """The press as the teller of a story: a media role noun, or a name with a media word that is not a person's."""
    if actor.role == "media":
        return True
    return actor.label != "PERSON" and any(w in MEDIA_WORDS for w in actor.name.lower().replace(".", "").split()) \
        and (actor.label == "ORG" or len(actor.name.split()) > 1 or actor.name.isupper())


def is_actor(actor: Actor | None, sent: Sentence, speaker: bool = False) -> bool:
    """A person, group, organisation or state an event can be coded for: a named entity, a proper noun, a role
    noun ("police", "the minister"), a country; a speaker may also be "he", "she", "they"."""
    if actor is None:
        return False
    if actor.is_pronoun:
        return speaker and actor.name.lower() in SPEAKER_PRONOUNS
    if is_document(actor, sent):
        return False
    if actor.label in ACTOR_LABELS or actor.role or actor.country_code:
        return True
    return sent.words[actor.head].pos == "PROPN"


def is_described_person(actor: Actor | None, sent: Sentence) -> bool:
    """A common noun the sentence itself says is a person: "strategists who spoke to NBC", "a friend of mine who
    was ...", "a person familiar with the investigation". Enough for a speaker of a statement, not for a deed."""
    if actor is None or actor.is_pronoun:
        return False
    head = sent.words[actor.head]
    if head.pos != "NOUN":
        return False
    for kid in sent.kids(head.i):
        if kid.dep == "relcl" and any(k.norm in {"who", "whom"} for k in sent.kids(kid.i, {"nsubj", "nsubjpass",
                                                                                              "dobj"})):
            return True
        if kid.dep == "amod" and kid.norm == "familiar" and any(k.norm == "with" for k in sent.kids(kid.i, {"prep"})):
            return True
    return False


def is_document(actor: Actor, sent: Sentence) -> bool:
    """A report, resolution, letter... with no issuer's role of its own ("a police report" is police): no actor, but
    the coder lets it voice what its issuer alleges or demands (coder.DOCUMENT_ROOTS)."""
    return actor.role is None and actor.label is None and sent.words[actor.head].norm in DOCUMENT_NOUNS


def is_political(actor: Actor | None, sent: Sentence, has_entities: bool = True) -> bool:
    """May use force in CAMEO's sense (18-20): a state or armed role, an organisation, a country or government
    (without entity spans, any proper noun)."""
    if actor is None or actor.is_pronoun:
        return False
    if actor.role in STATE_ROLES:
        return True
    if actor.role in {"civilians", "media", "business", "ngo", "opposition"}:
        return False
    if actor.label is not None:
        return actor.label in {"ORG", "GPE", "NORP"}
    return actor.country_code is not None or (sent.words[actor.head].pos == "PROPN" and not has_entities)
