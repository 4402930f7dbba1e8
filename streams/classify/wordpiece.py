"""BERT "uncased" WordPiece tokenisation in plain Python (the tokenizer of all-MiniLM-L6-v2).

The topic classifier's static vectors are indexed by this vocabulary (``streams/data/topics/vocab.txt``,
30,522 entries). The steps are those of Hugging Face's ``BertNormalizer`` (clean text, space around CJK
characters, lowercase, strip accents), ``BertPreTokenizer`` (split on whitespace and punctuation) and
``WordPiece`` (greedy longest match, ``##`` continuations, ``[UNK]`` for a word with no match or longer
than 100 characters). ``tests/classify/test_wordpiece.py`` checks the ids equal the ``tokenizers``
library's on real articles; this module exists so the worker does not need that library at run time.

Public API: ``WordPiece.from_vocab_file(path)`` then ``.tokenize(text) -> list[(word, [ids])]``.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

MAX_WORD_CHARS = 100
CONTINUATION = "##"
UNKNOWN = "[UNK]"
# Words whose pieces are remembered (a long stream's vocabulary has a long tail; ~100 bytes a word).
WORD_CACHE_SIZE = 50_000


def is_punctuation(char: str) -> bool:
    """BERT's punctuation: every ASCII non-alphanumeric printable character and Unicode P*."""
    code = ord(char)
    if 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126:
        return True
    return unicodedata.category(char).startswith("P")


def is_cjk(code: int) -> bool:
    """The CJK ideograph blocks BERT surrounds with spaces (it does not split Hangul or kana)."""
    return (0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0x20000 <= code <= 0x2A6DF
            or 0x2A700 <= code <= 0x2B73F or 0x2B740 <= code <= 0x2B81F or 0x2B820 <= code <= 0x2CEAF
            or 0xF900 <= code <= 0xFAFF or 0x2F800 <= code <= 0x2FA1F)


ASCII_CLEAN = {code: (" " if chr(code) in "\t\n\r" else None) for code in (*range(0, 32), 127)}
NON_ASCII = re.compile(r"[^\x00-\x7f]")


@lru_cache(maxsize=None)
def normalise_char(char: str) -> str:
    """What one non-ASCII character becomes: nothing for control, format, unassigned and
    private-use characters, a space for a space separator, the ideograph between spaces for CJK,
    else its lowercase in canonical decomposition without combining marks (accents). Lowercasing
    one character at a time is what BertNormalizer does (a final capital sigma becomes σ, not ς)."""
    category = unicodedata.category(char)
    if char == "\ufffd" or category in ("Cc", "Cf", "Cn", "Co"):
        return ""
    if category == "Zs":
        return " "
    if is_cjk(ord(char)):
        return f" {char} "
    return "".join(c for c in unicodedata.normalize("NFD", char.lower()) if unicodedata.category(c) != "Mn")


def normalise(text: str) -> str:
    """Drop control characters, turn every whitespace into a space, space out CJK ideographs,
    lowercase and strip accents (NFD, combining marks removed), as BertNormalizer does."""
    text = text.translate(ASCII_CLEAN)
    if not text.isascii():
        text = NON_ASCII.sub(lambda match: normalise_char(match.group()), text)
    return text.lower()


PUNCTUATION_CHARS = "".join(  # Unicode has no punctuation above U+1FFFF
    re.escape(chr(code)) for code in range(0x20000) if is_punctuation(chr(code)))
WORD_OR_PUNCTUATION = re.compile(rf"[{PUNCTUATION_CHARS}]|[^\s{PUNCTUATION_CHARS}]+")


def pre_tokenise(text: str) -> list[str]:
    """Whitespace-separated words, each punctuation character a word of its own."""
    return WORD_OR_PUNCTUATION.findall(text)


class WordPiece:
    """A WordPiece vocabulary and the tokeniser over it (the word-to-ids step is cached)."""

    def __init__(self, vocabulary: dict[str, int]) -> None:
        self.vocabulary = vocabulary
        self.unknown_id = vocabulary[UNKNOWN]
        self.word_ids = lru_cache(maxsize=WORD_CACHE_SIZE)(self._word_ids)

    @classmethod
    def from_vocab_file(cls, path: Path) -> "WordPiece":
        """One token per line; the line number is the id."""
        tokens = path.read_text(encoding="utf-8").split("\n")
        if tokens and tokens[-1] == "":
            tokens.pop()
        return cls({token: i for i, token in enumerate(tokens)})

    def _word_ids(self, word: str) -> tuple[int, ...]:
        """Greedy longest-match pieces of one pre-tokenised word; ``[UNK]`` if any part has no match."""
        if len(word) > MAX_WORD_CHARS:
            return (self.unknown_id,)
        ids: list[int] = []
        start = 0
        while start < len(word):
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else CONTINUATION + word[start:end]
                token_id = self.vocabulary.get(piece)
                if token_id is not None:
                    ids.append(token_id)
                    break
                end -= 1
            else:
                return (self.unknown_id,)
            start = end
        return tuple(ids)

    def tokenize(self, text: str) -> list[tuple[str, tuple[int, ...]]]:
        """(word, its token ids) for every word of ``text``, in order."""
        return [(word, self.word_ids(word)) for word in pre_tokenise(normalise(text))]

    def ids(self, text: str) -> list[int]:
        """The token ids of ``text`` (no [CLS]/[SEP]), as the tokenizers library gives them."""
        return [token_id for _, ids in self.tokenize(text) for token_id in ids]
