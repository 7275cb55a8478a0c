"""all-MiniLM-L6-v2 (the bundled static model's teacher) in numpy, for building only.

Training the static table against its teacher on sentences (scripts/train_embedding_model.py)
needs the teacher's sentence vectors. The teacher is a 6-layer BERT; its forward pass is a
few matrix products, so numpy runs it at the speed torch does on this CPU, and the build needs
neither torch nor a throwaway venv. It reads the sentence-transformers directory as shipped
(``model.safetensors``, ``vocab.txt``), tokenises with run time's own WordPiece (checked
against Hugging Face ``tokenizers`` when the bundled model is built), adds ``[CLS]``/``[SEP]``,
cuts at the teacher's 256 pieces, mean-pools and normalises as sentence-transformers does.
bench/embed_quality.py with ``--teacher DIR --numpy-teacher`` checks it gives the teacher's
scores.
"""

from __future__ import annotations

import json
import struct
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "server"))

from llm_session_manager.core.embed import _WordPiece, bundled_model_dir  # noqa: E402

MAX_SEQ = 256  # sentence_bert_config.json's max_seq_length
LAYERS = 6
HEADS = 12
EPS = 1e-12


def load_safetensors(path: Path) -> dict[str, np.ndarray]:
    """The tensors of a ``.safetensors`` file (8-byte header length, JSON header, raw data)."""
    blob = path.read_bytes()
    (size,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + size])
    kinds = {"F32": np.float32, "I64": np.int64, "F16": np.float16}
    out = {}
    for name, spec in header.items():
        if name == "__metadata__":
            continue
        start, stop = spec["data_offsets"]
        out[name] = np.frombuffer(blob, kinds[spec["dtype"]], offset=8 + size + start,
                                  count=(stop - start) // np.dtype(kinds[spec["dtype"]]).itemsize
                                  ).reshape(spec["shape"]).astype(np.float32)
    return out


def _erf(x: np.ndarray) -> np.ndarray:
    """Abramowitz and Stegun 7.1.26 (error below 1.5e-7: under float32's resolution here)."""
    sign = np.sign(x)
    x = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * x)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return sign * (1.0 - poly * np.exp(-x * x))


def _layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + EPS) * w + b


class MiniLM:
    """``embed(texts)``: unit float32 sentence vectors, as sentence-transformers gives them."""

    name = "all-MiniLM-L6-v2 (numpy)"
    dim = 384

    def __init__(self, model_dir: Path) -> None:
        self.w = load_safetensors(model_dir / "model.safetensors")
        vocab = (model_dir / "vocab.txt").read_text(encoding="utf-8").split("\n")
        if vocab and vocab[-1] == "":
            vocab.pop()
        spec = json.loads((bundled_model_dir() / "model.json").read_text())["tokenizer"]
        self.wordpiece = _WordPiece(vocab, spec)
        self.cls, self.sep = vocab.index("[CLS]"), vocab.index("[SEP]")

    def ids(self, text: str) -> list[int]:
        return [self.cls, *self.wordpiece.ids(text, MAX_SEQ - 2), self.sep]

    def embed(self, texts: list[str], batch: int = 64) -> np.ndarray:
        ids = [self.ids(t) for t in texts]
        out = np.zeros((len(texts), self.dim), np.float32)
        order = np.argsort([len(i) for i in ids], kind="stable")  # batches of similar lengths pad little
        for start in range(0, len(order), batch):
            chunk = order[start:start + batch]
            out[chunk] = self._forward([ids[i] for i in chunk])
        return out

    def _forward(self, ids: list[list[int]]) -> np.ndarray:
        w = self.w
        n, length = len(ids), max(map(len, ids))
        tokens = np.zeros((n, length), np.int64)
        mask = np.zeros((n, length), np.float32)
        for i, row in enumerate(ids):
            tokens[i, :len(row)] = row
            mask[i, :len(row)] = 1.0
        x = (w["embeddings.word_embeddings.weight"][tokens] + w["embeddings.position_embeddings.weight"][:length]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        bias = (1.0 - mask)[:, None, None, :] * np.float32(-1e9)
        head = self.dim // HEADS
        for layer in range(LAYERS):
            p = f"encoder.layer.{layer}."

            def dense(h: np.ndarray, name: str, p: str = p) -> np.ndarray:
                return h @ w[p + name + ".weight"].T + w[p + name + ".bias"]

            def split(h: np.ndarray) -> np.ndarray:
                return h.reshape(n, length, HEADS, head).transpose(0, 2, 1, 3)

            q, k, v = (split(dense(x, f"attention.self.{m}")) for m in ("query", "key", "value"))
            scores = q @ k.transpose(0, 1, 3, 2) / np.float32(np.sqrt(head)) + bias
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(n, length, self.dim)
            x = _layer_norm(dense(context, "attention.output.dense") + x, w[p + "attention.output.LayerNorm.weight"],
                            w[p + "attention.output.LayerNorm.bias"])
            h = dense(x, "intermediate.dense")
            h = 0.5 * h * (1.0 + _erf(h / np.float32(np.sqrt(2.0))))
            x = _layer_norm(dense(h, "output.dense") + x, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"])
        pooled = (x * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
        return (pooled / np.linalg.norm(pooled, axis=1, keepdims=True)).astype(np.float32)
