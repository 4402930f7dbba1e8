"""One answer to "who said it": the events stage's verbal events and the quotes stage's quotations agree.

The quotes stage (streams/enrich/quotes.py) finds the speaker of a quotation from the words around it and resolves
a pronoun to the last person named before the quote; the events stage reads the speaker off the dependency parse.
Where a verbal event (CAMEO 01-05, 09-13) and a quotation share a sentence, ``agree_on_speakers`` makes them name
the same speaker:

- the event's speaker is a pronoun or missing, the quote's is a name: the event takes the quote's (resolved)
  speaker, with its canonical entity name;
- the event's speaker is a name: the quote takes it (the parse's subject of the speech verb is the surer reading),
  unless the two already name the same person ("Lavrov" and "Foreign Minister Sergei Lavrov": both stay).
"""
from __future__ import annotations

from typing import Sequence

from streams.classify.events.actors import PRONOUNS
from streams.classify.events.coder import VERBAL_ROOTS

QUOTE_EDGE_CHARS = 40            # a quote is in a sentence when its first or last this many characters are


def agree_on_speakers(events: list[dict], quotes: list[dict], entities: Sequence[dict]) -> None:
    """Make each verbal event and each quotation of the same sentence name one speaker (both edited in place)."""
    canonical = {e.get("text", "").casefold(): e.get("canonical") or e.get("text") for e in entities if e.get("text")}
    for quote in quotes:
        text = (quote.get("text") or "").strip()
        if not text:
            continue
        for event in events:
            if event.get("root") not in VERBAL_ROOTS or not _quote_in(text, event.get("sentence") or ""):
                continue
            _agree(event, quote, canonical)


def _quote_in(quote: str, sentence: str) -> bool:
    return quote[:QUOTE_EDGE_CHARS] in sentence or quote[-QUOTE_EDGE_CHARS:] in sentence


def _is_name(speaker: str | None) -> bool:
    return bool(speaker) and speaker.strip().casefold() not in PRONOUNS


def _agree(event: dict, quote: dict, canonical: dict[str, str]) -> None:
    source = event.get("source_actor")
    said_by = quote.get("speaker")
    if source is None or not _is_name(source.get("name")):
        if _is_name(said_by):
            actor = {"name": said_by, "canonical": canonical.get(said_by.casefold(), said_by),
                     "country_code": None, "role": None}
            event["source_actor"] = actor
            event["actors"]["source"] = said_by
        return
    name = source.get("canonical") or source["name"]
    if said_by and _is_name(said_by):
        a, b = said_by.casefold(), name.casefold()
        if a in b or b in a:                                   # the same person, named more or less fully
            return
    quote["speaker"] = name
