"""What ccusage charges per token kind, model by model, measured on the real binary.

ccusage's prices are LiteLLM's table as of its build, with a built-in table of
its own on top (Claude 3.x, 4.x and some GPT-5 prices; ``PricingMap::
put_builtin_pricing`` in its source). Neither is readable from the installed
binary, so this asks it: for each model name, one Claude Code log line per
token kind (input, output, 5-minute and 1-hour cache writes, cache reads) at
100k and at 1M tokens, one day each, then ``ccusage claude daily --breakdown``
says what each day cost. 100k gives the base price; 1M also shows a price above
200k tokens, where the model has one.

    python bench/ccusage_prices.py NAME... [--json]        # prices per million tokens
    python bench/ccusage_prices.py --builtin > server/llm_session_manager/data/pricing_builtin.json

``--builtin`` measures the names of ccusage's built-in table, and the few
models whose LiteLLM price differs between ccusage's build and the LiteLLM
release we ship, and writes them as LiteLLM-shaped entries (our
``pricing_builtin.json``, applied over LiteLLM's table as ccusage applies its own).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import CCUSAGE_VERSION, ensure_ccusage

KINDS = ("input", "output", "cache_write_5m", "cache_read", "cache_write_1h")
SMALL, LARGE, THRESHOLD = 100_000, 1_000_000, 200_000

# ccusage 20.0.24's built-in prices (its source's put_builtin_pricing; GLM and
# Kimi appear in Claude Code logs run against their Anthropic-compatible APIs).
BUILTIN = (
    "claude-opus-4-5", "claude-opus-4-6", "claude-opus-4-7", "claude-opus-4-8", "claude-haiku-4-5",
    "claude-opus-4", "claude-sonnet-4-6", "claude-sonnet-4", "claude-3-5-haiku", "claude-3-5-haiku-20241022",
    "claude-3-opus", "claude-3-sonnet", "claude-3-haiku", "gpt-5", "gpt-5.5", "gpt-5.1", "gpt-5.1-codex",
    "gpt-5.2-codex", "gpt-5.3-codex", "gpt-5.2", "gpt-5.4", "gpt-5.4-mini", "gpt-5.4-nano",
    "gpt-5.6-sol", "gpt-5.6-terra", "gpt-5.6-luna", "grok-4.3", "moonshot/kimi-k2.5", "moonshot/kimi-k2.6",
    "glm-4.5", "zai/glm-4.5", "zai/glm-4.5-x", "zai/glm-4.5-air", "zai/glm-4.5-airx", "zai/glm-4.5v",
    "zai/glm-4-32b-0414-128k", "zai/glm-4.5-flash", "glm-4.6", "glm-4.7", "glm-5", "glm-5-turbo", "glm-5.1",
)
# Models whose LiteLLM price when ccusage was built differs from the LiteLLM
# release we ship (LiteLLM 1.110.2 dropped Sonnet 4.5's prices above 200k).
DIFFERS = ("claude-sonnet-4-5", "claude-sonnet-4-5-20250929")
# ccusage's context windows for them: 1M for these, 200k for the other Claude ones.
BUILTIN_WINDOWS = {"claude-opus-4-6": 1_000_000, "claude-opus-4-7": 1_000_000, "claude-opus-4-8": 1_000_000,
                   "claude-sonnet-4-6": 1_000_000, "gpt-5.5": 1_050_000, "gpt-5.4": 1_050_000,
                   "grok-4.3": 1_000_000, "moonshot/kimi-k2.5": 262_144, "moonshot/kimi-k2.6": 262_144}


def _line(n: int, model: str, kind: str, size: int, day: str) -> str:
    usage = {
        "input_tokens": size if kind == "input" else 0,
        "cache_creation_input_tokens": size if kind.startswith("cache_write") else 0,
        "cache_read_input_tokens": size if kind == "cache_read" else 0,
        "cache_creation": {
            "ephemeral_5m_input_tokens": size if kind == "cache_write_5m" else 0,
            "ephemeral_1h_input_tokens": size if kind == "cache_write_1h" else 0,
        },
        "output_tokens": size if kind == "output" else 0,
    }
    line = {
        "parentUuid": None, "isSidechain": False, "userType": "external", "cwd": "/tmp/probe",
        "sessionId": "probe", "version": "2.0.14", "type": "assistant",
        "message": {"id": f"msg_{n}", "type": "message", "role": "assistant", "model": model,
                    "content": [], "usage": usage},
        "requestId": f"req_{n}", "uuid": f"probe-{n}", "timestamp": f"{day}T10:{n // 60 % 60:02d}:{n % 60:02d}.000Z",
    }
    return json.dumps(line, separators=(",", ":"))  # ccusage skips lines spaced otherwise


def measure(models: list[str]) -> dict[str, dict[str, dict[str, float]]]:
    """Per model, per token kind: USD for 100k and for 1M tokens (0 for a model ccusage cannot price)."""
    binary = ensure_ccusage()
    days: dict[str, tuple[str, int]] = {}
    with tempfile.TemporaryDirectory(prefix="ccusage-prices-") as tmp:
        log = Path(tmp, "projects", "-tmp-probe", "probe.jsonl")
        log.parent.mkdir(parents=True)
        lines, n = [], 0
        for k, kind in enumerate(KINDS):
            for s, size in enumerate((SMALL, LARGE)):
                day = f"2025-08-{1 + 2 * k + s:02d}"
                days[day] = (kind, size)
                for model in models:
                    lines.append(_line(n, model, kind, size, day))
                    n += 1
        log.write_text("\n".join(lines) + "\n")
        env = {"HOME": tmp, "CLAUDE_CONFIG_DIR": tmp, "TZ": "UTC", "PATH": os.environ.get("PATH", "")}
        out = subprocess.run([str(binary), "claude", "daily", "--json", "--offline", "--breakdown"],
                             capture_output=True, text=True, env=env, check=True).stdout
    costs: dict[str, dict[str, dict[str, float]]] = {m: {k: {} for k in KINDS} for m in models}
    for day in json.loads(out)["daily"]:
        kind, size = days[day["date"]]
        for part in day["modelBreakdowns"]:
            costs[part["modelName"]][kind][str(size)] = part["cost"]
    return costs


def per_token(cost: dict[str, float]) -> tuple[float, float | None]:
    """Base price per token, and the price above 200k tokens if it differs."""
    base = cost.get(str(SMALL), 0.0) / SMALL
    above = (cost.get(str(LARGE), 0.0) - THRESHOLD * base) / (LARGE - THRESHOLD)
    return base, (above if abs(above - base) > base * 1e-9 else None)


def as_entry(model: str, cost: dict[str, dict[str, float]]) -> dict:
    """A LiteLLM-shaped entry with the prices ccusage charged."""
    fields = {"input": "input_cost_per_token", "output": "output_cost_per_token",
              "cache_write_5m": "cache_creation_input_token_cost", "cache_read": "cache_read_input_token_cost"}
    entry: dict = {}
    for kind, name in fields.items():
        base, above = per_token(cost[kind])
        entry[name] = float(f"{base:.6g}")
        if above is not None:
            entry[f"{name}_above_200k_tokens"] = float(f"{above:.6g}")
    entry["max_input_tokens"] = BUILTIN_WINDOWS.get(model, 200_000 if model.startswith("claude-") else None)
    if model.startswith(("claude-", "gpt-")):
        entry["litellm_provider"] = "anthropic" if model.startswith("claude-") else "openai"
        entry["mode"] = "chat"
    return {k: v for k, v in entry.items() if v is not None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*")
    parser.add_argument("--builtin", action="store_true", help="write ccusage's built-in table as pricing_builtin.json")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    models = [*BUILTIN, *DIFFERS] if args.builtin else args.models
    costs = measure(models)
    if args.builtin:
        source = (f"ccusage {CCUSAGE_VERSION}'s built-in prices, and its prices for {', '.join(DIFFERS)}, "
                  "measured by bench/ccusage_prices.py")
        table = {"_meta": {"source": source, "models": len(models)}}
        table.update({m: as_entry(m, costs[m]) for m in sorted(models)})
        print(json.dumps(table, indent=1))
    elif args.json:
        print(json.dumps(costs, indent=1))
    else:
        for model in models:
            cells = []
            for kind in KINDS:
                base, above = per_token(costs[model][kind])
                cells.append(f"{kind} {base * 1e6:g}" + (f"/{above * 1e6:g}" if above is not None else ""))
            print(f"{model}: " + ", ".join(cells))


if __name__ == "__main__":
    main()
