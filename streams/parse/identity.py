"""What identifies an article: its id, source domain, content hash, language and near-duplicate signature."""
from __future__ import annotations

import hashlib
import re
import zlib
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import numpy as np
from datasketch import MinHash

SHINGLE_WORDS = 5          # word shingles for the MinHash signature
SIGNATURE_PERMUTATIONS = 64
LANGUAGE_SAMPLE_CHARS = 1200     # py3langid's cost grows with the sample; a paragraph is plenty for news
_TRACKING_PARAMS = re.compile(r"^(?:utm_\w+|fbclid|gclid|mc_cid|mc_eid|ref|ref_src|cmpid|ncid|__mref)$", re.IGNORECASE)
_WORD = re.compile(r"\w+")
_LETTERS = re.compile(r"[^\W\d_]+")


def canonical_url(url: str | None) -> str | None:
    """Lower-case scheme and host, no ``www.``, no fragment, no tracking parameters, no trailing slash."""
    if not url or not url.strip():
        return None
    url = url.strip()
    if "://" not in url and re.match(r"^[\w-]+(?:\.[\w-]+)+(?:[/:?#]|$)", url):   # "example.com/a": no scheme
        url = "http://" + url
    parts = urlsplit(url)
    if not parts.netloc:
        return None
    host = parts.netloc.lower().removeprefix("www.")
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                       if not _TRACKING_PARAMS.match(k)])
    path = parts.path.rstrip("/") or "/"
    return urlunsplit(((parts.scheme or "http").lower(), host, path, query, ""))


def domain_of(url: str | None, source: str | None = None) -> str | None:
    """The source's domain: from the URL, else from a ``source`` that looks like a domain."""
    for candidate in (url, source):
        if not candidate:
            continue
        text = candidate.strip().lower()
        host = urlsplit(text if "://" in text else "//" + text).hostname
        if host and "." in host and " " not in host:
            return host.removeprefix("www.")
    return None


@lru_cache(maxsize=4)          # the content hash and the signature of one article normalise the same text
def normalized_text(text: str) -> str:
    """Case-folded words only: the form that content hashes and signatures are computed over."""
    return " ".join(_WORD.findall(text.casefold()))


def content_hash(text: str) -> str:
    return hashlib.sha256(normalized_text(text).encode("utf-8")).hexdigest()


def article_id(given: str | None, url: str | None, text_hash: str) -> str:
    """A stable id: the given one (JSON id or message key), else one derived from the canonical URL, else from the
    content hash."""
    if given:
        return given
    canon = canonical_url(url)
    if canon:
        return "u" + hashlib.blake2b(canon.encode("utf-8"), digest_size=10).hexdigest()
    return "c" + text_hash[:20]


MINHASH_SCHEME = "affine32"       # datasketch >= 2.0's default, named: signatures of two schemes do not compare


@lru_cache(maxsize=1)
def _permutations():
    return MinHash(num_perm=SIGNATURE_PERMUTATIONS, seed=1, scheme=MINHASH_SCHEME).permutations   # once, not per article


def minhash_signature(text: str) -> list[int]:
    """MinHash of word ``SHINGLE_WORDS``-grams (datasketch); estimates Jaccard similarity between articles.

    Shingles are hashed with CRC-32: stable across processes and machines (unlike ``hash()``), and ~3x cheaper
    than datasketch's default SHA-1, which is more than MinHash needs.
    """
    words = normalized_text(text).split()
    shingles = {" ".join(words[i:i + SHINGLE_WORDS]).encode("utf-8")
                for i in range(max(1, len(words) - SHINGLE_WORDS + 1))}
    m = MinHash(num_perm=SIGNATURE_PERMUTATIONS, seed=1, hashfunc=zlib.crc32, permutations=_permutations(),
                scheme=MINHASH_SCHEME)
    m.update_batch(list(shingles))
    return [int(v) for v in m.hashvalues]


def signature_similarity(a: list[int], b: list[int]) -> float:
    """Estimated Jaccard similarity of two signatures."""
    if not a or len(a) != len(b):
        return 0.0
    return float(np.mean(np.asarray(a, dtype=np.uint64) == np.asarray(b, dtype=np.uint64)))


def detect_language(text: str) -> str | None:
    """ISO 639-1 code (py3langid, whose model ships in its wheel); None for text too short to tell."""
    sample = text[:LANGUAGE_SAMPLE_CHARS]
    if len(_LETTERS.findall(sample)) < 3:      # words with letters: "12 34 56" is no language
        return None
    import py3langid

    lang, _score = py3langid.classify(sample)
    return lang
