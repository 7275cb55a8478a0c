"""One composer (a chat or agent session) and its bubbles, as rows.

Usage is counted per turn: a user prompt and the assistant bubbles answering it
(an agent turn is many bubbles, one per step). Cursor's own counts are each
bubble's ``tokenCount``; builds until early 2026 filled it in (mostly on the
turn's last bubble), later ones write ``{0, 0}``. So:

* a turn with any non-zero ``tokenCount`` is billed their sum, exactly;
* a turn without is estimated with o200k: as input, everything the chat shows up
  to and including the prompt (the history is re-sent with every request); as
  output, the answers' text and tool-call arguments. Cursor's system prompt,
  attached code and tool results are not visible, so this is a lower bound.

Either way the row is keyed by the turn's first bubble, so when a turn first seen
half-written (estimated) is re-read complete, the store's upsert replaces it
rather than counting it twice. Cache reads and writes are not recorded by Cursor.
"""

from __future__ import annotations

from ...core.encoding import count_o200k
from ...core.models import Batch, FileRefRow, MessageRow, SessionRow, UsageRow
from ._shapes import Bubble, Composer, bubble_text, bubble_time, seconds
from ._tools import file_refs

PROVIDER = "cursor"
AUTO = "cursor-auto"  # Cursor's "Auto" (``default``): it does not say which model answered
USER = 1  # a bubble's ``type``; 2 is the assistant
_TITLE_CHARS = 80


def session_id(native: str) -> str:
    return f"{PROVIDER}:{native}"


def add_composer(batch: Batch, c: Composer, bubbles: list[Bubble], cwd: str | None, now: float) -> None:
    """Rows of composer ``c`` whose bubbles, in conversation order, are ``bubbles``.

    ``now`` dates bubbles when neither they nor the composer carry a time.
    """
    if not bubbles:
        return  # a composer opened and closed without a message
    sid = session_id(c.composerId)
    created = seconds(c.createdAt)
    updated = seconds(c.lastUpdatedAt)
    times = _times(bubbles, created or updated or now)
    default_model = _model(c.modelConfig.modelName if c.modelConfig else None)
    title = (c.name or "").strip() or None
    model = default_model
    estimator = _Estimator(bubbles)

    for i, (b, ts) in enumerate(zip(bubbles, times)):
        key = f"{sid}:{b.bubbleId or f'#{i}'}"
        text = bubble_text(b)
        if text:
            role, kind = ("user", "prompt") if b.type == USER else ("assistant", "text")
            batch.messages.append(MessageRow(key, sid, ts, role, kind, text))
            if title is None and b.type == USER:
                title = one_line_title(text)
        for path, action in file_refs(b, cwd):
            batch.file_refs.append(FileRefRow(f"{key}:{action}:{path}", sid, ts, path, action))

    for first, last in _turns(bubbles):
        turn = bubbles[first:last]
        model = _turn_model(turn) or default_model
        row = _usage(sid, turn, times[last - 1], model, estimator, first)
        if row is not None:
            batch.usage.append(row)

    batch.see_session(
        SessionRow(
            id=sid,
            provider=PROVIDER,
            cwd=cwd,
            title=title,
            model=model,
            git_branch=c.createdOnBranch or None,
            version=None,
            started_at=min(created or times[0], times[0]),
            last_activity=max(updated or times[-1], times[-1]),
        )
    )


def _usage(
    sid: str, turn: list[Bubble], ts: float, model: str, estimator: _Estimator, first: int
) -> UsageRow | None:
    key = f"{sid}:{turn[0].bubbleId or f'#{first}'}"
    counts = [t for b in turn if (t := b.tokenCount) is not None and (t.inputTokens or t.outputTokens)]
    if counts:
        inp = int(sum(t.inputTokens for t in counts))
        out = int(sum(t.outputTokens for t in counts))
        context = int(next((t.inputTokens for t in reversed(counts) if t.inputTokens), 0))
        return UsageRow(key, sid, ts, model, inp, out, 0, 0, None, False, context, None, exact=True)
    replies = range(first + (turn[0].type == USER), first + len(turn))
    if not replies:
        return None  # a prompt still waiting for its answer
    inp = estimator.before(replies.start)
    out = sum(estimator.tokens(i) for i in replies)
    return UsageRow(key, sid, ts, model, inp, out, 0, 0, None, False, inp, None, exact=False)


class _Estimator:
    """o200k counts of the bubbles' visible text, each counted once, on demand."""

    def __init__(self, bubbles: list[Bubble]) -> None:
        self._bubbles = bubbles
        self._counts: list[int] = []

    def tokens(self, i: int) -> int:
        while len(self._counts) <= i:
            b = self._bubbles[len(self._counts)]
            n = count_o200k(bubble_text(b))
            tool = b.toolFormerData
            if tool is not None:
                args = tool.params if isinstance(tool.params, str) else tool.rawArgs
                if isinstance(args, str):
                    n += count_o200k(args)
            self._counts.append(n)
        return self._counts[i]

    def before(self, end: int) -> int:
        """Tokens of bubbles ``[0, end)``: what the chat holds when bubble ``end`` is asked for."""
        return sum(self.tokens(i) for i in range(end))


def _turns(bubbles: list[Bubble]) -> list[tuple[int, int]]:
    """``[first, last)`` index ranges, each starting at a user bubble (or the very first)."""
    starts = [i for i, b in enumerate(bubbles) if i == 0 or b.type == USER]
    return list(zip(starts, [*starts[1:], len(bubbles)]))


def _times(bubbles: list[Bubble], start: float) -> list[float]:
    """Each bubble's time; an undated one takes the time of the one before it."""
    times, last = [], start
    for b in bubbles:
        ts = bubble_time(b)
        last = ts if ts is not None else last
        times.append(last)
    return times


def _turn_model(turn: list[Bubble]) -> str | None:
    """The model that answered: the last reply naming one, else the one the prompt chose."""
    for b in reversed(turn):
        name = (b.modelInfo.modelName if b.modelInfo else None) or b.modelType
        if name:
            return _model(name)
    return None


def _model(name: str | None) -> str:
    name = (name or "").strip()
    return AUTO if not name or name == "default" else name


def one_line_title(text: str) -> str:
    """A prompt as a session title: one line, at most 80 characters."""
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= _TITLE_CHARS else one_line[: _TITLE_CHARS - 1] + "…"
