"""Regenerate ``data/pricing.json`` from local copies of LiteLLM's price table.

The program never downloads prices; this script is how the bundled table is
refreshed by a maintainer. Give it LiteLLM's
``model_prices_and_context_window.json`` (any copy: a git checkout, or
``litellm/model_prices_and_context_window_backup.json`` inside a litellm
wheel). Further, older copies may follow: LiteLLM deletes retired models, but
their usage stays in old logs, so a model missing from the newest file keeps
its price from the newest older file that has it.

Usage: python scripts/make_pricing.py NEWEST.json [OLDER.json ...]
           [--source TEXT] [--date YYYY-MM-DD] [-o OUT]
"""

from __future__ import annotations

import argparse
import datetime
import sys
from pathlib import Path

import msgspec

from llm_session_manager.core.errors import BadInput
from llm_session_manager.core.pricing import ModelPrice, merge_models, select_models, write_table

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "server/llm_session_manager/data/pricing.json"


def read(path: Path) -> dict[str, ModelPrice]:
    raw = msgspec.json.decode(path.read_bytes())
    if not isinstance(raw, dict):
        sys.exit(f"{path} is not a JSON object of models")
    return select_models(raw, origin=str(path))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path, help="LiteLLM tables, newest first")
    parser.add_argument("--source", help="where the files came from, recorded in _meta")
    parser.add_argument("--date", default=datetime.date.today().isoformat(), help="recorded in _meta")
    parser.add_argument("-o", "--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()

    try:
        models: dict[str, ModelPrice] = {}
        for path in reversed(args.files):  # oldest first, each newer file wins
            models = merge_models(read(path), models)
    except BadInput as e:
        sys.exit(str(e))
    meta = {
        "source": args.source or ", ".join(p.name for p in args.files),
        "upstream": "https://github.com/BerriAI/litellm/blob/main/model_prices_and_context_window.json",
        "date": args.date,
        "models": len(models),
    }
    write_table(args.out, models, meta)
    print(f"wrote {args.out}: {len(models)} models")


if __name__ == "__main__":
    main()
