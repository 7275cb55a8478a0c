"""Train the bundled static embedding table further against its teacher, on sentences.

``make_embedding_model.py`` distils all-MiniLM-L6-v2 one word piece at a time: each row is
what the teacher says about that piece *alone*. That never shows the table how the teacher
reads a piece among others, which is what paraphrases need ("DB" near "database"). This
script does what model2vec's *tokenlearn* does: it has the teacher embed real sentences, and
trains the table (Adam, cosine loss) so that the mean of a sentence's rows points where the
teacher's vector does.

* **Sentences**: docstrings of Python's standard library and of the packages in the running
  interpreter's environment (``ast``, no import), cut into sentences of 5 to 60 words,
  deduplicated, shuffled with a fixed seed. Nothing from this repository, so no evaluation
  text leaks in (bench/recall_data.py, bench/embed_quality.py, bench/memory_eval).
* **Teacher**: all-MiniLM-L6-v2 in numpy (``minilm_numpy.py``, no torch), from the same
  PyPI wheel as the distillation (``--teacher DIR``: its unpacked ``model/`` directory).
* **Targets**: the teacher's 384-d vectors, centred, reduced by PCA to the table's 256
  dimensions, then rotated (orthogonal Procrustes: cosines unchanged) onto where the current
  table already puts those sentences, so training starts close and rows of pieces the
  sentences never use stay where they were and still fit.
* **Training**: full-batch epochs of mini-batches of 256 sentences, Adam lr 1e-3; the epoch
  kept is the one with the lowest loss on held-out sentences (never a benchmark).
* **Output**: the bundled directory's files with the new rows (int8, one scale per row),
  ``model.json`` named ``...-v2`` and saying how it was made.

Usage: PYTHONPATH=server python scripts/train_embedding_model.py --teacher DIR
       [--sentences 20480] [--epochs 30] [--cache DIR] [-o OUT]
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import os
import random
import re
import sys
import sysconfig
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy: a second thread only waits on a shared machine

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "server"))
sys.path.insert(0, str(ROOT / "scripts"))

from minilm_numpy import MiniLM  # noqa: E402

from llm_session_manager.core.embed import StaticEmbedder, bundled_model_dir  # noqa: E402

SEED = 2026
HELD_OUT = 2000
BATCH = 256
LR = 1e-3
NAME = "static:minilm-l6-v2-m2v-d256-int8-v2"
START_NAME = "static:minilm-l6-v2-m2v-d256-int8-v1"  # what make_embedding_model.py builds
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z`\"'(])")


def sentences(limit: int, cache: Path) -> list[str]:
    """The first ``limit`` of ``all_sentences``, kept in ``cache`` (reading every docstring
    takes minutes)."""
    path = cache / "sentences.json"
    if path.exists():
        kept = json.loads(path.read_text(encoding="utf-8"))
        if len(kept) >= limit:
            return kept[:limit]
    found = all_sentences()
    cache.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(found), encoding="utf-8")
    return found[:limit]


def all_sentences() -> list[str]:
    """Docstring sentences of the standard library and installed packages, seeded order."""
    roots = {Path(sysconfig.get_paths()["stdlib"]), Path(sysconfig.get_paths()["purelib"])}
    seen: set[str] = set()
    for root in sorted(roots):
        for path in sorted(root.rglob("*.py")):
            if "test" in path.parts or "tests" in path.parts or "llm_session_manager" in path.parts:
                continue
            try:
                tree = ast.parse(path.read_text(encoding="utf-8"))
            except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
                continue
            for node in ast.walk(tree):
                if not isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                doc = ast.get_docstring(node)
                if not doc:
                    continue
                for para in re.split(r"\n\s*\n", doc):
                    if para.lstrip().startswith((">>>", "..", ":", "-", "*", "|", "+")):
                        continue
                    for s in _SENTENCE_END.split(" ".join(para.split())):
                        if 5 <= len(s.split()) <= 60 and sum(c.isalpha() for c in s) > 0.7 * len(s):
                            seen.add(s)
    out = sorted(seen)
    random.Random(SEED).shuffle(out)
    return out


def teacher_vectors(teacher_dir: Path, texts: list[str], cache: Path) -> np.ndarray:
    """The teacher's vectors of ``texts``, kept in ``cache`` a chunk at a time (a stopped
    run goes on where it was)."""
    model = MiniLM(teacher_dir)
    cache.mkdir(parents=True, exist_ok=True)
    parts, start = [], time.time()
    for i in range(0, len(texts), 1024):
        chunk = texts[i:i + 1024]
        path = cache / f"teacher-{hashlib.sha256(chr(0).join(chunk).encode()).hexdigest()[:16]}.npy"
        if not path.exists():
            np.save(path, model.embed(chunk))
            print(f"teacher: {i + len(chunk)}/{len(texts)} sentences, {time.time() - start:.0f} s", file=sys.stderr)
        parts.append(np.load(path))
    return np.concatenate(parts)


def targets(teacher: np.ndarray, current: np.ndarray, dim: int) -> np.ndarray:
    """Teacher vectors centred, PCA to ``dim``, rotated onto the current table's sentence
    vectors (orthogonal Procrustes), each of length 1."""
    centred = teacher - teacher.mean(0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    reduced = centred @ vt[:dim].T
    reduced /= np.linalg.norm(reduced, axis=1, keepdims=True)
    u, _, wt = np.linalg.svd(reduced.T @ current)
    return (reduced @ (u @ wt)).astype(np.float32)


def train(table: np.ndarray, ids: list[np.ndarray], goal: np.ndarray, epochs: int) -> np.ndarray:
    """Adam on the rows, loss 1 - cos(mean of a sentence's rows, its goal); the epoch with the
    lowest held-out loss is returned."""
    rng = np.random.default_rng(SEED)
    train_idx, held_idx = np.arange(HELD_OUT, len(ids)), np.arange(HELD_OUT)
    m, v = np.zeros_like(table), np.zeros_like(table)
    best, best_loss, step = table.copy(), _loss(table, ids, goal, held_idx)[0], 0
    print(f"epoch 0: held-out loss {best_loss:.4f}", file=sys.stderr)
    for epoch in range(1, epochs + 1):
        rng.shuffle(train_idx)
        for b in range(0, len(train_idx), BATCH):
            _, grad, rows = _loss(table, ids, goal, train_idx[b:b + BATCH], grad=True)
            step += 1
            m[rows] = 0.9 * m[rows] + 0.1 * grad
            v[rows] = 0.999 * v[rows] + 0.001 * grad * grad
            table[rows] -= LR * (m[rows] / (1 - 0.9 ** step)) / (np.sqrt(v[rows] / (1 - 0.999 ** step)) + 1e-8)
        held = _loss(table, ids, goal, held_idx)[0]
        print(f"epoch {epoch}: held-out loss {held:.4f}", file=sys.stderr)
        if held < best_loss:
            best, best_loss = table.copy(), held
    return best


def _loss(table: np.ndarray, ids: list[np.ndarray], goal: np.ndarray, which: np.ndarray,
          grad: bool = False) -> tuple[float, np.ndarray, np.ndarray]:
    """Mean cosine loss over sentences ``which``; with ``grad``, the gradient for the rows
    they use (sparse: (rows used, dim)) and those rows' ids."""
    chunk = [ids[i] for i in which]
    lengths = np.array([len(c) for c in chunk])
    flat = np.concatenate(chunk)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    means = np.add.reduceat(table[flat], starts, axis=0) / lengths[:, None]
    norms = np.linalg.norm(means, axis=1, keepdims=True) + 1e-9
    y = goal[which]
    cos = (means * y).sum(1, keepdims=True) / norms
    loss = float((1 - cos).mean())
    if not grad:
        return loss, np.empty(0), np.empty(0)
    d_means = -(y / norms - cos * means / norms ** 2) / len(which)  # d loss / d mean
    per_token = np.repeat(d_means / lengths[:, None], lengths, axis=0)
    rows, inverse = np.unique(flat, return_inverse=True)
    g = np.zeros((len(rows), table.shape[1]), np.float32)
    np.add.at(g, inverse, per_token)
    return loss, g, rows


def write(table: np.ndarray, start: Path, out: Path, how: dict) -> None:
    src = start
    out.mkdir(parents=True, exist_ok=True)
    peak = np.abs(table).max(1)
    scales = np.where(peak > 0, peak / 127.0, 1.0).astype(np.float32)
    q = np.clip(np.rint(table / scales[:, None]), -127, 127).astype(np.int8)
    (out / "vocab.txt").write_bytes((src / "vocab.txt").read_bytes())
    np.save(out / "vectors.npy", q, allow_pickle=False)
    np.save(out / "scales.npy", scales, allow_pickle=False)
    meta = json.loads((src / "model.json").read_text(encoding="utf-8"))
    meta["name"] = NAME
    meta["training"] = how
    meta["sha256"] = {f: hashlib.sha256((out / f).read_bytes()).hexdigest()
                      for f in ("vocab.txt", "vectors.npy", "scales.npy")}
    (out / "model.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--teacher", type=Path, required=True, help="all-MiniLM-L6-v2's sentence-transformers dir")
    ap.add_argument("--sentences", type=int, default=20480)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--cache", type=Path, default=Path("/tmp/llm-session-embed-train"))
    ap.add_argument("-o", "--out", type=Path, default=bundled_model_dir())
    ap.add_argument("--start", type=Path, default=bundled_model_dir(),
                    help="the distilled (v1) model dir to train from (default: the bundled one)")
    a = ap.parse_args()
    texts = sentences(a.sentences, a.cache)
    print(f"{len(texts)} sentences", file=sys.stderr)
    teacher = teacher_vectors(a.teacher, texts, a.cache)
    static = StaticEmbedder(a.start)
    if static.name != START_NAME:
        sys.exit(f"{a.start} holds {static.name}; this trains the distilled table: "
                 "run scripts/make_embedding_model.py first, or give its output as --start")
    vectors, scales = static.rows()
    table = vectors.astype(np.float32) * scales[:, None]
    ids = [np.array(static.token_ids(t) or [0], np.int64) for t in texts]
    goal = targets(teacher, static.embed(texts), table.shape[1])
    trained = train(table, ids, goal, a.epochs)
    write(trained, a.start, a.out, {"tool": "scripts/train_embedding_model.py", "sentences": len(texts),
                           "held_out": HELD_OUT, "epochs": a.epochs, "batch": BATCH, "lr": LR, "seed": SEED,
                           "corpus": "docstrings of the Python standard library and installed packages"})


if __name__ == "__main__":
    main()
