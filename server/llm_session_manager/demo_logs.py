"""Claude Code and Codex logs written the way the assistants write them.

Two users need logs that are not the user's own: ``llm-session demo`` and the tests
want a small history that shows every case the product reports on (a nearly full
context, an idle session, streamed responses written several times, a resumed
session, a sub-agent, two sessions on one project), and the benchmark wants
hundreds of megabytes of the same shape, fast. Both write the assistants' real
layouts under a root of their own, so nothing ever touches real logs.

Shapes follow Claude Code 2.0.x: ``projects/<cwd, non-alphanumerics as ->/<sessionId>.jsonl``,
sub-agents in ``agent-<id>.jsonl`` beside it, one line per content block of a streamed
response with the same ``message.id`` and ``requestId`` on each and the final
``output_tokens`` only on the last, a resumed session copying the earlier
conversation under its new id. Codex follows CLI 0.5x:
``sessions/YYYY/MM/DD/rollout-<local time>-<uuid7>.jsonl`` with a ``token_count``
event (cumulative and per-call usage, rate limits) after every model call.

Claude lines are assembled from string templates around JSON encoded once, which is
what makes the benchmark corpus cheap; every line is still valid JSON.
"""

from __future__ import annotations

import json
import os
import random
import re
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

import msgspec

CLAUDE_VERSION = "2.0.31"
CODEX_VERSION = "0.58.0"
CLAUDE_WINDOW = 200_000
CODEX_WINDOW = 272_000
OPUS, OPUS_41 = "claude-opus-4-5-20251101", "claude-opus-4-1-20250805"
SONNET, SONNET_4, HAIKU = "claude-sonnet-4-5-20250929", "claude-sonnet-4-20250514", "claude-haiku-4-5-20251001"
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_ARROW = "\u2192"  # Read numbers lines as "     1→text"
_REMINDER = (
    "\n\n<system-reminder>\nWhen you read a file, consider whether it looks malicious. You may explain"
    " what such code does, but do not improve or extend it.\n</system-reminder>\n"
)


@dataclass(frozen=True)
class DemoLayout:
    """Where the demo logs are, to point ``CLAUDE_CONFIG_DIR`` and ``CODEX_HOME`` at."""

    claude_config_dir: Path
    codex_home: Path
    sessions: dict[str, str]  # case -> session id: long, degraded, idle, resumed, ...
    files: list[Path] = field(default_factory=list)


class CorpusStats(msgspec.Struct):
    """What ``write_corpus`` wrote, and the per-day totals a correct reader must report."""

    bytes: int
    files: int
    lines: int
    assistant_lines: int
    unique_responses: int
    days: dict[str, dict[str, int]]  # UTC day -> input/output/cache_creation/cache_read _tokens


def _j(value: object) -> str:
    """Compact JSON with UTF-8 kept, as both assistants write it."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _iso(t: datetime) -> str:
    t = t.astimezone(UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def _tokens(text: str) -> int:
    return len(text) // 4 + 1


def _project_dir(cwd: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "-", cwd)


class _Ids:
    """Ids in each assistant's own format, all drawn from one seeded generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def uuid4(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def uuid7(self, t: datetime) -> str:
        bits = (int(t.timestamp() * 1000) << 80) | (7 << 76) | (self.rng.getrandbits(12) << 64)
        return str(uuid.UUID(int=bits | (2 << 62) | self.rng.getrandbits(62)))

    def b58(self, n: int) -> str:
        return "".join(self.rng.choices(_B58, k=n))

    def hex(self, n: int) -> str:
        return f"{self.rng.getrandbits(4 * n):0{n}x}"


# --- file contents: what tool results are made of -----------------------------

_CHUNKS = {
    "py": [
        """\
import logging
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

logger = logging.getLogger(__name__)
""",
        """\
@dataclass(frozen=True)
class OrderLine:
    sku: str
    quantity: int
    unit_price: Decimal

    @property
    def subtotal(self) -> Decimal:
        return (self.unit_price * self.quantity).quantize(Decimal("0.01"), ROUND_HALF_EVEN)
""",
        """\
def create_order(session: Session, customer_id: int, lines: list[OrderLine]) -> Order:
    if not lines:
        raise ValueError("an order needs at least one line")
    order = Order(customer_id=customer_id, status="pending")
    for line in lines:
        order.lines.append(OrderLineRow(sku=line.sku, quantity=line.quantity, unit_price=line.unit_price))
    session.add(order)
    session.flush()
    logger.info("created order %s for customer %s", order.id, customer_id)
    return order
""",
        """\
@router.get("/v1/orders/{order_id}")
async def get_order(order_id: int, user: User = Depends(current_user)) -> OrderOut:
    order = await orders.get(order_id)
    if order is None or order.customer_id != user.customer_id:
        raise HTTPException(status_code=404, detail="order not found")
    return OrderOut.from_model(order)
""",
        """\
def test_create_order_rejects_empty_lines(session):
    with pytest.raises(ValueError):
        create_order(session, customer_id=1, lines=[])


def test_order_total_rounds_half_even(session):
    order = create_order(session, 1, [OrderLine("A-1", 3, Decimal("0.335"))])
    assert order_total(order) == Decimal("1.00")
""",
        """\
def transform(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.dropna(subset=["customer_id"])
    frame["order_date"] = pd.to_datetime(frame["created_at"]).dt.date
    totals = frame.groupby(["customer_id", "order_date"], as_index=False)["amount"].sum()
    return totals.rename(columns={"amount": "daily_total"})
""",
        """\
class Settings(BaseSettings):
    redis_url: str = "redis://localhost:6379/0"
    database_url: str
    rate_limit_per_minute: int = 120

    model_config = SettingsConfigDict(env_file=".env")
""",
        """\
async def current_user(authorization: str = Header(...)) -> User:
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise HTTPException(status_code=401, detail="missing bearer token")
    claims = jwt.decode(token, settings.jwt_public_key, algorithms=["RS256"])
    return await users.get(claims["sub"])
""",
    ],
    "ts": [
        """\
import React, { useCallback, useMemo } from 'react';
import { View, Text, Pressable } from 'react-native';
import { useCartStore } from '../store/cart';
""",
        """\
export function CheckoutScreen({ navigation }: Props) {
  const items = useCartStore((s) => s.items);
  const coupon = useCartStore((s) => s.coupon);
  const total = useMemo(() => priceWithCoupon(items, coupon), [items, coupon]);
  const onPay = useCallback(async () => {
    await api.checkout({ items, coupon: coupon?.code });
    navigation.replace('OrderPlaced');
  }, [items, coupon, navigation]);
  return (
    <View style={styles.container}>
      <PriceTag amount={total} />
      <Pressable onPress={onPay}><Text>Pay</Text></Pressable>
    </View>
  );
}
""",
        """\
export const useCartStore = create<CartState>((set, get) => ({
  items: [],
  coupon: null,
  applyCoupon: (coupon) => {
    set({ coupon });
    get().recalculate();
  },
  recalculate: () => set((s) => ({ items: s.items.map((i) => ({ ...i })) })),
}));
""",
        """\
export async function request<T>(path: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(`${BASE_URL}${path}`, { ...init, headers: await authHeaders(init.headers) });
  if (!res.ok) {
    throw new ApiError(res.status, await res.text());
  }
  return (await res.json()) as T;
}
""",
        """\
describe('priceWithCoupon', () => {
  it('applies a percentage coupon once', () => {
    expect(priceWithCoupon([{ sku: 'a', price: 1000, qty: 2 }], { code: 'TEN', percent: 10 })).toBe(1800);
  });
});
""",
    ],
    "tf": [
        """\
resource "aws_db_instance" "main" {
  identifier              = "${var.name}-${var.env}"
  engine                  = "postgres"
  engine_version          = "16.4"
  instance_class          = var.instance_class
  allocated_storage       = var.storage_gb
  backup_retention_period = 14
  parameter_group_name    = aws_db_parameter_group.main.name
  tags                    = local.tags
}
""",
        """\
variable "instance_class" {
  type        = string
  description = "RDS instance class"
  default     = "db.t4g.medium"
}
""",
        """\
module "rds" {
  source         = "../../modules/rds"
  name           = "orders"
  env            = "prod"
  instance_class = "db.r6g.large"
  storage_gb     = 200
}
""",
        """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web-api
spec:
  replicas: 3
  template:
    spec:
      containers:
        - name: web-api
          image: ghcr.io/acme/web-api:1.42.0
""",
    ],
    "md": [
        """\
## Orders API

`POST /v1/orders` creates an order. Requests are limited per API key; see *Rate limits*.
""",
        """\
### Rate limits

| plan | requests per minute |
| --- | --- |
| free | 60 |
| team | 600 |
""",
    ],
}
_LANG = {".py": "py", ".ts": "ts", ".tsx": "ts", ".json": "ts", ".tf": "tf", ".yaml": "tf", ".yml": "tf", ".md": "md"}


def _lang(path: str) -> str:
    return _LANG.get(os.path.splitext(path)[1], "py")


def _source(rng: random.Random, lang: str, n_lines: int) -> str:
    chunks = _CHUNKS[lang]
    lines = chunks[0].split("\n")
    while len(lines) < n_lines:
        lines += rng.choice(chunks).split("\n")
    return "\n".join(lines[:n_lines]) + "\n"


def _numbered(lines: list[str], first: int = 1) -> str:
    return "\n".join(f"{n:>6}{_ARROW}{line}" for n, line in enumerate(lines, first))


class _Blob(NamedTuple):
    """A file's text, encoded once: the raw text and the Read tool's numbered view."""

    raw: str  # JSON string of the text
    numbered: str  # JSON string of the text as Read shows it
    lines: list[str]
    tokens: int


def _blob(text: str) -> _Blob:
    lines = text.split("\n")
    numbered = _numbered(lines) + _REMINDER
    return _Blob(_j(text), _j(numbered), lines, _tokens(numbered))


def _pytest_output(rng: random.Random, cwd: str, ok: bool) -> str:
    n = rng.randint(8, 60)
    bar = "=" * 30
    out = (
        f"{bar} test session starts {bar}\nplatform linux -- Python 3.12.7, pytest-8.3.3, pluggy-1.5.0\n"
        f"rootdir: {cwd}\nconfigfile: pyproject.toml\ncollected {n} items\n\n"
        + "".join(f"tests/test_{m}.py {'.' * rng.randint(2, 12)}\n" for m in ("api", "orders", "pricing"))
    )
    if ok:
        return out + f"\n{bar} {n} passed in {rng.uniform(0.4, 9):.2f}s {bar}"
    return out + (
        f"\n{bar} FAILURES {bar}\n______ test_limit_resets_window ______\n\n"
        '>       assert response.headers["X-RateLimit-Remaining"] == "119"\n'
        "E       KeyError: 'x-ratelimit-remaining'\n\ntests/test_ratelimit.py:41: KeyError\n"
        f"{bar} short test summary info {bar}\n"
        f"FAILED tests/test_ratelimit.py::test_limit_resets_window - KeyError\n1 failed, {n - 1} passed"
    )


def _bash_output(rng: random.Random, cwd: str, command: str, ok: bool) -> str:
    if "pytest" in command:
        return _pytest_output(rng, cwd, ok)
    if "jest" in command or "tsc" in command:
        if ok:
            return (
                "PASS src/store/cart.test.ts\nPASS src/utils/price.test.ts\n\n"
                f"Tests:       {rng.randint(10, 90)} passed\nTime:        {rng.uniform(1, 8):.3f} s"
            )
        return (
            "FAIL src/store/cart.test.ts\n  \u25cf cart \u203a applyCoupon does not loop\n\n"
            "    Maximum update depth exceeded. This can happen when a component calls setState inside"
            " useEffect.\n\n      at recalculate (src/store/cart.ts:9:28)\n\n"
            "Tests:       1 failed, 23 passed, 24 total"
        )
    if command.startswith("terraform"):
        return (
            "module.rds.aws_db_instance.main: Refreshing state... [id=orders-prod]\n\n"
            "  # module.rds.aws_db_instance.main will be updated in-place\n"
            '  ~ resource "aws_db_instance" "main" {\n'
            '      ~ instance_class = "db.r6g.large" -> "db.r6g.xlarge"\n    }\n\n'
            "Plan: 0 to add, 1 to change, 0 to destroy."
        )
    if command.startswith("git"):
        return (
            " src/api/ratelimit.py      | 84 ++++++++++++\n src/api/orders.py         | 12 +-\n"
            " tests/test_ratelimit.py   | 97 +++++++++++++\n 3 files changed, 189 insertions(+), 4 deletions(-)"
        )
    return (
        "total 48\ndrwxr-xr-x  8 alex alex 4096 .\n-rw-r--r--  1 alex alex 1207 README.md\n"
        "drwxr-xr-x  6 alex alex 4096 src\ndrwxr-xr-x  3 alex alex 4096 tests"
    )


# --- tool calls -----------------------------------------------------------------------------------------


class _Op(NamedTuple):
    """One tool call: the assistant's tool_use block and what came back."""

    id: str
    use: str  # tool_use content block, JSON
    result: str  # tool_result content, JSON
    detail: str  # the line's toolUseResult, JSON
    error: bool
    tokens: int  # what the result adds to the context


def _use(tid: str, name: str, args: dict[str, object]) -> str:
    return f'{{"type":"tool_use","id":"{tid}","name":"{name}","input":{_j(args)}}}'


def _text(text: str) -> str:
    return f'{{"type":"text","text":{_j(text)}}}'


def _think(ids: _Ids, text: str) -> str:
    return f'{{"type":"thinking","thinking":{_j(text)},"signature":"{ids.b58(180)}"}}'


_TODO_DONE = (
    "Todos have been modified successfully. Ensure that you continue to use the todo list to track your"
    " progress. Please proceed with the current tasks if applicable"
)


class _Files:
    """One project's files, and the tool calls Claude Code makes on them.

    ``op(kind, arg)`` takes a kind (``read``, ``edit``, ``bash``, ``grep``, ``glob``,
    ``write``, ``todo``; ``edit!`` and ``bash!`` fail) and a path, command or pattern.
    """

    def __init__(self, ids: _Ids, cwd: str, blob_for: Callable[[str], _Blob]) -> None:
        self.ids, self.rng, self.cwd, self.blob_for = ids, ids.rng, cwd, blob_for

    def op(self, kind: str, arg: str) -> _Op:
        return getattr(self, "_" + kind.rstrip("!"))("toolu_01" + self.ids.b58(22), arg, kind.endswith("!"))

    def _read(self, tid: str, rel: str, _: bool) -> _Op:
        b, path = self.blob_for(rel), f"{self.cwd}/{rel}"
        n = len(b.lines)
        detail = (
            f'{{"type":"text","file":{{"filePath":{_j(path)},"content":{b.raw},'
            f'"numLines":{n},"startLine":1,"totalLines":{n}}}}}'
        )
        return _Op(tid, _use(tid, "Read", {"file_path": path}), b.numbered, detail, False, b.tokens)

    def _edit(self, tid: str, rel: str, fail: bool) -> _Op:
        b, path = self.blob_for(rel), f"{self.cwd}/{rel}"
        at = self.rng.randrange(len(b.lines))
        old = b.lines[at] or b.lines[0]
        new = old.replace("return", "return  ") if "return" in old else old + "  # reviewed"
        use = _use(tid, "Edit", {"file_path": path, "old_string": old, "new_string": new})
        if fail:
            msg = f"String to replace not found in file.\nString: {old}"
            return _Op(tid, use, _j(f"<tool_use_error>{msg}</tool_use_error>"), _j("Error: " + msg), True, 30)
        first = max(0, at - 4)
        text = (
            f"The file {path} has been updated. Here's the result of running `cat -n` on a snippet of the"
            f" edited file:\n{_numbered(b.lines[first : at + 5], first + 1)}"
        )
        patch = [
            {"oldStart": at + 1, "oldLines": 1, "newStart": at + 1, "newLines": 1, "lines": [f"-{old}", f"+{new}"]}
        ]
        detail = (
            f'{{"filePath":{_j(path)},"oldString":{_j(old)},"newString":{_j(new)},"originalFile":{b.raw},'
            f'"structuredPatch":{_j(patch)},"userModified":false,"replaceAll":false}}'
        )
        return _Op(tid, use, _j(text), detail, False, _tokens(text))

    def _bash(self, tid: str, command: str, fail: bool) -> _Op:
        out = _bash_output(self.rng, self.cwd, command, not fail)
        use = _use(tid, "Bash", {"command": command, "description": "Run " + command.split()[0]})
        if fail:
            return _Op(tid, use, _j("Exit code 1\n" + out), _j("Error: Exit code 1\n" + out), True, _tokens(out))
        detail = _j({"stdout": out, "stderr": "", "interrupted": False, "isImage": False})
        return _Op(tid, use, _j(out), detail, False, _tokens(out))

    def _grep(self, tid: str, pattern: str, _: bool) -> _Op:
        rng = self.rng
        where = ("src/app.py", "src/settings.py", "src/api/deps.py")[: rng.randint(1, 3)]
        hits = [f"{self.cwd}/{p}:{rng.randint(3, 140)}:    {pattern} = settings.{pattern.lower()}" for p in where]
        text = "\n".join(hits)
        detail = _j({"mode": "content", "numFiles": 0, "filenames": [], "content": text, "numLines": len(hits)})
        use = _use(tid, "Grep", {"pattern": pattern, "output_mode": "content", "-n": True})
        return _Op(tid, use, _j(text), detail, False, _tokens(text))

    def _glob(self, tid: str, pattern: str, _: bool) -> _Op:
        names = [f"{self.cwd}/src/{d}/{n}" for d in ("screens", "store", "api") for n in ("index.ts", "types.ts")]
        detail = _j(
            {"filenames": names, "durationMs": self.rng.randint(4, 90), "numFiles": len(names), "truncated": False}
        )
        return _Op(tid, _use(tid, "Glob", {"pattern": pattern}), _j("\n".join(names)), detail, False, 20 * len(names))

    def _write(self, tid: str, rel: str, _: bool) -> _Op:
        text, path = _source(self.rng, _lang(rel), self.rng.randint(30, 110)), f"{self.cwd}/{rel}"
        detail = _j({"type": "create", "filePath": path, "content": text, "structuredPatch": []})
        use = _use(tid, "Write", {"file_path": path, "content": text})
        return _Op(tid, use, _j(f"File created successfully at: {path}"), detail, False, 12)

    def _todo(self, tid: str, items: str, _: bool) -> _Op:
        states = ("completed", "in_progress", "pending", "pending", "pending")
        todos = [{"content": c, "status": s, "activeForm": c} for c, s in zip(items.split("; "), states, strict=False)]
        detail = _j({"oldTodos": [], "newTodos": todos})
        return _Op(tid, _use(tid, "TodoWrite", {"todos": todos}), _j(_TODO_DONE), detail, False, 40)


# --- Claude Code transcripts --------------------------------------------------------------------------


class _Transcript:
    """One Claude Code .jsonl file: its common fields, parent chain, clock and context."""

    def __init__(
        self, ids: _Ids, session_id: str, cwd: str, branch: str, model: str, clock: datetime, agent_id: str = ""
    ) -> None:
        self.ids, self.rng, self.session_id, self.cwd, self.model = ids, ids.rng, session_id, cwd, model
        self.clock = self.started = clock
        self.agent_id = agent_id
        self.head = (
            f'"isSidechain":{"true" if agent_id else "false"},"userType":"external","cwd":{_j(cwd)},'
            f'"sessionId":"{session_id}","version":"{CLAUDE_VERSION}","gitBranch":{_j(branch)}'
            + (f',"agentId":"{agent_id}"' if agent_id else "")
        )
        self.lines: list[str] = []
        self.size = 0  # characters so far
        self.parent: str | None = None
        self.context = 0  # tokens in the window of the last call
        self.pending = 0  # tokens added since: prompts, the last output, tool results
        self.responses: list[tuple[datetime, int, int, int, int]] = []  # ts, in, out, cache write, cache read

    def _emit(self, line: str) -> None:
        self.lines.append(line)
        self.size += len(line)

    def _link(self) -> tuple[str, str]:
        parent = "null" if self.parent is None else f'"{self.parent}"'
        self.parent = self.ids.uuid4()
        return parent, self.parent

    def _user(self, content: str, extra: str = "") -> None:
        parent, uid = self._link()
        self._emit(
            f'{{"parentUuid":{parent},{self.head},"type":"user","message":{{"role":"user","content":{content}}}'
            f'{extra},"uuid":"{uid}","timestamp":"{_iso(self.clock)}"}}\n'
        )

    def wait(self, low: float, high: float) -> None:
        self.clock += timedelta(seconds=self.rng.uniform(low, high))

    def prompt(self, text: str) -> None:
        if not self.agent_id:
            mid, ts = self.ids.uuid4(), _iso(self.clock)
            self._emit(
                f'{{"type":"file-history-snapshot","messageId":"{mid}","snapshot":{{"messageId":"{mid}",'
                f'"trackedFileBackups":{{}},"timestamp":"{ts}"}},"isSnapshotUpdate":false}}\n'
            )
        self._user(_j(text))
        self.pending += _tokens(text)

    def respond(self, blocks: list[str], output: int, stop: str) -> None:
        """One API response: a line per content block, the same ids on each, final usage on the last."""
        rng = self.rng
        msg, req = "msg_01" + self.ids.b58(22), "req_011C" + self.ids.b58(21)
        if self.context == 0:  # the system prompt and tools, often still cached from another session
            read = rng.choice((0, rng.randint(11_000, 15_000)))
            creation = self.pending + (rng.randint(12_000, 16_000) if read == 0 else rng.randint(900, 3_000))
        else:
            read, creation = self.context, self.pending
        inp, partial = rng.randint(1, 9), rng.randint(1, 8)
        for i, block in enumerate(blocks):
            last = i == len(blocks) - 1
            parent, uid = self._link()
            self._emit(
                f'{{"parentUuid":{parent},{self.head},"message":{{"model":"{self.model}","id":"{msg}",'
                f'"type":"message","role":"assistant","content":[{block}],'
                f'"stop_reason":{_j(stop) if last else "null"},"stop_sequence":null,"usage":{{"input_tokens":{inp},'
                f'"cache_creation_input_tokens":{creation},"cache_read_input_tokens":{read},"cache_creation":'
                f'{{"ephemeral_5m_input_tokens":{creation},"ephemeral_1h_input_tokens":0}},'
                f'"output_tokens":{output if last else min(partial, output - 1)},"service_tier":"standard"}}}},'
                f'"requestId":"{req}","type":"assistant","uuid":"{uid}","timestamp":"{_iso(self.clock)}"}}\n'
            )
            if not last:
                self.wait(0.3, 4)
        self.responses.append((self.clock, inp, output, creation, read))
        self.context, self.pending = inp + creation + read, output

    def tool_result(self, op: _Op) -> None:
        error = ',"is_error":true' if op.error else ""
        self._user(
            f'[{{"tool_use_id":"{op.id}","type":"tool_result","content":{op.result}{error}}}]',
            f',"toolUseResult":{op.detail}',
        )
        self.pending += op.tokens

    def api_error(self, text: str) -> None:
        """What Claude Code logs when a request fails: a synthetic message with zero usage."""
        parent, uid = self._link()
        self._emit(
            f'{{"parentUuid":{parent},{self.head},"type":"assistant","uuid":"{uid}","timestamp":"{_iso(self.clock)}",'
            f'"message":{{"id":"{self.ids.uuid4()}","container":null,"model":"<synthetic>","role":"assistant",'
            f'"stop_reason":"stop_sequence","stop_sequence":"","type":"message","usage":{{"input_tokens":0,'
            f'"output_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"server_tool_use":'
            f'{{"web_search_requests":0}},"service_tier":null,"cache_creation":{{"ephemeral_1h_input_tokens":0,'
            f'"ephemeral_5m_input_tokens":0}}}},"content":[{_text(text)}],"context_management":null}},'
            f'"isApiErrorMessage":true}}\n'
        )

    def summary(self, text: str) -> None:
        self._emit(f'{{"type":"summary","summary":{_j(text)},"leafUuid":"{self.ids.uuid4()}"}}\n')

    def compact(self, summary: str) -> None:
        """Auto-compact: a boundary line, then the summary as a user message; the context restarts."""
        uid = self.ids.uuid4()
        self._emit(
            f'{{"parentUuid":null,"logicalParentUuid":"{self.parent}",{self.head},"type":"system",'
            f'"subtype":"compact_boundary","content":"Conversation compacted","isMeta":false,'
            f'"timestamp":"{_iso(self.clock)}","uuid":"{uid}","level":"info",'
            f'"compactMetadata":{{"trigger":"auto","preTokens":{self.context}}}}}\n'
        )
        self.parent = uid
        text = (
            "This session is being continued from a previous conversation that ran out of context."
            " The conversation is summarized below:\n" + summary
        )
        self._user(_j(text), ',"isVisibleInTranscriptOnly":true,"isCompactSummary":true')
        self.context, self.pending = 0, _tokens(text)

    def replay(self, earlier: _Transcript, max_chars: int) -> None:
        """Resume: Claude Code copies the earlier conversation into the new file under the new session id."""
        old, new = f'"sessionId":"{earlier.session_id}"', f'"sessionId":"{self.session_id}"'
        for line in earlier.lines:
            if self.size >= max_chars:
                break
            if '"parentUuid"' in line:
                self._emit(line.replace(old, new, 1))
                at = line.rindex('"uuid":"') + 8
                self.parent = line[at : line.index('"', at)]
        self.context, self.pending = earlier.context, earlier.pending

    def write(self, path: Path) -> int:
        """Write the file, dated like the real one (its last line), and return its size in bytes."""
        path.parent.mkdir(parents=True, exist_ok=True)
        data = "".join(self.lines).encode()
        path.write_bytes(data)
        os.utime(path, (self.clock.timestamp(), self.clock.timestamp()))
        return len(data)


_LEADS = [
    "Let me look at how this is wired up first.",
    "I'll check the existing implementation.",
    "Now let me look at the related code.",
    "Let me verify that with the tests.",
    "I'll make the change now.",
]


def _step(t: _Transcript, files: _Files, kind: str, arg: str, lead: str = "", thought: str = "") -> None:
    """The assistant calls one tool, optionally thinking and saying why first, and gets the result."""
    op = files.op(kind, arg)
    t.wait(2, 12)
    blocks = ([_think(t.ids, thought)] if thought else []) + ([_text(lead)] if lead else []) + [op.use]
    t.respond(blocks, t.rng.randint(200, 900) if thought else t.rng.randint(40, 420), "tool_use")
    t.wait(0.2, 8 if kind.startswith("bash") else 1.5)
    t.tool_result(op)


_Steps = list[tuple[str, str]]


def _turn(t: _Transcript, files: _Files, prompt: str, steps: _Steps, answer: str, thought: str = "") -> None:
    t.prompt(prompt)
    for n, (kind, arg) in enumerate(steps):
        lead = _LEADS[(len(t.lines) + n) % len(_LEADS)] if n % 2 == 0 else ""
        _step(t, files, kind, arg, lead, thought if n == 0 else "")
    t.wait(5, 30)
    t.respond([_text(answer)], _tokens(answer) + t.rng.randint(20, 200), "end_turn")


# --- Codex rollouts -----------------------------------------------------------------------------------


class _Rollout:
    """One Codex rollout file: session meta, turns, and a token_count after every model call."""

    def __init__(self, ids: _Ids, cwd: str, model: str, clock: datetime, effort: str) -> None:
        self.ids, self.rng, self.cwd, self.model, self.effort = ids, ids.rng, cwd, model, effort
        self.clock = self.started = clock
        self.id = ids.uuid7(clock)
        self.lines: list[str] = []
        self.total = dict.fromkeys(
            ("input_tokens", "cached_input_tokens", "output_tokens", "reasoning_output_tokens", "total_tokens"), 0
        )
        self.limits = [self.rng.uniform(2, 30), self.rng.uniform(10, 60)]  # percent used: 5 h and weekly windows
        git = {
            "commit_hash": ids.hex(40),
            "branch": "main",
            "repository_url": f"git@github.com:acme/{Path(cwd).name}.git",
        }
        meta = {
            "id": self.id,
            "timestamp": _iso(clock),
            "cwd": cwd,
            "originator": "codex_cli_rs",
            "cli_version": CODEX_VERSION,
            "instructions": None,
            "source": "cli",
            "model_provider": "openai",
            "git": git,
        }
        self._emit("session_meta", meta)
        env = (
            f"<environment_context>\n  <cwd>{cwd}</cwd>\n  <approval_policy>on-request</approval_policy>\n"
            "  <sandbox_mode>workspace-write</sandbox_mode>\n  <network_access>restricted</network_access>\n"
            "  <shell>zsh</shell>\n</environment_context>"
        )
        self._message("user", "input_text", env)
        self.prompt_tokens = 9_000 + _tokens(env)  # instructions and tools, then the conversation

    def _emit(self, kind: str, payload: dict[str, object]) -> None:
        self.lines.append(_j({"timestamp": _iso(self.clock), "type": kind, "payload": payload}) + "\n")

    def _message(self, role: str, kind: str, text: str) -> None:
        self._emit("response_item", {"type": "message", "role": role, "content": [{"type": kind, "text": text}]})

    def _wait(self, low: float, high: float) -> None:
        self.clock += timedelta(seconds=self.rng.uniform(low, high))

    def _token_count(self, output: int) -> None:
        rng = self.rng
        cached = 0 if not self.total["input_tokens"] else self.prompt_tokens * rng.randint(80, 98) // 100 // 64 * 64
        last = {
            "input_tokens": self.prompt_tokens,
            "cached_input_tokens": cached,
            "output_tokens": output,
            "reasoning_output_tokens": min(output - 1, rng.randint(0, 3) * 64),
            "total_tokens": self.prompt_tokens + output,
        }
        for key, value in last.items():
            self.total[key] += value
        self.limits = [min(99.0, x + rng.uniform(0, 1.5)) for x in self.limits]
        now = int(self.clock.timestamp())
        limits = {
            "primary": {"used_percent": round(self.limits[0], 1), "window_minutes": 300, "resets_at": now + 9_000},
            "secondary": {
                "used_percent": round(self.limits[1], 1),
                "window_minutes": 10080,
                "resets_at": now + 300_000,
            },
        }
        info = {"total_token_usage": dict(self.total), "last_token_usage": last, "model_context_window": CODEX_WINDOW}
        self._emit("event_msg", {"type": "token_count", "info": info, "rate_limits": limits})
        self.prompt_tokens += output

    def _reason(self, summary: str) -> None:
        self._wait(2, 9)
        self._emit("event_msg", {"type": "agent_reasoning", "text": summary})
        secret = "gAAAAB" + self.ids.b58(600)
        summary_part = [{"type": "summary_text", "text": summary}]
        self._emit(
            "response_item",
            {"type": "reasoning", "summary": summary_part, "content": None, "encrypted_content": secret},
        )

    def turn(self, prompt: str, steps: list[tuple[str, str, str]], answer: str) -> None:
        """``steps``: (reasoning summary, ``shell`` or ``apply_patch``, command or patch)."""
        self._wait(20, 120)
        policy = {
            "mode": "workspace-write",
            "network_access": False,
            "exclude_tmpdir_env_var": False,
            "exclude_slash_tmp": False,
        }
        context = {"cwd": self.cwd, "approval_policy": "on-request", "sandbox_policy": policy, "model": self.model}
        self._emit("turn_context", context | {"effort": self.effort, "summary": "auto"})
        self._message("user", "input_text", prompt)
        self._emit("event_msg", {"type": "user_message", "message": prompt, "images": []})
        self.prompt_tokens += _tokens(prompt)
        for summary, tool, arg in steps:
            self._reason(summary)
            call = "call_" + self.ids.b58(24)
            if tool == "shell":
                args = _j({"command": ["bash", "-lc", arg], "workdir": self.cwd, "timeout_ms": 120000})
                self._emit(
                    "response_item", {"type": "function_call", "name": "shell", "arguments": args, "call_id": call}
                )
                out = _bash_output(self.rng, self.cwd, arg, True)
            else:
                patch = {"type": "custom_tool_call", "status": "completed", "call_id": call, "name": "apply_patch"}
                self._emit("response_item", patch | {"input": arg})
                out = "Success. Updated the following files:\nM " + arg.split("Update File: ")[1].split("\n")[0] + "\n"
            self._token_count(self.rng.randint(60, 500))
            self._wait(0.5, 6)
            meta = {"exit_code": 0, "duration_seconds": round(self.rng.uniform(0.05, 4), 1)}
            kind = "function_call_output" if tool == "shell" else "custom_tool_call_output"
            self._emit(
                "response_item", {"type": kind, "call_id": call, "output": _j({"output": out, "metadata": meta})}
            )
            self.prompt_tokens += _tokens(out)
        self._reason("**Summarizing changes**")
        self._message("assistant", "output_text", answer)
        self._emit("event_msg", {"type": "agent_message", "message": answer})
        self._token_count(_tokens(answer) + self.rng.randint(40, 300))

    def write(self, codex_home: Path) -> Path:
        """Codex names the directory and file by local start time; clocks here are in the caller's zone."""
        day, stamp = self.started.strftime("%Y/%m/%d"), self.started.strftime("%Y-%m-%dT%H-%M-%S")
        path = codex_home / "sessions" / day / f"rollout-{stamp}-{self.id}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(self.lines), encoding="utf-8")
        os.utime(path, (self.clock.timestamp(), self.clock.timestamp()))
        return path


# --- the demo: one story per case the product must tell right -----------------------------------------

_CODE = "/home/alex/code"
_Turn = tuple[float, str, _Steps, str]  # minutes after the session started, prompt, tool steps, answer
_TASKS: dict[str, list[tuple[str, _Steps, str]]] = {
    "web-api": [
        (
            "Add an index on orders.customer_id and write the Alembic migration.",
            [
                ("read", "src/db/models.py"),
                ("write", "migrations/versions/0042_orders_customer_idx.py"),
                ("bash", "alembic upgrade head"),
            ],
            "Added `ix_orders_customer_id` to the model and migration 0042 (created concurrently, so no"
            " table lock). `alembic upgrade head` ran cleanly on the dev database.",
        ),
        (
            "Explain how authentication works in this service.",
            [("grep", "Authorization"), ("read", "src/api/auth.py"), ("read", "src/api/deps.py")],
            "Requests carry a bearer JWT signed with RS256. `current_user` checks the scheme, verifies the"
            " token against `settings.jwt_public_key` and loads the user from the `sub` claim; every router"
            " depends on it through `src/api/deps.py`.",
        ),
        (
            "Review my last commit for security issues.",
            [("bash", "git show --stat HEAD"), ("read", "src/api/auth.py")],
            "Nothing critical. The 401 detail echoes the token scheme back; keep it generic. Consider"
            " `leeway=30` on `jwt.decode` for clock skew.",
        ),
    ],
    "mobile-app": [
        (
            "Add a loading skeleton to the order history screen.",
            [
                ("read", "src/screens/OrderHistoryScreen.tsx"),
                ("edit", "src/screens/OrderHistoryScreen.tsx"),
                ("bash", "npx jest src/screens"),
            ],
            "The list renders six `SkeletonRow`s while `isLoading` is true; tests pass.",
        ),
        (
            "Upgrade react-navigation to v7 and fix the type errors.",
            [
                ("read", "package.json"),
                ("bash!", "npx tsc --noEmit"),
                ("edit", "src/navigation/RootNavigator.tsx"),
                ("bash", "npx tsc --noEmit"),
            ],
            "Upgraded to @react-navigation/native 7.0; the only break was the typed `navigation.replace`"
            " call in RootNavigator, now fixed. `tsc` is clean.",
        ),
    ],
    "data-pipeline": [
        (
            "Add a data quality check that fails the run if more than 1% of rows have a null customer_id.",
            [
                ("read", "pipeline/checks.py"),
                ("edit", "pipeline/checks.py"),
                ("write", "tests/test_checks.py"),
                ("bash", "pytest tests/test_checks.py -q"),
            ],
            "Added `check_null_ratio(frame, 'customer_id', 0.01)` after ingest; it raises"
            " `DataQualityError` with the observed ratio. Three tests cover under, at and over the threshold.",
        ),
        (
            "The October backfill died with an OOM. Reduce memory use in ingest.",
            [("read", "pipeline/ingest.py"), ("edit", "pipeline/ingest.py"), ("bash", "pytest -q")],
            "Ingest now reads the export in 200k-row chunks with explicit dtypes (categoricals for status and"
            " region), which cuts peak memory from ~11 GB to ~1.4 GB on the October file.",
        ),
    ],
}
_RATE_LIMIT_TURNS: list[_Turn] = [
    (
        95,
        "Write tests for the limiter, including the burst case and the response headers.",
        [
            ("read", "tests/conftest.py"),
            ("write", "tests/test_ratelimit.py"),
            ("bash!", "pytest tests/test_ratelimit.py -q"),
            ("edit", "src/api/ratelimit.py"),
            ("bash", "pytest tests/test_ratelimit.py -q"),
        ],
        "Added 7 tests (burst, window reset, plan limits, Redis down). The first run caught a missing"
        " `X-RateLimit-Remaining` on allowed requests; fixed, all pass.",
    ),
    (
        150,
        "The 429 should include Retry-After and the X-RateLimit-* headers like GitHub does.",
        [
            ("read", "src/api/ratelimit.py"),
            ("edit", "src/api/ratelimit.py"),
            ("edit", "src/api/ratelimit.py"),
            ("bash", "pytest tests/test_ratelimit.py -q"),
        ],
        "429 responses now carry `Retry-After` (seconds until the oldest request leaves the window) and"
        " `X-RateLimit-Limit`, `-Remaining` and `-Reset`; allowed responses carry the three X- headers.",
    ),
    (
        200,
        "Run the whole test suite and fix anything that broke.",
        [
            ("bash!", "pytest -q"),
            ("read", "tests/test_orders.py"),
            ("edit", "tests/test_orders.py"),
            ("bash", "pytest -q"),
        ],
        "One failure: `test_orders` created 200 orders in a loop and hit the new limit. The test client now"
        " uses a key on the `internal` plan. The full suite passes.",
    ),
    (
        250,
        "Update the API docs and the changelog.",
        [("read", "docs/api/orders.md"), ("edit", "docs/api/orders.md"), ("edit", "CHANGELOG.md")],
        "Documented the limits and headers in docs/api/orders.md and added an Unreleased changelog entry.",
    ),
    (
        278,
        "Write a PR description for this.",
        [("bash", "git diff --stat main")],
        "**Rate limiting for /v1/orders**\n\n- Sliding-window limiter in Redis, per API key, limits by plan"
        " (free 60/min, team 600/min)\n- 429 with Retry-After and X-RateLimit-* headers\n- Fails open if"
        " Redis is unavailable\n- 7 new tests; docs and changelog updated",
    ),
]


class _Demo:
    """Writes the demo history; every time is relative to ``now`` and never after it."""

    def __init__(self, root: Path, now: datetime, seed: int) -> None:
        self.now = now if now.tzinfo else now.replace(tzinfo=UTC)
        self.ids = _Ids(random.Random(seed))
        self.rng = self.ids.rng
        self.claude_dir, self.codex_dir = root / "claude", root / "codex"
        self.files: list[Path] = []
        self.sessions: dict[str, str] = {}
        self.blobs: dict[str, _Blob] = {}

    def project(self, name: str, low: int = 40, high: int = 260) -> _Files:
        """A project whose files, once generated, read the same every time."""
        cwd = f"{_CODE}/{name}"

        def blob_for(rel: str) -> _Blob:
            key = f"{cwd}/{rel}"
            if key not in self.blobs:
                self.blobs[key] = _blob(_source(self.rng, _lang(rel), self.rng.randint(low, high)))
            return self.blobs[key]

        return _Files(self.ids, cwd, blob_for)

    def transcript(self, name: str, model: str, start: datetime, branch: str = "main") -> _Transcript:
        return _Transcript(self.ids, self.ids.uuid4(), f"{_CODE}/{name}", branch, model, start)

    def play(self, t: _Transcript, files: _Files, turns: list[_Turn], thought: str = "") -> None:
        for minutes, prompt, steps, answer in turns:
            t.clock = max(t.clock, t.started + timedelta(minutes=minutes))
            _turn(t, files, prompt, steps, answer, thought)

    def save(self, t: _Transcript, *cases: str) -> None:
        if t.clock > self.now:
            raise AssertionError(f"demo session {cases or t.session_id} runs past now")
        name = f"agent-{t.agent_id}.jsonl" if t.agent_id else f"{t.session_id}.jsonl"
        path = self.claude_dir / "projects" / _project_dir(t.cwd) / name
        t.write(path)
        self.files.append(path)
        self.sessions.update(dict.fromkeys(cases, t.session_id))

    def day(self, days_ago: int, hour: int, minute: int = 0) -> datetime:
        return (self.now - timedelta(days=days_ago)).replace(hour=hour, minute=minute, second=0, microsecond=0)

    def long_session_with_subagent(self) -> None:
        """web-api: an Opus session over four hours, still going, with a Task sub-agent."""
        files = self.project("web-api", 150, 520)
        t = self.transcript("web-api", OPUS, self.now - timedelta(hours=4, minutes=50), "feat/rate-limit")
        plan = (
            "Plan: a sliding-window limiter keyed by API key in Redis (one sorted set per key,"
            " `ZREMRANGEBYSCORE` + `ZCARD` in a pipeline), applied as a dependency on the orders router."
            " Limits come from the key's plan: free 60/min, team 600/min. Shall I go ahead?"
        )
        steps = [
            ("todo", "Find how requests are authenticated; Design the limiter; Implement it; Add tests"),
            ("grep", "redis_url"),
            ("read", "src/api/orders.py"),
            ("read", "src/settings.py"),
            ("read", "src/api/deps.py"),
        ]
        ask = (
            "Add per-client rate limiting to the /v1/orders endpoints. Use the Redis we already have"
            " (settings.redis_url); the limit should depend on the API key's plan."
        )
        self.play(t, files, [(0, ask, steps, plan)], "Check how keys and plans are modelled before designing.")
        t.clock = max(t.clock, t.started + timedelta(minutes=40))
        t.prompt("Go ahead. First have a sub-agent check how the other modules use Redis so we stay consistent.")
        self.subagent(t, files)
        for kind, arg in (("write", "src/api/ratelimit.py"), ("edit", "src/api/orders.py")):
            _step(t, files, kind, arg, "Following the conventions in src/cache.py.")
        done = (
            "Added `src/api/ratelimit.py` (sliding window, keys `webapi:ratelimit:<key id>`, fails open on"
            " RedisError like the sessions code) and applied it to the orders router."
        )
        t.respond([_text(done)], 140, "end_turn")
        self.play(t, files, _RATE_LIMIT_TURNS)
        self.save(t, "long", "sidechain", "consolidate_a")

    def subagent(self, t: _Transcript, files: _Files) -> None:
        """A Task call: the sub-agent's own transcript (a sidechain), then its report as the tool result."""
        t.wait(3, 9)
        asked = t.clock
        task = (
            "Find every place in src/ that talks to Redis. Report the client construction, key naming scheme"
            " and error handling, with file paths."
        )
        agent = _Transcript(self.ids, t.session_id, t.cwd, "feat/rate-limit", HAIKU, t.clock, self.ids.hex(8))
        agent.prompt(task)
        for kind, arg in (("grep", "redis"), ("read", "src/cache.py"), ("read", "src/api/sessions.py")):
            _step(agent, files, kind, arg)
        report = (
            "Redis is used in two places. `src/cache.py` builds one `Redis.from_url(settings.redis_url)` at"
            " import and exposes `get_redis()`; keys are `webapi:<area>:<id>`. `src/api/sessions.py` wraps"
            " calls in `try/except RedisError` and fails open with a warning."
        )
        agent.wait(4, 12)
        agent.respond([_text(report)], _tokens(report) + 60, "end_turn")
        self.save(agent)
        tid = "toolu_01" + self.ids.b58(22)
        use = _use(
            tid, "Task", {"description": "Survey Redis usage", "prompt": task, "subagent_type": "general-purpose"}
        )
        t.respond([_text("I'll have a sub-agent survey the Redis usage first."), use], 180, "tool_use")
        t.clock = agent.clock + timedelta(seconds=1)
        content = [{"type": "text", "text": report}]
        usage = {
            "input_tokens": sum(r[1] for r in agent.responses),
            "output_tokens": sum(r[2] for r in agent.responses),
        }
        detail = {
            "status": "completed",
            "prompt": task,
            "agentId": agent.agent_id,
            "content": content,
            "totalDurationMs": int((agent.clock - asked).total_seconds() * 1000),
            "totalTokens": agent.context,
            "totalToolUseCount": 3,
            "usage": usage,
        }
        t.tool_result(_Op(tid, use, _j(content), _j(detail), False, _tokens(report)))

    def second_session_same_project(self) -> None:
        """web-api: a second live session on the same repo, a consolidation candidate."""
        files = self.project("web-api")
        t = self.transcript("web-api", SONNET, self.now - timedelta(minutes=52), "fix/order-totals")
        self.play(
            t,
            files,
            [
                (
                    0,
                    "Order totals are off by a cent for some discounted orders (ticket #4821). Find out why.",
                    [("grep", "def order_total"), ("read", "src/domain/pricing.py"), ("read", "tests/test_pricing.py")],
                    "`order_total` sums floats and rounds once at the end, so 3 x 0.335 becomes 1.0049999 and rounds"
                    " down. Money should be `Decimal`, rounded per line with ROUND_HALF_EVEN.",
                ),
                (
                    21,
                    "Yes, switch to Decimal with ROUND_HALF_EVEN and add a regression test.",
                    [
                        ("edit", "src/domain/pricing.py"),
                        ("edit", "tests/test_pricing.py"),
                        ("bash", "pytest tests/test_pricing.py -q"),
                    ],
                    "Pricing uses Decimal now; `test_order_total_rounds_half_even` covers the ticket's amounts.",
                ),
                (
                    39,
                    "Does anything else in src/ do money math with floats?",
                    [("grep", "float("), ("read", "src/api/orders.py")],
                    "Only `OrderOut.total`, which converts to float for JSON. Serialising it as a string keeps"
                    " precision but changes the API, so I left it for you to decide.",
                ),
            ],
        )
        self.save(t, "consolidate_b")

    def degraded_session(self) -> None:
        """mobile-app: the context is about 90% full, edits and tests keep failing."""
        files = self.project("mobile-app", 420, 820)
        t = self.transcript("mobile-app", SONNET, self.now - timedelta(minutes=41), "fix/checkout-freeze")
        names = [
            "screens/CheckoutScreen.tsx",
            "store/cart.ts",
            "screens/CartScreen.tsx",
            "store/coupon.ts",
            "components/CouponInput.tsx",
            "hooks/useCheckout.ts",
            "api/checkout.ts",
            "components/PriceTag.tsx",
            "utils/price.ts",
            "navigation/RootNavigator.tsx",
            "store/index.ts",
            "api/client.ts",
        ]
        t.prompt(
            "The checkout screen freezes on Android after applying a coupon. Read through the checkout flow and"
            " the cart store and figure out what's going on."
        )
        _step(t, files, "glob", "src/**/*.ts*", "Let me map out the checkout flow.")
        n = 0
        while t.context + t.pending < 0.70 * CLAUDE_WINDOW:
            _step(t, files, "read", "src/" + names[n % len(names)], _LEADS[n % 3] if n % 4 == 0 else "")
            n += 1
        guess = (
            "I think `applyCoupon` calls `recalculate`, which replaces every item, which re-runs the coupon"
            " effect in CheckoutScreen, which applies the coupon again: an update loop."
        )
        t.respond([_text(guess)], 260, "end_turn")
        t.clock = max(t.clock, t.started + timedelta(minutes=24))
        t.prompt("Fix it. Keep the existing selector names.")
        while t.context + t.pending < 0.88 * CLAUDE_WINDOW:
            _step(t, files, "read", "src/" + names[n % len(names)])
            n += 1
        _step(t, files, "edit!", "src/store/cart.ts", "I'll stop recalculate from replacing unchanged items.")
        _step(t, files, "edit!", "src/store/cart.ts")
        _step(t, files, "bash!", "npx jest src/store")
        t.wait(5, 20)
        t.api_error('API Error: 529 {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}')
        t.wait(20, 40)
        stuck = (
            "The edit did not apply: my copy of cart.ts is stale. The test still shows the update loop"
            " (`Maximum update depth exceeded`). The context is nearly full; I suggest a fresh session"
            " starting from a summary of what we found."
        )
        t.respond([_text(stuck)], 180, "end_turn")
        self.save(t, "degraded")

    def idle_session(self) -> None:
        """data-pipeline: finished hours ago on Haiku and left open."""
        t = self.transcript("data-pipeline", HAIKU, self.now - timedelta(hours=3, minutes=12))
        self.play(
            t,
            self.project("data-pipeline"),
            [
                (
                    0,
                    "Why did last night's daily_orders DAG take 3 hours? Look at the transform step.",
                    [("read", "dags/daily_orders.py"), ("read", "pipeline/transform.py"), ("grep", "iterrows")],
                    "`transform` loops with `iterrows()` over ~4M rows to look up each customer's region. That is"
                    " the 3 hours; a merge on customer_id does it in seconds.",
                ),
                (
                    14,
                    "Vectorise that loop with a merge instead.",
                    [("edit", "pipeline/transform.py"), ("bash", "pytest tests/test_transform.py -q")],
                    "Replaced the loop with `frame.merge(regions, on='customer_id', how='left')`; tests pass and"
                    " last night's extract now takes 41 s.",
                ),
            ],
        )
        self.save(t, "idle")

    def resumed_session(self) -> None:
        """infra: a session, then `claude --resume` the next day, which copies it into a new file."""
        files = self.project("infra")
        first = self.transcript("infra", SONNET, self.day(6, 14, 5), "ops/rds-upgrade")
        self.play(
            first,
            files,
            [
                (
                    0,
                    "Bump the prod RDS instance class to db.r6g.xlarge and enable performance insights.",
                    [
                        ("read", "terraform/envs/prod/main.tf"),
                        ("read", "terraform/modules/rds/main.tf"),
                        ("edit", "terraform/envs/prod/main.tf"),
                        ("bash", "terraform plan -chdir=terraform/envs/prod"),
                    ],
                    "Prod now uses db.r6g.xlarge with performance insights (7-day retention); the plan is an"
                    " in-place update for the next maintenance window.",
                ),
                (
                    18,
                    "Also set the backup window to 03:00-04:00 UTC.",
                    [("edit", "terraform/modules/rds/main.tf"), ("bash", "terraform fmt -check -recursive")],
                    'Added `backup_window = "03:00-04:00"` to the module; fmt is clean.',
                ),
            ],
        )
        self.save(first, "resumed_from")
        t = self.transcript("infra", SONNET, self.day(5, 9, 40), "ops/rds-upgrade")
        t.summary("RDS prod instance upgrade and backup window")
        t.replay(first, max_chars=10**9)
        self.play(
            t,
            files,
            [
                (
                    0,
                    "Picking this up again: the plan showed the parameter group being replaced. Can we avoid that?",
                    [
                        ("read", "terraform/modules/rds/main.tf"),
                        ("edit", "terraform/modules/rds/main.tf"),
                        ("bash", "terraform plan -chdir=terraform/envs/prod"),
                    ],
                    "The replacement came from the family changing with the engine version; pinning `family ="
                    ' "postgres16"` makes it an in-place update.',
                ),
                (
                    25,
                    "Now do the same for staging.",
                    [("read", "terraform/envs/staging/main.tf"), ("edit", "terraform/envs/staging/main.tf")],
                    "Staging now matches prod except for the instance class (db.r6g.large).",
                ),
            ],
        )
        self.save(t, "resumed")

    def history(self) -> None:
        """Earlier days on every project and model, so usage by day and by model has something to show."""
        plan = [
            (9, "web-api", OPUS_41, 0),
            (8, "mobile-app", SONNET, 0),
            (7, "data-pipeline", SONNET, 0),
            (4, "web-api", SONNET_4, 1),
            (3, "mobile-app", HAIKU, 1),
            (2, "data-pipeline", OPUS, 1),
            (1, "web-api", SONNET, 2),
        ]
        for days_ago, name, model, task in plan:
            t = self.transcript(name, model, self.day(days_ago, self.rng.randint(9, 17), self.rng.randint(0, 59)))
            prompt, steps, answer = _TASKS[name][task]
            self.play(t, self.project(name), [(0, prompt, steps, answer)])
            self.save(t)

    def codex(self) -> None:
        """Codex on three projects and days."""
        patch = (
            "*** Begin Patch\n*** Update File: {}\n@@\n-    return totals\n"
            '+    return totals.sort_values("order_date")\n*** End Patch\n'
        )
        runs = [
            (
                "web-api",
                "gpt-5-codex",
                "medium",
                self.now - timedelta(hours=2, minutes=5),
                "Add OpenAPI examples for the order endpoints.",
                [
                    ("**Finding the order schemas**", "shell", 'rg -n "class Order" src'),
                    ("**Adding examples**", "apply_patch", patch.format("src/api/schemas.py")),
                    ("**Running tests**", "shell", "pytest -q tests/test_openapi.py"),
                ],
                "Added `json_schema_extra` examples to OrderIn and OrderOut; /docs shows them and the OpenAPI"
                " snapshot test is updated.",
            ),
            (
                "data-pipeline",
                "gpt-5-codex",
                "high",
                self.day(3, 16, 20),
                "Write a script comparing row counts between the warehouse and the source DB for yesterday.",
                [
                    ("**Reading the connection config**", "shell", "sed -n '1,120p' pipeline/config.py"),
                    ("**Writing the script**", "apply_patch", patch.format("scripts/compare_counts.py")),
                    ("**Trying it**", "shell", "python scripts/compare_counts.py --help"),
                ],
                "Added scripts/compare_counts.py: it counts yesterday's rows per table on both sides and exits 1"
                " if any differ by more than 0.1%.",
            ),
            (
                "infra",
                "gpt-5",
                "medium",
                self.day(7, 11, 10),
                "Add a GitHub Actions workflow that runs terraform fmt and validate on pull requests.",
                [
                    (
                        "**Looking at existing workflows**",
                        "shell",
                        "ls .github/workflows && cat .github/workflows/deploy.yml",
                    ),
                    ("**Adding the workflow**", "apply_patch", patch.format(".github/workflows/terraform.yml")),
                ],
                "Added .github/workflows/terraform.yml running `terraform fmt -check -recursive` and"
                " `terraform validate` for each env on PRs that touch terraform/.",
            ),
        ]
        for name, model, effort, start, prompt, steps, answer in runs:
            rollout = _Rollout(self.ids, f"{_CODE}/{name}", model, start, effort)
            rollout.turn(prompt, steps, answer)
            self.files.append(rollout.write(self.codex_dir))
            self.sessions.setdefault("codex", rollout.id)


def write_demo_logs(root: Path, now: datetime, seed: int = 7) -> DemoLayout:
    """Write the demo history under ``root`` (``claude/`` and ``codex/``); same seed and now, same bytes."""
    demo = _Demo(root, now, seed)
    demo.long_session_with_subagent()
    demo.second_session_same_project()
    demo.degraded_session()
    demo.idle_session()
    demo.resumed_session()
    demo.history()
    demo.codex()
    return DemoLayout(demo.claude_dir, demo.codex_dir, demo.sessions, demo.files)


# --- the benchmark corpus -----------------------------------------------------------------------------

_EPOCH = datetime(2025, 9, 1, tzinfo=UTC)  # dated, not relative to now: same arguments, same bytes
_SPAN_DAYS = 60
_NAMES = [
    "web-api",
    "mobile-app",
    "data-pipeline",
    "infra",
    "billing-service",
    "search-indexer",
    "admin-portal",
    "ml-features",
    "auth-gateway",
    "docs-site",
    "etl-jobs",
    "payments-sdk",
    "notifications",
    "analytics-dashboard",
    "cli-tools",
    "design-system",
]
_PATHS = {
    "py": [
        "src/app.py",
        "src/settings.py",
        "src/api/orders.py",
        "src/api/deps.py",
        "src/db/models.py",
        "src/domain/pricing.py",
        "tests/test_orders.py",
        "tests/conftest.py",
        "pipeline/transform.py",
    ],
    "ts": [
        "src/App.tsx",
        "src/api/client.ts",
        "src/store/cart.ts",
        "src/screens/CheckoutScreen.tsx",
        "src/components/Button.tsx",
        "src/hooks/useAuth.ts",
        "src/utils/format.ts",
        "package.json",
    ],
    "tf": [
        "terraform/modules/rds/main.tf",
        "terraform/envs/prod/main.tf",
        "terraform/envs/staging/main.tf",
        "k8s/deployment.yaml",
        ".github/workflows/deploy.yml",
    ],
}
_COMMANDS = {
    "py": ["pytest -q", "pytest tests/test_orders.py -q", "git status --short", "git diff --stat"],
    "ts": ["npx jest", "npx tsc --noEmit", "git diff --stat"],
    "tf": ["terraform plan -chdir=terraform/envs/prod", "terraform fmt -check -recursive", "git diff --stat"],
}
_PROMPTS = [
    "Fix the failing test in the CI run and explain what broke.",
    "Add pagination to the list endpoint, default page size 50.",
    "Refactor this module so the database access is behind a repository class.",
    "Why is this function slow on large inputs? Profile it and fix it.",
    "Add input validation and return 422 with field errors.",
    "Write unit tests for the edge cases we discussed.",
    "Rename the config option and keep the old name working with a deprecation warning.",
    "Review this diff for bugs before I merge it.",
    "Add structured logging with request ids.",
    "Upgrade the dependency and fix the breaking changes.",
    "Make the retry logic use exponential backoff with jitter.",
    "continue",
]
_ANSWERS = [
    "Done. The change is covered by the new tests and the full suite passes.",
    "Fixed: the cache key ignored the tenant, so two tenants shared entries. It now includes the tenant id,"
    " with a regression test.",
    "Refactored as asked; behaviour is unchanged and the tests pass. I left one TODO where the old code"
    " swallowed an exception.",
    "The slow part was an O(n^2) membership test on a list; a set brings the 100k-item case from 41 s to 0.3 s.",
]
_TOOLS = (
    "read",
    "read",
    "read",
    "read",
    "bash",
    "bash",
    "edit",
    "edit",
    "grep",
    "glob",
    "write",
    "todo",
    "edit!",
    "bash!",
)


def _corpus_turn(t: _Transcript, files: _Files, lang: str) -> None:
    """A prompt, a few tool calls with realistic results, an answer; compacting as Claude Code does when full."""
    rng = t.rng
    t.wait(30, 1500)
    if t.context > 150_000:
        t.compact("The user asked for changes across the service; tests were updated and pass.")
    t.prompt(rng.choice(_PROMPTS))
    for n in range(rng.choice((1, 2, 2, 3, 3, 4, 5, 6, 8))):
        kind = rng.choice(_TOOLS)
        if kind.startswith(("read", "edit", "write")):
            arg = rng.choice(_PATHS[lang])
        elif kind.startswith("bash"):
            arg = rng.choice(_COMMANDS[lang])
        else:
            arg = {"grep": "TODO", "glob": "src/**/*", "todo": "Read the code; Make the change; Run the tests"}[kind]
        think = n == 0 and t.model != HAIKU and rng.random() < 0.3
        lead = _LEADS[n % len(_LEADS)] if rng.random() < 0.5 else ""
        _step(t, files, kind, arg, lead, "Let me look at the relevant code before changing anything." if think else "")
    t.wait(4, 40)
    if rng.random() < 0.005:
        t.api_error('API Error: 500 {"type":"error","error":{"type":"api_error","message":"Internal server error"}}')
    t.respond([_text(rng.choice(_ANSWERS))], rng.randint(30, 700), "end_turn")


def write_corpus(root: Path, target_bytes: int, files: int, seed: int) -> CorpusStats:
    """Claude Code logs for the benchmark: ``files`` files, about ``target_bytes`` in all, under ``root/projects``.

    Same arguments, same bytes. File contents come from a small pool encoded once, which
    is what makes hundreds of megabytes take seconds; file sizes are skewed as real ones
    are. One file in ten is a sub-agent transcript and one in twenty a resumed session
    repeating part of an earlier one, so repeated responses also cross files.
    """
    rng = random.Random(seed)
    ids = _Ids(rng)
    pool = {
        lang: [_blob(_source(rng, lang, min(1500, 8 + int(rng.lognormvariate(4.6, 0.9))))) for _ in range(24)]
        for lang in _PATHS
    }
    projects: list[tuple[str, str, _Files]] = []
    for i in range(max(1, min(160, files // 12))):
        suffix = f"-{i // len(_NAMES)}" if i >= len(_NAMES) else ""
        cwd = f"/home/{rng.choice(('alex', 'sam', 'dev'))}/src/{_NAMES[i % len(_NAMES)]}{suffix}"
        lang = rng.choice(("py", "py", "ts", "ts", "tf"))
        blobs = pool[lang]
        projects.append((cwd, lang, _Files(ids, cwd, lambda rel, b=blobs: b[zlib.crc32(rel.encode()) % len(b)])))
    weights = [rng.lognormvariate(0, 1.2) for _ in range(files)]
    weight_left = sum(weights)
    latest: dict[str, _Transcript] = {}  # per project, for sub-agents and resumes
    days: dict[str, dict[str, int]] = {}
    written = lines = assistant_lines = responses = 0
    for i in range(files):
        budget = max(4_000, int((target_bytes - written) * weights[i] / weight_left))  # absorbs overshoot so far
        weight_left -= weights[i]
        cwd, lang, project_files = projects[rng.randrange(len(projects))]
        model = rng.choice((SONNET, SONNET, SONNET, OPUS, OPUS_41, HAIKU, SONNET_4))
        branch = rng.choice(("main", "main", "develop", f"feat/task-{rng.randint(100, 999)}"))
        earlier = latest.get(cwd)
        if earlier is not None and i % 10 == 9:
            clock = earlier.started + timedelta(minutes=rng.uniform(1, 30))
            t = _Transcript(ids, earlier.session_id, cwd, branch, rng.choice((HAIKU, SONNET)), clock, ids.hex(8))
        else:
            clock = _EPOCH + timedelta(days=rng.randrange(_SPAN_DAYS), hours=rng.uniform(7, 23))
            t = _Transcript(ids, ids.uuid4(), cwd, branch, model, clock)
            if earlier is not None and i % 20 == 7:
                t.summary("Continue work on the service refactor")
                t.replay(earlier, budget // 2)
                t.clock = earlier.clock + timedelta(hours=rng.uniform(1, 20))
        while t.size < budget:
            _corpus_turn(t, project_files, lang)
        name = f"agent-{t.agent_id}.jsonl" if t.agent_id else f"{t.session_id}.jsonl"
        written += t.write(root / "projects" / _project_dir(cwd) / name)
        lines += len(t.lines)
        assistant_lines += sum(1 for line in t.lines if '"role":"assistant"' in line)
        responses += len(t.responses)
        for ts, inp, out, creation, read in t.responses:
            fields = ("input_tokens", "output_tokens", "cache_creation_tokens", "cache_read_tokens")
            day = days.setdefault(ts.strftime("%Y-%m-%d"), dict.fromkeys(fields, 0))
            for key, value in zip(fields, (inp, out, creation, read), strict=True):
                day[key] += value
        if not t.agent_id:
            latest[cwd] = t
    return CorpusStats(written, files, lines, assistant_lines, responses, dict(sorted(days.items())))
