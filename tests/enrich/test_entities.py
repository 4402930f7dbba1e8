"""streams/enrich/entities.py: the news corrections over raw mentions, counting, and the fast-mode dictionary."""
from __future__ import annotations

import pytest

from streams.enrich.entities import Mention, clean_mentions, count_entities, dictionary_mentions, load_aliases


def mentions(*pairs: tuple[str, str]) -> list[Mention]:
    return [Mention(text, label, 0, len(text)) for text, label in pairs]


def canonicals(cleaned: list[Mention]) -> list[tuple[str, str]]:
    return [(m.canonical, m.label) for m in cleaned]


# --- clean_mentions ------------------------------------------------------------------------------

@pytest.mark.parametrize("surface", ["UN", "U.N.", "the UN", "the United Nations", "United Nations", "The U.N."])
def test_united_nations_aliases_merge(surface):
    [m] = clean_mentions(mentions((surface, "ORG")))
    assert (m.canonical, m.label) == ("United Nations", "ORG")


@pytest.mark.parametrize("surface", ["US", "U.S.", "USA", "U.S.A.", "the United States", "the US", "America"])
def test_united_states_aliases_merge(surface):
    [m] = clean_mentions(mentions((surface, "GPE")))
    assert (m.canonical, m.label) == ("United States", "GPE")


def test_alias_label_wins_over_the_model():
    # the model calls the US an ORG now and then; SANA a PERSON
    assert canonicals(clean_mentions(mentions(("US", "ORG"), ("SANA", "PERSON")))) == [
        ("United States", "GPE"), ("Syrian Arab News Agency", "ORG")]


@pytest.mark.parametrize("surface, expected", [
    ("the Kremlin", "Kremlin"),
    ("The Pentagon", "Pentagon"),
    ("a Reuters", "Reuters"),
    ("Russia's", "Russia"),
    ("Russia’s", "Russia"),
    ("Assad'", "Assad"),
    ("\"Idlib,\"", "Idlib"),
    ("(Damascus)", "Damascus"),
])
def test_articles_possessives_and_edge_punctuation_are_stripped(surface, expected):
    [m] = clean_mentions(mentions((surface, "GPE")))
    assert m.text == expected and m.canonical == expected


@pytest.mark.parametrize("surface", ["five", "the government", "2018", "1,200", "3.5", "", "  ", "'s", "X" * 81])
def test_lowercase_numeric_and_oversized_mentions_are_dropped(surface):
    assert clean_mentions(mentions((surface, "ORG"))) == []


def test_single_word_org_that_is_a_place_becomes_gpe():
    is_place = {"Saraqeb", "Idlib"}.__contains__
    cleaned = clean_mentions(mentions(("Saraqeb", "ORG"), ("Gazprom", "ORG"), ("Idlib Media Center", "ORG")),
                             is_place=is_place)
    assert canonicals(cleaned) == [("Saraqeb", "GPE"), ("Gazprom", "ORG"), ("Idlib Media Center", "ORG")]


@pytest.mark.parametrize("name", ["Hamas", "Hezbollah", "Reuters", "Taliban"])
def test_well_known_organisations_stay_organisations(name):
    """No place lookup may turn a news organisation into a place (a village called Hamas exists somewhere)."""
    assert canonicals(clean_mentions(mentions((name, "ORG")))) == [(name, "ORG")]


def test_short_person_names_fold_into_the_full_name():
    cleaned = clean_mentions(mentions(("Staffan de Mistura", "PERSON"), ("Mistura", "PERSON"),
                                      ("Staffan", "PERSON")))
    assert {m.canonical for m in cleaned} == {"Staffan de Mistura"}


def test_de_mistura_folds_into_staffan_de_mistura():
    """The module docstring's own example: "de Mistura" -> "Staffan de Mistura", and "Mistura" with it."""
    cleaned = clean_mentions(mentions(("Staffan de Mistura", "PERSON"), ("de Mistura", "PERSON"),
                                      ("Mistura", "PERSON")))
    assert [m.canonical for m in cleaned] == ["Staffan de Mistura"] * 3


def test_an_ambiguous_short_name_is_left_alone():
    cleaned = clean_mentions(mentions(("John Smith", "PERSON"), ("Jane Smith", "PERSON"), ("Smith", "PERSON")))
    assert [m.canonical for m in cleaned] == ["John Smith", "Jane Smith", "Smith"]


def test_folding_needs_the_full_name_in_the_same_article():
    assert canonicals(clean_mentions(mentions(("Mistura", "PERSON")))) == [("Mistura", "PERSON")]


def test_offsets_are_kept(seed_bytes):
    text = "UN envoy Staffan de Mistura met the U.S. delegation."
    raw = [Mention("UN", "ORG", 0, 2), Mention("Staffan de Mistura", "PERSON", 9, 27),
           Mention("the U.S.", "GPE", 32, 40)]
    cleaned = clean_mentions(raw)
    assert [(m.start, m.end) for m in cleaned] == [(0, 2), (9, 27), (32, 40)]
    assert [text[m.start:m.end] for m in cleaned] == ["UN", "Staffan de Mistura", "the U.S."]


# --- count_entities ------------------------------------------------------------------------------

def test_count_entities_groups_by_canonical_and_label():
    cleaned = [Mention(text, label, 0, 0, canonical) for text, label, canonical in [
        ("UN", "ORG", "United Nations"), ("United Nations", "ORG", "United Nations"), ("UN", "ORG", "United Nations"),
        ("US", "GPE", "United States"), ("U.S.", "GPE", "United States"),
        ("Jordan", "GPE", "Jordan"), ("Jordan", "PERSON", "Jordan"), ("jordan", "GPE", "JORDAN")]]
    counted = count_entities(cleaned)
    # the most frequent surface form names the group
    assert counted[0] == {"text": "UN", "label": "ORG", "canonical": "United Nations", "count": 3}
    by_key = {(e["canonical"].casefold(), e["label"]): e for e in counted}
    assert by_key[("united states", "GPE")]["count"] == 2
    assert by_key[("jordan", "GPE")]["count"] == 2           # canonical names compare case-insensitively
    assert by_key[("jordan", "PERSON")]["count"] == 1        # the label separates groups
    assert sum(e["count"] for e in counted) == len(cleaned)


def test_count_entities_orders_by_count_then_name():
    counted = count_entities([Mention(n, "GPE", 0, 0, n) for n in ("Beirut", "Amman", "Cairo", "Cairo")])
    assert [e["canonical"] for e in counted] == ["Cairo", "Amman", "Beirut"]


def test_count_entities_of_nothing():
    assert count_entities([]) == []


# --- dictionary_mentions (fast mode) -------------------------------------------------------------

def test_dictionary_mentions_are_case_sensitive_for_us():
    text = "Let us go. The US said so, and US troops left; us again. USA and the UN agreed."
    found = [(m.text, text[m.start:m.end]) for m in dictionary_mentions(text)]
    assert [t for t, _ in found] == ["US", "US", "USA", "the UN"]
    assert all(t == span for t, span in found)                     # offsets point at the mention


def test_dictionary_mentions_respect_word_boundaries():
    assert dictionary_mentions("BUS USB USAID museums") == []


def test_dictionary_mentions_then_clean_gives_canonical_entities():
    text = "The U.S. and the United Nations met in Damascus. SANA reported that US officials left."
    places = [{"text": "Damascus", "label": "GPE", "start": text.index("Damascus"), "end": text.index("Damascus") + 8}]
    counted = count_entities(clean_mentions(dictionary_mentions(text, places)))
    assert {(e["canonical"], e["label"], e["count"]) for e in counted} == {
        ("United States", "GPE", 2), ("United Nations", "ORG", 1), ("Syrian Arab News Agency", "ORG", 1),
        ("Damascus", "GPE", 1)}


def test_every_alias_maps_to_a_kept_label():
    from streams.enrich.entities import KEPT_LABELS

    table = load_aliases()
    assert table["u.s."] == ("United States", "GPE")
    assert all(label in KEPT_LABELS for _, label in table.values())


def test_the_surface_form_of_an_entity_does_not_depend_on_the_hash_seed():
    import subprocess
    import sys

    code = ("from streams.enrich.entities import Mention, count_entities;"
            "ms = [Mention('PORT ARTHUR', 'GPE', 0, 11), Mention('Port Arthur', 'GPE', 40, 51)];"
            "print(count_entities(ms)[0]['text'])")
    seen = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={"PYTHONHASHSEED": str(seed), "PATH": ""}).stdout.strip() for seed in range(6)}
    assert seen == {"Port Arthur"}


def test_ner_survives_a_huge_run_of_punctuation_with_offsets_into_the_original():
    """spaCy's tokenizer is quadratic in a run's length; ner_mentions breaks long runs (same length) first."""
    import time

    from streams.enrich.entities import ner_mentions

    text = "Angela Merkel met " + "'" * 40_000 + " Vladimir Putin in Berlin."
    started = time.perf_counter()
    [mentions] = ner_mentions([text])
    assert time.perf_counter() - started < 10          # a guard against minutes, not a speed measurement
    found = {m.text for m in mentions}
    assert {"Angela Merkel", "Vladimir Putin"} <= found
    assert all(text[m.start:m.end] == m.text for m in mentions)


# --- the model's matrix products (load_ner_model, use_openblas) --------------------------------------

def _sample_texts(n: int) -> list[str]:
    """The seed article and n - 1 real articles of the bundled FakeNewsCorpus sample."""
    import csv
    from pathlib import Path

    samples = Path(__file__).resolve().parents[2] / "streams" / "data" / "samples"
    with (samples / "fakenewscorpus_sample.csv").open(newline="", encoding="utf-8") as fh:
        rows = [r["content"] for r in csv.DictReader(fh) if len(r.get("content") or "") > 500]
    return [(samples / "seed_article.txt").read_text("utf-8")] + rows[:n - 1]


def test_the_ner_model_multiplies_with_openblas_not_cython_blis(monkeypatch):
    import blis.py

    from streams.enrich.entities import load_ner_model

    nlp = load_ner_model()
    calls = []
    real_gemm = blis.py.gemm
    monkeypatch.setattr(blis.py, "gemm", lambda *a, **k: calls.append(1) or real_gemm(*a, **k))
    docs = list(nlp.pipe(_sample_texts(3)))
    assert calls == []
    assert any(doc.ents for doc in docs)


def test_openblas_and_cython_blis_find_the_same_entities():
    """The speed-up changes nothing the model finds: the same weights loaded the plain way (cython-blis) tag the same
    spans with the same labels on real articles."""
    from streams.enrich.entities import load_ner_model

    texts = _sample_texts(12)
    plain, ours = load_ner_model(openblas=False), load_ner_model()
    assert plain.get_pipe("ner").model.ops.use_blis and not ours.get_pipe("ner").model.ops.use_blis

    def spans(nlp):
        return [[(e.start_char, e.end_char, e.label_) for e in doc.ents] for doc in nlp.pipe(texts)]

    found = spans(ours)
    assert sum(map(len, found)) > 50
    assert found == spans(plain)


@pytest.mark.parametrize("preset, expected", [(None, 1), ("2", 2)])
def test_a_process_of_ours_runs_one_openblas_thread_unless_told_otherwise(preset, expected):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    if preset:
        env["OPENBLAS_NUM_THREADS"] = preset
    code = ("import streams, numpy, threadpoolctl;"
            "from streams.enrich.entities import load_ner_model;"
            "threads = lambda: sorted({i['num_threads'] for i in threadpoolctl.threadpool_info()"
            "                          if i['internal_api'] == 'openblas'});"
            "print(threads()); load_ner_model(); print(threads())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env).stdout
    assert out.split() == [str([expected])] * 2          # at import, and still after the model is loaded


# --- memory over a long stream (streams/spacy_memory.py) --------------------------------------------

def _with_unseen_words(texts: list[str]) -> list[str]:
    """Each text with a sentence of made-up names and numbers no vocabulary holds, different for every text."""
    return [f"{t}\n\nOfficials named Zq{i}vorlan Xubquet{i}tre, paid ${i}4,2{i}7,113, said Kwy{i}dramo Pelt."
            for i, t in enumerate(texts)]


def test_ner_leaves_nothing_of_its_texts_in_the_vocabulary():
    """A worker reads new names all day: spaCy would keep every new string for good (127 MB over 3,200 such articles
    in one process), so ner_mentions runs the model in a memory zone. The mentions it returns outlive the zone."""
    from streams.enrich.entities import load_ner_model, ner_mentions

    nlp = load_ner_model()
    texts = _with_unseen_words(_sample_texts(6))
    before = len(nlp.vocab.strings)
    found = ner_mentions(texts, restore=False, in_context=False)
    assert len(nlp.vocab.strings) == before
    assert all(m.text == t[m.start:m.end] and m.label for t, ms in zip(texts, found) for m in ms)
    with nlp.memory_zone():      # the same entities as the model gives outside a zone
        expected = [[(e.start_char, e.end_char, e.label_) for e in doc.ents if e.label_ in {m.label for m in ms}]
                    for doc, ms in zip(nlp.pipe(texts), found)]
    assert [[(m.start, m.end, m.label) for m in ms] for ms in found] == expected
    assert sum(map(len, found)) > 20
    list(nlp.pipe(texts[:1]))    # the texts do hold new strings: outside a zone the vocabulary grows
    assert len(nlp.vocab.strings) > before
