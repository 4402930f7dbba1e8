"""streams/enrich/sources.py: the OpenSources label of a domain, inherited by its subdomains."""
from __future__ import annotations

import pytest

from streams.enrich.sources import LABELS, load_source_labels, source_reliability


@pytest.mark.parametrize("domain, reliability, labels", [
    ("100percentfedup.com", "bias", ["bias"]),
    ("awm.com", "unreliable", ["unreliable", "bias", "clickbait"]),        # all three labels, in the file's order
    ("abovetopsecret.com", "conspiracy", ["conspiracy", "rumor"]),
    ("christianpost.com", "reliable", ["reliable", "political"]),
])
def test_labels_of_a_listed_domain(domain, reliability, labels):
    assert source_reliability(domain) == {"reliability": reliability, "labels": labels}


@pytest.mark.parametrize("domain", ["www.awm.com", "WWW.AWM.COM", "news.awm.com", "a.b.awm.com", "AWM.com"])
def test_subdomains_www_and_case_inherit_the_label(domain):
    assert source_reliability(domain)["reliability"] == "unreliable"


@pytest.mark.parametrize("domain", ["example.org", "notawm.com", "awm.com.evil.net", "com", "bbc.co.uk", ""])
def test_an_unknown_domain_has_no_label(domain):
    assert source_reliability(domain) == {"reliability": None, "labels": []}


def test_no_domain():
    assert source_reliability(None) == {"reliability": None, "labels": []}


def test_a_path_listing_does_not_label_the_whole_site():
    # OpenSources lists newyorker.com/humor as satire, not the New Yorker
    assert source_reliability("newyorker.com")["reliability"] is None


def test_the_shipped_table_is_clean():
    table = load_source_labels()
    assert len(table) > 800
    assert {label for labels in table.values() for label in labels} <= set(LABELS)
    assert all(domain == domain.lower() and not domain.startswith("www.") for domain in table)
    assert not [d for d in table if " " in d], "domains with spaces can never match"
