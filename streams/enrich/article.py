"""ParsedArticle -> EnrichedArticle: who, where, when, what was said, how many, in what tone.

Batched on purpose: the statistical NER runs over a whole batch at once (``nlp.pipe``).
Near-duplicates are not decided here: they need the shared state of all workers (streams.enrich.dedupe).
"""
from __future__ import annotations

from streams.enrich.amounts import extract_amounts
from streams.enrich.dates import resolve_dates
from streams.enrich.entities import (PLACE_LABELS, Mention, clean_mentions, count_entities, dictionary_mentions,
                                     ner_mentions)
from streams.enrich.keywords import extract_keywords
from streams.enrich.organisations import mark_organisations
from streams.enrich.places import find_place_mentions, load_gazetteer, normalise_name, resolve_places
from streams.enrich.quotes import extract_quotes
from streams.enrich.sports import mark_teams
from streams.enrich.sources import source_reliability
from streams.enrich.tone import score_tone
from streams.records import EnrichedArticle, ParsedArticle

MODES = ("accurate", "fast")


def find_mentions(texts: list[str], mode: str) -> list[list[Mention]]:
    """Entity mentions of each text: spaCy NER (accurate) or dictionaries and the gazetteer (fast)."""
    if mode == "accurate":
        raw = ner_mentions(texts)
    elif mode == "fast":
        raw = [dictionary_mentions(t, find_place_mentions(t)) for t in texts]
    else:
        raise ValueError(f"unknown mode {mode!r}")
    # In order: countries, regions and big cities tagged ORG are relabelled inside streams.enrich.entities; smaller
    # towns here, from the article's own context (relabel_local_places); then companies (legal-form suffixes) and
    # media in apposition (streams.enrich.organisations); last, in sports articles, place names that stand for clubs
    # become teams again, and scorecard names people (streams.enrich.sports).
    return [mark_teams(text, mark_organisations(text, relabel_local_places(clean_mentions(ms))))
            for text, ms in zip(texts, raw)]


def relabel_local_places(mentions: list[Mention]) -> list[Mention]:
    """A one-word ORG that is a GeoNames place in a country the article already names, and no common English
    word, is that place ("Saraqeb" in an article about Syria). "Congress" stays an organisation: the word is common
    (and Congress, Arizona exists)."""
    orgs = [m for m in mentions if m.label == "ORG" and " " not in m.text and m.text[:1].isupper()
            and not m.text.isupper()]                                  # acronyms are organisations ("LIFFE")
    if not orgs:
        return mentions
    named = [{"text": m.text, "label": m.label, "count": 1} for m in mentions if m.label in PLACE_LABELS | {"NORP"}]
    countries = {loc["country_code"] for loc in resolve_places(named)}
    stopnames = load_gazetteer().stopnames
    for m in orgs:
        if normalise_name(m.text) in stopnames:
            continue
        found = resolve_places([{"text": m.text, "label": "GPE", "count": 1}])
        if found and found[0]["country_code"] in countries:
            m.label = "GPE"
    return mentions


def places_to_geocode(mentions: list[Mention], entities: list[dict] | None = None) -> list[dict]:
    """What resolve_places reads: the place and demonym entities ({text, label, count}), except names that are
    never read as the place (a town that may be the club in a sports story: ``Mention.geocode``)."""
    entities = count_entities(mentions) if entities is None else entities
    mapped = {(m.canonical.casefold(), m.label) for m in mentions if m.geocode}
    return [{"text": e["text"], "label": e["label"], "count": e["count"]} for e in entities
            if (e["label"] in PLACE_LABELS or e["label"] == "NORP") and (e["canonical"].casefold(), e["label"]) in mapped]


def enrich_article(article: ParsedArticle, mentions: list[Mention]) -> tuple[EnrichedArticle, list[dict]]:
    """Everything but NER for one article, given its entity mentions (see :func:`find_mentions`).

    Returns the enriched record and the entity spans ({text, label, start, end, canonical}) that the
    classify stage reads.
    """
    entities = count_entities(mentions)
    spans = [{"text": m.text, "label": m.label, "start": m.start, "end": m.end, "canonical": m.canonical}
             for m in mentions]
    place_mentions = places_to_geocode(mentions, entities)
    source = dict(article.source)
    source.update(source_reliability(source.get("domain")))
    return EnrichedArticle(
        id=article.id, url=article.url, source=source, title=article.title, authors=article.authors,
        section=article.section, published_at=article.published_at, language=article.language,
        text=article.text, word_count=article.word_count, content_hash=article.content_hash,
        entities=entities,
        locations=resolve_places(place_mentions, article.text),
        dates=resolve_dates(article.text, article.published_at),
        quotes=extract_quotes(article.text, spans),
        amounts=extract_amounts(article.text),
        tone=score_tone(article.text),
        keywords=extract_keywords(article.text, article.title or "", spans),
        flags=list(article.flags),
        pipeline=dict(article.pipeline),
        extra=article.extra,
    ), spans
