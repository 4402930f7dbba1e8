"""Organisations by the shape of the text (streams/enrich/organisations.py, entities.acronym_definitions):
sentences written for these tests."""
from __future__ import annotations

import pytest

from streams.enrich.article import find_mentions
from streams.enrich.entities import Mention, acronym_definitions
from streams.enrich.organisations import company_spans, mark_organisations, media_spans


def spans_of(text, spans):
    return [text[s:e] for s, e, *_ in spans]


@pytest.mark.parametrize("text, company", [
    ("Shares of Brightwater Marine Holdings rose 4 percent.", "Brightwater Marine Holdings"),
    ("Oakridge Pharmaceuticals Inc said on Monday it would cut 200 jobs.", "Oakridge Pharmaceuticals Inc"),
    ("On Tuesday Kestrel Freight Corp. reported higher sales.", "Kestrel Freight Corp."),
    ("The deal was led by Hollis Ward & Co Inc and two other banks.", "Hollis Ward & Co Inc"),
    ("Miners of Northern Cape Platinum Ltd stayed away from work.", "Northern Cape Platinum Ltd"),
    ("Talks with Vereinigte Glaswerke AG ended.", "Vereinigte Glaswerke AG"),
])
def test_a_name_before_a_legal_form_is_a_company(text, company):
    assert spans_of(text, company_spans(text)) == [company]


@pytest.mark.parametrize("text", [
    "He moved to Co Durham last year.",               # Co for County, one word before it: not a company
    "The Group stage starts on Friday.",
    "Sales rose in May.",
])
def test_weak_legal_forms_need_a_real_name(text):
    assert company_spans(text) == []


def test_a_company_and_its_short_name_are_organisations():
    text = ("Fenwick Medical Industries Inc agreed to buy a rival for $40 million. "
            "Fenwick shares rose 3 percent on the news, and analysts expect Fenwick to raise its forecast.")
    found = {(m.text, m.label) for m in find_mentions([text], "accurate")[0]}
    assert ("Fenwick Medical Industries Inc", "ORG") in found
    assert ("Fenwick", "ORG") in found and ("Fenwick", "PERSON") not in found


def test_the_short_name_stays_a_person_when_a_full_person_name_has_it():
    ms = [Mention("Alan Fenwick", "PERSON", 0, 12, "Alan Fenwick"), Mention("Fenwick", "PERSON", 40, 47, "Fenwick")]
    text = "Alan Fenwick runs Fenwick Holdings Ltd . Fenwick said he would stay."
    out = mark_organisations(text, ms)
    assert ("Fenwick", "PERSON") in {(m.text, m.label) for m in out}


@pytest.mark.parametrize("text, outlet", [
    ("Six people died, the state news agency Vatra reported on Friday.", "Vatra"),
    ("Kolokol news agency said the talks had failed.", "Kolokol"),
    ("The deal was first reported by the weekly Der Abendblatt .", "Der Abendblatt"),
    ("Gazeta Poranna daily said on Saturday that the minister would resign.", "Gazeta Poranna"),
])
def test_a_name_in_apposition_to_a_media_noun_is_an_organisation(text, outlet):
    assert spans_of(text, media_spans(text)) == [outlet]
    found = {(m.text, m.label) for m in find_mentions([text], "accurate")[0]}
    assert (outlet, "ORG") in found


def test_days_are_no_media_names():
    assert media_spans("the agency Friday said it would") == []


def test_an_acronym_before_its_expansion_is_defined_too():
    text = "\" The KNF ( Kivu National Front ) is trying to split us , \" he said. The KNF denied it."
    assert acronym_definitions(text)["KNF"] == "Kivu National Front"
    found = [(m.text, m.label, m.canonical) for m in find_mentions([text], "accurate")[0] if m.text == "KNF"]
    assert found and all(label == "ORG" and canonical == "Kivu National Front" for _, label, canonical in found)
