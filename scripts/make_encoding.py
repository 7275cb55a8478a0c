"""Build ``data/o200k_base.tiktoken`` from the npm package js-tiktoken.

tiktoken downloads its encodings from a blob store the first time they are
used, which a machine without that network cannot do. The same ranks ship in
the npm registry inside js-tiktoken, so this script installs that package in a
temporary directory, rewrites its compact rank list in tiktoken's own file
format (``base64(token) rank`` per line, in rank order) and refuses to write
anything whose sha256 differs from the hash tiktoken itself expects for
o200k_base. The result is byte-for-byte the file tiktoken would download.

Usage: python scripts/make_encoding.py [--js-tiktoken DIR] [-o OUT]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import inspect
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

JS_TIKTOKEN = "js-tiktoken@1.0.21"
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "server/llm_session_manager/data/o200k_base.tiktoken"


def expected_hash() -> str:
    """The sha256 tiktoken checks a downloaded o200k_base file against."""
    from tiktoken_ext import openai_public

    source = inspect.getsource(openai_public.o200k_base)
    match = re.search(r'expected_hash="([0-9a-f]{64})"', source)
    if match is None:
        sys.exit("cannot find o200k_base's expected_hash in tiktoken_ext/openai_public.py")
    return match.group(1)


def install_js_tiktoken(into: Path) -> Path:
    """``npm install`` js-tiktoken into ``into``; return the package directory."""
    subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--silent", "--prefix", str(into), JS_TIKTOKEN],
        check=True,
    )
    return into / "node_modules" / "js-tiktoken"


def tiktoken_file(package: Path) -> bytes:
    """Rewrite js-tiktoken's ``ranks/o200k_base.js`` in tiktoken's format.

    The JS module is ``export default {..., "bpe_ranks": "..."};`` where
    ``bpe_ranks`` holds lines ``! OFFSET TOKEN TOKEN ...``: the tokens are
    base64 and take consecutive ranks from OFFSET (js-tiktoken's own decoder
    reads it the same way).
    """
    source = (package / "dist" / "ranks" / "o200k_base.js").read_text(encoding="utf-8")
    body = source.strip().removeprefix("export default").strip().removesuffix(";")
    ranks: dict[str, int] = {}
    for line in json.loads(body)["bpe_ranks"].split("\n"):
        if not line:
            continue
        _, offset, *tokens = line.split(" ")
        for i, token in enumerate(tokens):
            ranks[token] = int(offset) + i
    lines = []
    for token, rank in sorted(ranks.items(), key=lambda item: item[1]):
        base64.b64decode(token, validate=True)  # a malformed token fails here, not at load time
        lines.append(f"{token} {rank}\n")
    return "".join(lines).encode("ascii")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--js-tiktoken", type=Path, help="an installed js-tiktoken package directory")
    parser.add_argument("-o", "--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        package = args.js_tiktoken or install_js_tiktoken(Path(tmp))
        data = tiktoken_file(package)
    want = expected_hash()
    got = hashlib.sha256(data).hexdigest()
    if got != want:
        sys.exit(f"sha256 {got} differs from tiktoken's expected {want}; not written")
    args.out.write_bytes(data)
    print(f"wrote {args.out} ({len(data)} bytes, sha256 {got})")


if __name__ == "__main__":
    main()
