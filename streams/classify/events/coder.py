"""The event coder: sentences in, CAMEO events with actors and place out.

For each sentence that may hold a trigger (a word test on the lexicon), the dependency parse decides:

1. **Is the trigger an event?** A verb trigger must be tagged a verb ("attack drone", "murder suspect" are not);
   a noun trigger must be told as happening: the object of a support verb ("launched air strikes", "held
   talks"), the subject of a verb ("the air strike killed five"), the cause of a harm ("killed in an air
   strike"), or a headline's head with a target ("Air strikes on Idlib"). A noun only mentioned ("the 1994
   genocide", "condemned the attack") is not.
2. **Did it happen?** ``syntax.irrealis_reason``: negation, modal or future, an unrealised "to" clause, a
   conditional, a denial, a hypothetical frame, a question, an imperative.
3. **Who did it to whom?** Subject and object (agent and subject for passives), shared subjects across "and" and
   participles, relative clauses to their antecedent; for nouns the possessor, an actor modifier ("Russian air
   strikes"), "by X", or the support verb's subject.
4. **Is it CAMEO's?** Statements (01) only when the speaker is an actor and not the press reporting; assault and
   fighting (18-20) only between political actors: an armed, state or organised source (or, with no source
   named, a military or police victim), never a storm, a crash or a private crime; a more specific verbal act of
   the same speaker replaces its plain statement.
"""
from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Iterable, Sequence

from streams.classify.events.actors import (DOCUMENT_ROLE, PRONOUNS, Actor, ArticleActors, is_actor,
                                           is_described_person, is_document, is_media, is_political)
from streams.classify.events.lexicon import IGNORED, Lexicon, Match, find_triggers, load_lexicon
from streams.classify.events.syntax import (NOMINAL_POS, VERBAL_POS, Sentence, agent_of, irrealis_reason,
                                                has_future, is_imperative, is_intent, is_passive, object_of,
                                                parse_many, parse_sentences, passive_subject_of, subject_of)
from streams.enrich.tone import sentence_spans
from streams.textscan import find_whole

MAX_TEXT_CHARS = 200_000          # longer input is cut: bounded time on any article
MAX_EVENTS_PER_ARTICLE = 12       # keep only the most salient events
MAX_PARSED_SENTENCES = 12         # candidate sentences parsed per article, from the top (docs/EVENTS.md, "Cost")
PLACE_DEFAULT_LABELS = frozenset({"GPE", "LOC", "FAC"})

STATEMENT = "010"
VIOLENT_ROOTS = frozenset({"18", "19", "20"})
MATERIAL_ROOTS = frozenset({"06", "07", "08", "14", "15", "16", "17"})
INNER_OBJECT_ROOTS = frozenset({"08", "16", "17", "18"})   # "expelled _ ambassador", "released _ hostages"
PERSON_TARGET_CODES = frozenset({"0841", "043"})      # release, free, receive: people
MILITARY_SOURCE_CODES = frozenset({"0874"})           # withdraw, pull out: troops
# verbal acts: a speaker's more specific act replaces its plain statement
VERBAL_ROOTS = frozenset({"01", "02", "03", "04", "05", "09", "10", "11", "12", "13"})
# what a document may say for its issuer: appeal, demand, disapprove (accuse, condemn), reject; not a plain statement
DOCUMENT_ROOTS = frozenset({"02", "10", "11", "12"})
# nouns that name organised political violence by themselves (air strike, shelling, car bomb, assassination)
POLITICAL_NOUN_CODES = ("19", "20", "183", "185", "186")
STATE_VICTIM_ROLES = frozenset({"military", "police", "government"})
# what a death in an accident, a disaster or an illness is caused by: never CAMEO's assault or fight
ACCIDENT_WORDS = frozenset("crash crashes accident accidents collision collisions storm storms hurricane typhoon "
                           "cyclone flood floods flooding earthquake quake fire fires blaze avalanche landslide "
                           "landslides disease outbreak virus epidemic pandemic overdose heatwave tornado wildfire "
                           "wildfires drowning explosion illness cancer".split())
# a noun trigger that is the cause of one of these verbs happened ("killed in an air strike")
HARM_VERBS = "kill wound injure die destroy damage hit"
REPORT_LEMMAS = "report confirm document record"      # "reported 35 air strikes": told as having happened
# an act announced by its author has been done when it is coercive or forceful ("announced three arrests",
# "announced sanctions"); announced talks or aid may still lie ahead
ANNOUNCED_ROOTS = frozenset({"16", "17", "18", "19", "20"})
ANNOUNCING_LEMMAS = "announce"
# verbs of saying need a report of speech (a clause, a quotation, "in a statement"); "announce" does not
SAYING_LEMMAS = "say tell state add note explain confirm reiterate stress emphasize emphasise comment remark tweet " \
                "testify write post assert argue claim reveal acknowledge highlight indicate insist warn"
INTENT_NOUNS = frozenset("plan plans intention intentions commitment pledge readiness willingness".split())
ORDER_LEMMAS = "tell order instruct direct"
TOPIC_SPEECH_LEMMAS = "stress emphasize emphasise highlight reiterate"      # verbs of saying whose object is a topic
# what a statement says can make it a more specific verbal act (codebook: 010 only when nothing more specific)
APPEAL_MODALS = frozenset("should ought".split())      # a suggestion: 020
DEMAND_MODALS = frozenset("must".split())               # an order: 100
DISAPPROVAL_WORDS = frozenset("disappointing disappointed unacceptable outrageous shameful disgraceful appalling "
                              "deplorable regrettable reprehensible irresponsible scandalous abhorrent "
                              "disgusting".split())
NOMINAL_DEPS = frozenset({"nsubj", "nsubjpass", "dobj", "pobj", "compound", "amod", "attr", "appos", "poss"})
CONSULT_ROOTS = frozenset({"04", "05"})
SPEECH_NOUNS = frozenset("statement interview letter post tweet speech briefing conference remarks".split())
QUOTES = frozenset('" “ ” « » \''.split())
KILLING_CODES = frozenset({"1823", "190", "180"})      # folded into the attack noun that is their subject
# what an actor says it will do is coded as its intent (03) or threat (13), by the root of the deed
INTENT_BY_ROOT = {"04": "036", "05": "032", "06": "031", "07": "033", "08": "035", "14": "133", "16": "131",
                  "17": "132", "18": "138", "19": "138", "20": "138"}
INTENT_BY_CODE = {"0841": "0353", "081": "0351", "0871": "0356", "0874": "0356"}
# ... and a cooperation it says it will not give is a rejection (12)
REFUSAL_BY_ROOT = {"03": "120", "04": "125", "05": "120", "06": "121", "07": "122", "08": "124"}
COERCION_BY_CROWDS = "145"      # property destroyed, places blocked by protesters: a violent protest, not coercion


@dataclass
class _Candidate:
    code: str
    match: Match
    kind: str                     # "verb" | "noun"
    anchor: int                   # the verb the event hangs on (the trigger itself for verbs)
    head: int                     # the trigger's head word
    source: Actor | None
    target: Actor | None
    speech: bool = False          # a statement verb (its code may be refined from what was said)
    intent: bool = False          # a deed stated as intent, coded 03x / 13x


def extract_events(text: str, entities: Sequence[dict] = (), locations: Sequence[dict] = (),
                   sentences: list[Sentence] | None = None) -> list[dict]:
    """CAMEO events in ``text``, in reading order, at most ``MAX_EVENTS_PER_ARTICLE``.

    ``entities``: [{"text","label","start","end","canonical"}] char spans in ``text``;
    ``locations``: [{"name","country_code","lat","lon","mentions":[...]}]. Both optional.
    ``sentences``: the parsed candidate sentences of ``text`` when the caller parsed them already
    (``parse_event_sentences``, one parser pass for a batch of articles); parsed here otherwise.
    Each event: {"code","root","label","code_label","quad_class","quad_label","goldstein","sentence","trigger",
    "trigger_kind","actors":{"source","target"},"source_actor","target_actor","place"}; an actor is
    {"name","canonical","country_code","role"} or None.
    """
    if not text or not text.strip():
        return []
    lexicon = load_lexicon()
    text = text[:MAX_TEXT_CHARS]
    if sentences is None:
        sentences = parse_sentences(text, candidate_spans(text))
    ctx = ArticleActors(text, entities, locations)
    mentions = _place_mentions(text, ctx.entities, locations)
    found: list[dict] = []
    for sent in sentences:
        found.extend(events_in_sentence(sent, text, ctx, mentions, lexicon))
    return [found[k] for k in sorted(select_salient(found))]


def candidate_spans(text: str) -> list[tuple[int, int]]:
    """The sentences of ``text`` worth parsing: some lexicon pattern can match in full, or "according to"; each
    distinct sentence once (a repeated headline or pull quote), at most MAX_PARSED_SENTENCES, from the top."""
    may_hold = load_lexicon().may_hold_event
    spans, seen = [], set()
    for start, end in sentence_spans(text):
        sentence = text[start:end]
        if sentence in seen:
            continue
        seen.add(sentence)
        if may_hold is None or may_hold(sentence) or "according to" in sentence.lower():
            spans.append((start, end))
            if len(spans) >= MAX_PARSED_SENTENCES:             # the parse is the cost: the lead is read first
                break
    return spans


def parse_event_sentences(texts: Sequence[str]) -> list[list[Sentence]]:
    """The parsed candidate sentences of each text, for ``extract_events(..., sentences=)``: one parser pass over a
    batch of articles."""
    texts = [(t or "")[:MAX_TEXT_CHARS] for t in texts]
    return parse_many([(t, candidate_spans(t) if t.strip() else []) for t in texts])


def events_in_sentence(sent: Sentence, text: str, ctx: ArticleActors, mentions, lexicon: Lexicon) -> list[dict]:
    """Coded events of one parsed sentence: at most one per (code, source)."""
    matches = [m for m in find_triggers(sent.words, lexicon) if m.pattern.code != IGNORED]
    governors = frozenset(m.start for m in matches if m.pattern.kind == "verbs")
    candidates: list[_Candidate] = []
    for match in matches:
        candidate = _candidate(sent, match, ctx, lexicon, governors)
        if candidate is not None and _is_cameo(sent, candidate, ctx):
            candidates.append(candidate)
    candidates += _according_to(sent, ctx, lexicon, candidates)
    candidates = _specific_intents_replace_generic(sent, candidates)
    candidates = _specific_acts_replace_statements(sent, candidates)
    return _events(sent, text, candidates, mentions, lexicon)


# --- 1-3: trigger, realis, roles -----------------------------------------------------------------------------

def _candidate(sent: Sentence, match: Match, ctx: ArticleActors, lexicon: Lexicon,
               governors: frozenset) -> _Candidate | None:
    code = match.pattern.code
    if match.pattern.kind == "verbs":
        head = match.start
        word = sent.words[head]
        if word.dep in NOMINAL_DEPS and word.tag in {"VBG", "NN", "NNS"}:
            return _noun_candidate(sent, match, head, ctx, lexicon, governors)   # "limited visiting", "the killing"
        if word.pos not in VERBAL_POS or word.dep == "amod" or is_imperative(sent, head):
            return None                                        # "the proposed wall", "the arrested man"
        if code == STATEMENT and word.norm in _forms(SAYING_LEMMAS) and not _is_speech(sent, head) \
                and _statement_code(sent, head) == STATEMENT:
            return None                                        # "added five countries", but "told X to stop"
        if code[:2] == "03" and any(w.norm == "to" and w.tag != "TO" for w in sent.words[match.start:match.end]):
            return None                                        # "offered to the public" is not "offered to help"
        reason = irrealis_reason(sent, head, governors - {head})
        intent = None
        if reason in {"modal", "unrealised", "governed"} and _intent_code(code) and is_intent(sent, head):
            intent = code = _intent_code(code)                 # "will supply arms": intent to provide aid
        elif reason == "negated" and code[:2] in REFUSAL_BY_ROOT and has_future(sent, head):
            intent = code = REFUSAL_BY_ROOT[code[:2]]          # "would not provide support": a rejection
        elif reason:
            return None
        if is_passive(sent, head):
            source, target = agent_of(sent, head), passive_subject_of(sent, head)
        else:
            source, target = subject_of(sent, head), object_of(sent, head, within=range(match.start, match.end),
                                                              inner=code[:2] in INNER_OBJECT_ROOTS)
        if source is not None and sent.words[source].norm in REPORTED_PRONOUNS:
            source = _reporting_speaker(sent, head, source, ctx)   # "Israel announced it would free ...": Israel
        if target is not None and code[:2] in INNER_OBJECT_ROOTS and target in range(match.start, match.end):
            named = ctx.actor(sent, target)
            if named is None or (named.role is None and named.label is None and sent.words[target].pos != "PROPN"):
                target = object_of(sent, head, within=range(match.start, match.end))   # "sanctions on X"
        speech = code in {STATEMENT, "012"}
        if speech:
            refined = _statement_code(sent, head)
            code = code if refined == STATEMENT else refined
            target = None if code == STATEMENT else target
        return _Candidate(code, match, "verb", head, head, ctx.actor(sent, source), ctx.actor(sent, target), speech,
                          intent is not None)
    head = _phrase_head(sent, match)
    if sent.words[head].pos not in NOMINAL_POS:
        return None
    return _noun_candidate(sent, match, head, ctx, lexicon, governors)


def _noun_candidate(sent: Sentence, match: Match, head: int, ctx: ArticleActors, lexicon: Lexicon,
                    governors: frozenset) -> _Candidate | None:
    code = match.pattern.code
    anchor = _noun_anchor(sent, head, lexicon, code)
    if anchor is None or irrealis_reason(sent, anchor, governors):
        return None
    source = _noun_source(sent, head, anchor, ctx)
    target = None
    for kid in sent.kids(head, {"prep"}):
        if kid.norm in {"on", "against", "with", "targeting"}:
            obj = next(sent.kids(kid.i, {"pobj"}), None)
            if obj is not None:
                target = ctx.actor(sent, obj.i)
    if target is not None and _is_place(sent, target, ctx) and code[:2] in VIOLENT_ROOTS:
        target = None                                          # "air strikes on Saraqeb": where, not whom
    return _Candidate(code, match, "noun", anchor, head, source, target)


def _phrase_head(sent: Sentence, match: Match) -> int:
    inside = range(match.start, match.end)
    for k in inside:
        if sent.words[k].head not in inside or sent.words[k].head == k:
            return k
    return match.end - 1


def _noun_anchor(sent: Sentence, head: int, lexicon: Lexicon, code: str) -> int | None:
    """The verb through which an event noun is told as happening, or None if it is only mentioned."""
    w = sent.words[head]
    gov = sent.words[w.head]
    if w.dep in {"compound", "amod", "nmod", "poss"}:
        return None                                            # "attack drone", "murder suspect"
    if w.dep in {"dobj", "obj"} and gov.norm in _forms(REPORT_LEMMAS):
        return gov.i                                           # "reported more than 35 air strikes on Saraqeb"
    if w.dep in {"dobj", "obj"} and gov.norm in _forms(ANNOUNCING_LEMMAS) and code[:2] in ANNOUNCED_ROOTS:
        return gov.i                                           # "announced three arrests"
    if w.dep in {"dobj", "obj", "nsubjpass"} and gov.norm in lexicon.support_forms:
        return gov.i                                           # "launched air strikes", "talks were held"
    if w.dep == "conj" and gov.i != head:
        return _noun_anchor(sent, gov.i, lexicon, code)       # "held talks and a news conference"
    if w.dep == "nsubj" and gov.pos == "VERB":
        return gov.i                                           # "the air strike killed five"
    for kid in sent.kids(head, {"relcl"}):
        if kid.pos == "VERB" and any(k.tag in {"WDT", "WP"} and k.dep in {"nsubj", "nsubjpass"}
                                     for k in sent.kids(kid.i)):
            return kid.i                                       # "35 air strikes on Saraqeb which killed five"
    if w.dep == "pobj" and gov.dep in {"prep", "agent"} and gov.norm in {"in", "by", "during"}:
        verb = sent.words[gov.head]
        if verb.pos == "VERB" and verb.norm in _forms(HARM_VERBS):
            return verb.i                                      # "killed in an air strike"
    if w.dep == "pobj" and gov.norm in {"in", "at", "during"}:
        verb = sent.words[gov.head]
        if verb.pos in VERBAL_POS and (code[:2] in CONSULT_ROOTS or verb.norm in lexicon.support_forms):
            return verb.i                                      # "grew frustrated in a meeting", "engaged in a firefight"
    if w.dep == "ROOT" and any(k.norm in {"on", "against"} for k in sent.kids(head, {"prep"})):
        return head                                            # headline: "Air strikes on Idlib"
    return None


def _intent_code(code: str) -> str | None:
    return INTENT_BY_CODE.get(code) or INTENT_BY_ROOT.get(code[:2])


@lru_cache(maxsize=None)                   # keyed by the module's word-class constants: a fixed few
def _forms(lemmas: str) -> frozenset:
    """Every inflection of a word class (``HARM_VERBS``, ``SAYING_LEMMAS``...), built once."""
    return load_lexicon().forms(lemmas)


REPORTED_PRONOUNS = frozenset("it he she they".split())
REPORTING_LEMMAS = SAYING_LEMMAS + " announce declare pledge promise vow threaten"
ORGANISED_ROLES = frozenset({"government", "military", "police", "judiciary", "legislature", "organisation",
                             "business", "media", "ngo", "rebels"})
_COLLECTIVES = frozenset("government administration ministry army military police council court parliament "
                         "senate congress cabinet regime coalition authorities".split())     # never "he"/"she"


def _reporting_speaker(sent: Sentence, verb: int, pronoun: int, ctx: ArticleActors) -> int:
    """The subject of a reported clause that is a pronoun standing for the one who reports it: "Israel announced
    (that) it would free 150 prisoners", "the minister said he will visit" -> the reporting verb's subject, when
    the pronoun agrees with it ("it": a state, organisation or body; "he"/"she": a person or one holding a post;
    "they": a plural or a group, not a single state). Otherwise the pronoun itself."""
    node = sent.words[verb]
    while node.dep == "conj" and node.head != node.i:             # "said it would free X and release Y"
        node = sent.words[node.head]
    if node.dep != "ccomp" or sent.words[node.head].norm not in _forms(REPORTING_LEMMAS):
        return pronoun
    speaker = subject_of(sent, node.head)
    if speaker is None or speaker == pronoun or sent.words[speaker].norm in PRONOUNS:
        return pronoun
    actor = ctx.actor(sent, speaker)
    if actor is None:
        return pronoun
    word, p = sent.words[speaker], sent.words[pronoun].norm
    plural = word.tag in {"NNS", "NNPS"} or any(True for _ in sent.kids(speaker, {"conj"}))
    if p == "it":
        agrees = not plural and (actor.label in {"GPE", "ORG", "NORP"}
                                 or actor.label is None and (actor.role in ORGANISED_ROLES or actor.country_code))
    elif p in {"he", "she"}:                                       # a person, or one holding a post ("the minister")
        agrees = not plural and (actor.label == "PERSON" or actor.label is None and actor.role is not None
                                 and actor.role not in {"organisation", "business", "media", "ngo"}
                                 and word.norm not in _COLLECTIVES)
    else:                                                          # a plural, a group ("the company said they")
        agrees = plural or actor.label in {"ORG", "NORP"}
    return speaker if agrees else pronoun


def _statement_code(sent: Sentence, verb: int) -> str:
    """What a statement says: "told X to stop" is a demand (100), "X must" too; a suggestion ("X should ...") an
    appeal (020); "announced a plan to" an intent (030); words of disapproval a criticism (111); else 010."""
    w = sent.words[verb]
    if w.norm in _forms(ORDER_LEMMAS) and any(True for _ in sent.kids(verb, {"dobj", "dative"})) and any(
            k.dep == "aux" and k.tag == "TO" for x in sent.kids(verb, {"xcomp", "ccomp"}) for k in sent.kids(x.i)):
        return "100"
    if any(k.norm in INTENT_NOUNS for k in sent.kids(verb, {"dobj"})):
        return "030"
    said = [k for kid in sent.kids(verb, {"ccomp", "parataxis", "xcomp"}) for k in sent.subtree(kid.i)]
    if any(sent.words[k].norm in DEMAND_MODALS and sent.words[k].dep == "aux" for k in said):
        return "100"
    if any(sent.words[k].norm in APPEAL_MODALS and sent.words[k].dep == "aux" for k in said):
        return "020"
    quoted = said or range(len(sent.words))
    if any(sent.words[k].norm in DISAPPROVAL_WORDS for k in quoted):
        return "111"
    return STATEMENT


def _noun_source(sent: Sentence, head: int, anchor: int, ctx: ArticleActors) -> Actor | None:
    for kid in sent.kids(head, {"poss"}):                      # "Russia's bombing"
        if kid.tag != "PRP$" or anchor == head:
            return ctx.actor(sent, kid.i)
        break                                                  # "Yellen delivered her press conference": Yellen
    by = agent_of(sent, head)                                  # "an attack by rebels"
    if by is not None:
        return ctx.actor(sent, by)
    for kid in sent.kids(head, {"amod", "compound", "nmod"}):  # "Russian air strikes", "Israeli troops' raid"
        modifier = ctx.actor(sent, kid.i)
        if modifier is not None and (modifier.canonical or modifier.country_code):
            return modifier
    if anchor != head and sent.words[anchor].norm not in _forms(REPORT_LEMMAS):     # the reporter did not strike
        if is_passive(sent, anchor):
            agent = agent_of(sent, anchor)
            return ctx.actor(sent, agent) if agent is not None else None
        subject = subject_of(sent, anchor)
        if subject is not None and subject != head:
            return ctx.actor(sent, subject)
    return None


FINITE_TAGS = frozenset({"VBD", "VBP", "VBZ", "MD"})


def _is_speech(sent: Sentence, verb: int) -> bool:
    """A verb of saying used to report speech: with a clause or quotation, or "in a statement"."""
    w = sent.words[verb]
    if w.dep in {"parataxis", "ccomp"} and any(t.text in QUOTES for t in sent.words):
        return True
    for kid in sent.kids(verb):
        if kid.dep in {"ccomp", "parataxis"} or kid.dep == "xcomp" and kid.tag in FINITE_TAGS:
            return True                                 # a finite "xcomp" is a clause the parser attached so
        if kid.dep == "prep" and kid.norm in {"in", "on", "during"}:
            if any(o.norm in SPEECH_NOUNS for o in sent.kids(kid.i, {"pobj"})):
                return True
        if kid.dep in {"dobj", "dative"} and kid.norm in SPEECH_NOUNS | {"reporters", "journalists"}:
            return True
        if kid.dep == "dobj" and w.norm in _forms(TOPIC_SPEECH_LEMMAS):
            return True                                 # "stressed the danger of ...": what was said, as a noun
    return any(t.text in QUOTES for t in sent.words)


def _is_place(sent: Sentence, actor: Actor, ctx: ArticleActors) -> bool:
    return actor.label in PLACE_DEFAULT_LABELS - {"GPE"} or (
        actor.label == "GPE" and actor.role is None) or actor.name.casefold() in ctx.place_country


# --- 4: CAMEO's scope ---------------------------------------------------------------------------------------

ARMED_ROLES = frozenset({"military", "police", "rebels", "government"})   # force in a sports story: police, troops


def _is_cameo(sent: Sentence, c: _Candidate, ctx: ArticleActors) -> bool:
    root = c.code[:2]
    if c.source is not None and is_document(c.source, sent):     # "the report alleged", not "the report said"
        if c.kind != "verb" or root not in DOCUMENT_ROOTS or c.intent:
            return False
        c.source = replace(c.source, role=DOCUMENT_ROLE)
        return True
    if c.speech or c.intent:
        speaker = is_actor(c.source, sent, speaker=True) or c.speech and is_described_person(c.source, sent)
        return speaker and not is_media(c.source) and not _generic(sent, c.source)
    if c.source is not None and not is_actor(c.source, sent, speaker=True):
        return False                                           # "the law ratified", "you request"
    if c.code in PERSON_TARGET_CODES:                          # "released the mayor", not "released a report"
        return c.target is not None and (c.target.role not in {None, "business"} or c.target.label == "PERSON"
                                         or c.target.is_pronoun)
    if c.code in MILITARY_SOURCE_CODES and c.match.end - c.match.start == 1:
        return c.source is not None and c.source.role == "military"     # "troops withdrew", not "withdrew from"
    if root == "17" and c.source is not None and c.source.role == "opposition":
        c.code = COERCION_BY_CROWDS                            # protesters "demolished", "blocked"
        return True
    if root in VERBAL_ROOTS and root != "09" and c.kind == "verb" and c.source is None:
        return False                                           # "a cell accused of trafficking": by whom?
    if root in MATERIAL_ROOTS and c.source is not None and not is_actor(c.source, sent, speaker=True):
        return False                                           # "the interpreter shuts down"
    if root in VIOLENT_ROOTS:
        if _accident(sent, c):
            return False
        if ctx.is_sport and not (c.source is not None and c.source.role in ARMED_ROLES):
            return False                                       # a match report's "attacked", "shot", "beat"
        if c.kind == "noun" and c.code.startswith(POLITICAL_NOUN_CODES):
            return c.source is None or is_political(c.source, sent, ctx.has_entities)
        if c.source is not None:
            return is_political(c.source, sent, ctx.has_entities)
        return c.target is not None and c.target.role in STATE_VICTIM_ROLES
    return True


def _generic(sent: Sentence, actor: Actor) -> bool:
    """"experts say", "people said": a bare plural that names no one in particular."""
    head = sent.words[actor.head]
    return actor.first == actor.last and head.tag == "NNS" and actor.role in {None, "experts", "civilians"}


def _accident(sent: Sentence, c: _Candidate) -> bool:
    """A death or injury whose cause is a crash, a storm, a fire, an illness."""
    if c.source is not None and sent.words[c.source.head].norm in ACCIDENT_WORDS:
        return True
    for prep in sent.kids(c.anchor, {"prep", "agent"}):
        if prep.norm in {"in", "by", "during", "after", "from"}:
            if any(o.norm in ACCIDENT_WORDS for o in sent.kids(prep.i, {"pobj"})):
                return True
    return False


def _according_to(sent: Sentence, ctx: ArticleActors, lexicon: Lexicon, found: list[_Candidate]) -> list[_Candidate]:
    """"..., according to the ministry": a statement by the ministry (the press attributing is not one)."""
    out = []
    for w in sent.words[:-1]:
        if w.norm == "according" and sent.words[w.i + 1].norm == "to":
            obj = next(sent.kids(w.i + 1, {"pobj"}), None) or next(sent.kids(w.i, {"pobj"}), None)
            speaker = ctx.actor(sent, obj.i) if obj is not None else None
            if speaker is not None and is_actor(speaker, sent) and not is_media(speaker) \
                    and not irrealis_reason(sent, w.head):
                out.append(_Candidate(STATEMENT, Match(w.i, w.i + 2, _statement_pattern()), "verb",
                                      w.i, w.i, speaker, None, True))
    return out


@lru_cache(maxsize=1)
def _statement_pattern():
    """A 010 pattern of the lexicon, to stand as the trigger of an "according to" statement (found once)."""
    for patterns in load_lexicon().by_first.values():
        for p in patterns:
            if p.code == STATEMENT:
                return p
    raise ValueError("the lexicon has no 010 pattern")


def _specific_intents_replace_generic(sent: Sentence, candidates: list[_Candidate]) -> list[_Candidate]:
    """"agreed to lift the sanctions": the intent to ease sanctions (0351), not also a bare "agreed to" (030)."""
    governors = {sent.words[c.anchor].head for c in candidates if c.intent}
    return [c for c in candidates if not (c.code[:2] == "03" and not c.intent and c.anchor in governors)]


def _specific_acts_replace_statements(sent: Sentence, candidates: list[_Candidate]) -> list[_Candidate]:
    """A plain statement gives way to a more specific act of the same speaker, per the codebook's note on 010:
    a verbal act in the sentence ("criticised the decision, saying ...": 111, not also 010), or what the speaker
    says it did or will do ("Israel announced it would free 150 prisoners": 0353, not also 010)."""
    def speaker(c):
        return c.source.head if c.source is not None else None
    specific = {speaker(c) for c in candidates if not c.speech and c.code[:2] in VERBAL_ROOTS}
    keep = []
    for c in candidates:
        if c.speech and c.code == STATEMENT:
            if speaker(c) in specific:
                continue
            said = {k for kid in sent.kids(c.anchor, {"ccomp"}) for k in sent.subtree(kid.i)}
            if any(o is not c and o.anchor in said and o.source is not None
                   and (o.source.is_pronoun or o.source.name == c.source.name) for o in candidates):
                continue
        keep.append(c)
    return keep


# --- events -------------------------------------------------------------------------------------------------

def _event(code: str, lexicon: Lexicon) -> dict:
    root = code[:2]
    root_name, quad = lexicon.roots[root]
    name, goldstein = lexicon.codes[code]
    return {"code": code, "root": root, "label": root_name, "code_label": name, "quad_class": quad,
            "quad_label": lexicon.quad_labels[quad], "goldstein": goldstein}


def _events(sent: Sentence, text: str, candidates: list[_Candidate], mentions, lexicon: Lexicon) -> list[dict]:
    events: dict[tuple, dict] = {}
    hosts: dict[int, dict] = {}                                 # noun head -> its violent event
    for c in candidates:
        if c.code in KILLING_CODES and c.source is not None and c.source.head in hosts:
            host = hosts[c.source.head]                         # "35 air strikes ... which killed five civilians"
            if host["target_actor"] is None and c.target is not None:
                host["actors"]["target"], host["target_actor"] = c.target.name, c.target.as_dict()
            continue
        key = (c.code, c.source.name if c.source is not None else None)
        if key in events:
            continue
        words = sent.words
        trigger = text[words[c.match.start].start:words[c.match.end - 1].end]
        source = c.source
        target = c.target if c.target is None or source is None or c.target.name != source.name else None
        exclude = [(words[source.first].start, words[source.last].end)] if source is not None else []
        event = _event(c.code, lexicon)
        event.update({
            "sentence": text[sent.start:sent.end],
            "trigger": trigger,
            "trigger_kind": c.kind,
            "actors": {"source": source.name if source else None, "target": target.name if target else None},
            "source_actor": source.as_dict() if source else None,
            "target_actor": target.as_dict() if target else None,
            "place": _place_for(words[c.match.start].start, sent.start, sent.end, mentions, exclude),
        })
        events[key] = event
        if c.kind == "noun" and c.code[:2] in VIOLENT_ROOTS:
            hosts[c.head] = event
    return list(events.values())


def _salience(event: dict) -> float:
    material = 2.0 if event["quad_class"] in (2, 4) else 0.0
    return abs(event["goldstein"]) + material


def select_salient(events: Sequence[dict], limit: int = MAX_EVENTS_PER_ARTICLE) -> list[int]:
    """Indices of the events to keep: the best of every root code first, then the rest by salience."""
    order = sorted(range(len(events)), key=lambda k: (-_salience(events[k]), k))
    chosen, roots = [], set()
    for k in order:
        if events[k]["root"] not in roots:
            roots.add(events[k]["root"])
            chosen.append(k)
    chosen += [k for k in order if k not in set(chosen)]
    return chosen[:limit]


# --- places -------------------------------------------------------------------------------------------------

def _place_mentions(text: str, entities: Sequence[dict], locations: Sequence[dict]) -> list[tuple[int, int, str]]:
    """(start, end, place name) for every location mention: resolved locations first, then place entities."""
    name_of: dict[str, str] = {}
    for loc in locations:
        name = loc.get("name")
        if not name:
            continue
        for form in {*(loc.get("mentions") or ()), name}:
            if form and len(form) >= 2:
                name_of.setdefault(form, name)
    found: set[tuple[int, int, str]] = set()
    for form, name in name_of.items():
        for start, end in find_whole(text, form):
            found.add((start, end, name))
    covered = {(s, e) for s, e, _ in found}
    for ent in entities:
        if ent.get("label") in PLACE_DEFAULT_LABELS and (ent["start"], ent["end"]) not in covered:
            surface = ent.get("text") or text[ent["start"]:ent["end"]]
            name = name_of.get(surface) or name_of.get(ent.get("canonical") or "") or ent.get("canonical") or surface
            found.add((ent["start"], ent["end"], name))
    return sorted(found)


def _place_for(trigger_start: int, sent_start: int, sent_end: int, mentions: Sequence[tuple[int, int, str]],
               exclude: Iterable[tuple[int, int]]) -> str | None:
    lo = bisect_left(mentions, (sent_start,))
    inside = []
    for m in mentions[lo:]:
        if m[0] >= sent_end:
            break
        if m[1] <= sent_end and not any(s <= m[0] and m[1] <= e for s, e in exclude):
            inside.append(m)
    after = [m for m in inside if m[0] >= trigger_start]
    if after:
        return after[0][2]
    before = [m for m in inside if m[0] < trigger_start]
    return before[-1][2] if before else None
