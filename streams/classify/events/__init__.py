"""CAMEO event coding: ``extract_events(text, entities, locations)`` (see docs/EVENTS.md); a batch parses its
candidate sentences in one pass first (``parse_event_sentences``).

    lexicon.py   the trigger lexicon (streams/data/cameo/) and pattern matching
    syntax.py    spaCy's dependency parse of candidate sentences; realis, subject, object, agent
    actors.py    actor phrases and what they name: entity, country, role
    coder.py     the coder: triggers -> realised CAMEO events with actors and place
"""
from streams.classify.events.coder import (MAX_EVENTS_PER_ARTICLE, extract_events, parse_event_sentences,
                                           select_salient)
from streams.classify.events.lexicon import load_lexicon, verb_forms

__all__ = ["MAX_EVENTS_PER_ARTICLE", "extract_events", "load_lexicon", "parse_event_sentences", "select_salient",
           "verb_forms"]
