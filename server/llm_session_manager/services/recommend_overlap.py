"""Sessions working on the same thing: the evidence behind ``recommend``'s ``merge`` rule.

Two sessions count as the same work when their summaries are alike (cosine of
the bundled static embedder's vectors at least ``merge_similarity``) and they
share a project, a directory or a file; or when, in one place, they changed or
read at least ``SHARED_FILES`` of the same files, whatever their summaries say.
A session's summary is its title (Claude Code's own summary of it, where it
wrote one) and its first prompts: what it set out to do.

``recommend`` must stay fast on a store of 20,000 sessions (bench/scale.py), and
loading numpy and the model costs more than the rest of it. So each summary's
vector is kept in ``session_vectors`` under a checksum of its text, and the
cosines are taken by sqlite-vec inside SQLite: the model is loaded only for a
summary not seen before.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from itertools import combinations

import apsw
import msgspec

from ..core.config import Config
from ..core.models import Recommendation, Session, short_id
from ..store import write_transaction

SHARED_FILES = 2  # in one place, this many common files is the same work
FIRST_PROMPTS = 3
SUMMARY_CHARS = 1500
MAX_SESSIONS = 200  # compared at a time, the most recently active
MAX_SHOWN_FILES = 5


def merges(conn: apsw.Connection, sessions: list[Session], config: Config) -> list[Recommendation]:
    """A ``merge`` recommendation per group of ``sessions`` doing the same work, most alike first.

    Only pairs that share a project, a directory or a file can qualify, so only
    their summaries are compared: most stores have few such pairs at a time.
    """
    sessions = sorted(sessions, key=lambda s: s.last_activity or "", reverse=True)[:MAX_SESSIONS]
    if len(sessions) < 2:
        return []
    by_id = {s.id: s for s in sessions}
    shared = _shared_files(conn, list(by_id))
    places: dict[str, list[str]] = defaultdict(list)
    for s in sessions:
        for place in {f"p:{s.project}" if s.project else "", f"d:{s.cwd}" if s.cwd else ""} - {""}:
            places[place].append(s.id)
    candidates = set(shared) | {pair for ids in places.values() for pair in combinations(sorted(ids), 2)}
    if not candidates:
        return []
    similar = _similarities(conn, sorted(candidates))
    threshold = config.recommendations.merge_similarity
    pairs = []
    for a, b in sorted(candidates):
        sa, sb = by_id[a], by_id[b]
        cosine, files = similar.get((a, b)), shared.get((a, b), [])
        same_place = bool(sa.project and sa.project == sb.project) or bool(sa.cwd and sa.cwd == sb.cwd)
        if (cosine is not None and cosine >= threshold) or (same_place and len(files) >= SHARED_FILES):
            pairs.append((a, b, cosine, files))
    return sorted((_recommendation([by_id[i] for i in group], group_pairs) for group, group_pairs in _groups(pairs)),
                  key=lambda r: (-(r.similarity or 0), -len(r.shared_files)))


def _groups(pairs: list[tuple[str, str, float | None, list[str]]]) -> list[tuple[list[str], list]]:
    """The sessions ``pairs`` join, as groups (a chain of alike pairs is one piece of work), with their pairs."""
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    for a, b, _, _ in pairs:
        parent[root(a)] = root(b)
    groups: dict[str, list] = defaultdict(list)
    for pair in pairs:
        groups[root(pair[0])].append(pair)
    return [(sorted({s for p in group for s in p[:2]}), group) for group in groups.values()]


def _recommendation(group: list[Session], pairs: list[tuple[str, str, float | None, list[str]]]) -> Recommendation:
    group = sorted(group, key=lambda s: s.last_activity or "")
    cosines = [c for _, _, c, _ in pairs if c is not None]
    cosine = round(max(cosines), 3) if cosines else None  # as the JSON has it, so the message says the same
    files = sorted({f for _, _, _, fs in pairs for f in fs})
    projects = {s.project for s in group}
    project = group[0].project if len(projects) == 1 else None
    evidence = []
    if cosine is not None:
        evidence.append(f"summaries {cosine:.2f} alike" if len(group) == 2 else f"summaries up to {cosine:.2f} alike")
    if files:
        shown = ", ".join(files[:MAX_SHOWN_FILES]) + (" ..." if len(files) > MAX_SHOWN_FILES else "")
        evidence.append(f"{len(files)} shared file{'s' if len(files) > 1 else ''} ({shown})")
    if project:
        evidence.append(f"{'both' if len(group) == 2 else 'all'} in project {project}")
    elif len({s.cwd for s in group}) == 1 and group[0].cwd:
        evidence.append(f"{'both' if len(group) == 2 else 'all'} in {group[0].cwd}")
    shorts = [short_id(s.id) for s in group]
    older, newest = ", ".join(shorts[:-1]), shorts[-1]
    who = f"{older} and {newest}" if len(group) == 2 else f"{len(group)} sessions ({older}, {newest})"
    return Recommendation(
        None, "merge", "warning",
        f"{who} seem to work on the same thing: {'; '.join(evidence)}",
        f"merge or consolidate: carry what {older} found over (llm-session memorize {shorts[0]}, then recall "
        f"it in {newest}) and finish in {newest}",
        sessions=[s.id for s in group],
        similarity=round(cosine, 3) if cosine is not None else None,
        shared_files=files,
        project=project,
    )


def _shared_files(conn: apsw.Connection, ids: list[str]) -> dict[tuple[str, str], list[str]]:
    """Per pair of ``ids`` (in order), the files both read or changed; folders searched do not count."""
    marks = ",".join("?" * len(ids))
    rows = conn.execute(
        f"SELECT DISTINCT session_id, path FROM file_refs WHERE session_id IN ({marks})"
        " AND action NOT IN ('search', 'list')", ids)
    by_path: dict[str, list[str]] = defaultdict(list)
    for sid, path in rows:
        by_path[path].append(sid)
    out: dict[tuple[str, str], list[str]] = defaultdict(list)
    for path, holders in sorted(by_path.items()):
        for pair in combinations(sorted(holders), 2):
            out[pair].append(path)
    return out


def _similarities(conn: apsw.Connection, pairs: list[tuple[str, str]]) -> dict[tuple[str, str], float]:
    """The cosine of the summaries of each of ``pairs`` whose sessions both have one."""
    ids = sorted({s for pair in pairs for s in pair})
    _embed(conn, _stale_summaries(conn, ids))
    rows = conn.execute(
        "SELECT a.session_id, b.session_id, 1 - vec_distance_cosine(a.vector, b.vector)"
        " FROM json_each(?) AS p"
        " JOIN session_vectors a ON a.session_id = p.value ->> 0"
        " JOIN session_vectors b ON b.session_id = p.value ->> 1 AND a.model = b.model",
        (msgspec.json.encode(pairs),))
    return {(a, b): cosine for a, b, cosine in rows}


def _stale_summaries(conn: apsw.Connection, ids: list[str]) -> dict[str, tuple[str, str]]:
    """The summaries of ``ids`` whose vector is missing or out of date, with their keys.

    A summary is the session's title (its assistant's own summary, where it
    wrote one) and first prompts. Its key says the title's checksum, how many
    prompts it has and the whole text's checksum: once it has all
    ``FIRST_PROMPTS``, only a new title changes it, so a settled session costs
    no message read. The others are read per session up to their first prompts
    (a long session has thousands of messages).
    """
    marks = ",".join("?" * len(ids))
    stale = {}
    for sid, title, held in conn.execute(
            f"SELECT s.id, s.title, v.text_hash FROM sessions s LEFT JOIN session_vectors v ON v.session_id = s.id"
            f" WHERE s.id IN ({marks})", ids).fetchall():
        title = title.strip() if isinstance(title, str) else ""
        settled = f"{_checksum(title)}/{FIRST_PROMPTS}/"
        if isinstance(held, str) and held.startswith(settled):
            continue
        prompts = [text for (text,) in conn.execute(
            "SELECT lsm_open(text) FROM messages WHERE session_id = ? AND role = 'user' AND kind = 'prompt'"
            " ORDER BY ts LIMIT ?", (sid, FIRST_PROMPTS))]
        text = "\n".join(dict.fromkeys([title, *prompts]) if title else dict.fromkeys(prompts))[:SUMMARY_CHARS]
        key = f"{_checksum(title)}/{len(prompts)}/{_checksum(text)}"
        if text.strip() and key != held:
            stale[str(sid)] = (text, key)
    return stale


def _embed(conn: apsw.Connection, stale: dict[str, tuple[str, str]]) -> None:
    """Store the vectors of the ``stale`` summaries (text and key per session)."""
    if not stale:
        return
    from ..core.embed import StaticEmbedder  # numpy and the model: only for summaries not seen before

    embedder = StaticEmbedder()
    vectors = embedder.embed([text for text, _ in stale.values()])
    with write_transaction(conn):
        for (sid, (_, key)), vector in zip(stale.items(), vectors, strict=True):
            if not vector.any():  # nothing the model knows: alike to nothing
                conn.execute("DELETE FROM session_vectors WHERE session_id = ?", (sid,))
                continue
            conn.execute("INSERT OR REPLACE INTO session_vectors (session_id, text_hash, model, vector)"
                         " VALUES (?, ?, ?, ?)", (sid, key, embedder.name, vector.tobytes()))


def _checksum(text: str) -> str:
    """Which summary a vector is of: a CRC and the length (hashlib's import alone cost more
    than the comparison; a collision only keeps an old vector a little longer)."""
    data = text.encode("utf-8", "surrogatepass")
    return f"{zlib.crc32(data):08x}-{len(data)}"
