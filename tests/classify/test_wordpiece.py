"""The plain-Python BERT WordPiece tokeniser (streams.classify.wordpiece) against the reference one."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streams.classify.topics import MODEL_DIR, load_static_vectors
from streams.classify.wordpiece import normalise, pre_tokenise

SAMPLE = Path(__file__).resolve().parents[2] / "streams" / "data" / "samples" / "fakenewscorpus_sample.csv"
TRICKY = [
    "Café naïve résumé ÉCOLE Ångström",          # accents stripped, lowercased
    "ΟΔΟΣ Σ σ ς İstanbul",                       # Greek sigma and dotted I, one character at a time
    "北京欢迎你 and 東京, 서울 and かな",           # CJK ideographs spaced out; Hangul and kana not
    "“Quotes” — dashes – and… ellipses; U.S.-led $5bn 10% e-mail @user #tag",
    "zero\x00width\u200bjoiner\u200d soft\u00adhyphen \ufffd replacement \ue000 private",
    "tab\tnew\nline\rcarriage\x0bvt\x0cff \x1cfs \x85nel \xa0nbsp \u2028ls \u3000ideographic",
    "a" * 150 + " supercalifragilisticexpialidocious antidisestablishmentarianism",
    "ﬁnance ﬂow ½ ² ™ ℃ №",                     # compatibility characters are not NFKC-folded
    "",
]


def sample_texts(limit: int = 120) -> list[str]:
    csv.field_size_limit(10**9)
    with SAMPLE.open(encoding="utf-8", newline="") as f:
        return [f"{r['title']}\n{r['content'][:4000]}" for _, r in zip(range(limit), csv.DictReader(f))]


def test_normalise_and_split_like_bert():
    assert pre_tokenise(normalise("Don't PANIC, Café!")) == ["don", "'", "t", "panic", ",", "cafe", "!"]
    assert pre_tokenise(normalise("北京 ok")) == ["北", "京", "ok"]
    assert normalise("a\tb\nc\x00d\u200be") == "a b cde"


def test_pieces_rejoin_into_the_word():
    wordpiece = load_static_vectors().wordpiece
    tokens = {i: t for t, i in wordpiece.vocabulary.items()}
    for word, ids in wordpiece.tokenize("Unbelievably, the cryptocurrency hyperinflation antidisestablishmentarianism"):
        pieces = [tokens[i] for i in ids]
        assert "".join(p.removeprefix("##") for p in pieces) == word
        assert all(p.startswith("##") for p in pieces[1:])
    assert wordpiece.ids("a" * 101) == [wordpiece.unknown_id]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_every_word_is_its_pieces_or_unknown(text):
    wordpiece = load_static_vectors().wordpiece
    tokens = {i: t for t, i in wordpiece.vocabulary.items()}
    for word, ids in wordpiece.tokenize(text):
        assert ids
        if ids != (wordpiece.unknown_id,):
            assert "".join(tokens[i].removeprefix("##") for i in ids) == word


def test_same_ids_as_the_tokenizers_library():
    tokenizers = pytest.importorskip("tokenizers")
    reference = tokenizers.BertWordPieceTokenizer(str(MODEL_DIR / "vocab.txt"), lowercase=True,
                                                  strip_accents=None, clean_text=True,
                                                  handle_chinese_chars=True)
    wordpiece = load_static_vectors().wordpiece
    texts = TRICKY + sample_texts()
    expected = [e.ids for e in reference.encode_batch(texts, add_special_tokens=False)]
    for text, ids in zip(texts, expected):
        assert wordpiece.ids(text) == ids, text[:80]
