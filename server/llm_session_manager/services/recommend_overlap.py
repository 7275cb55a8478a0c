"""Sessions working on the same thing: the evidence behind ``recommend``'s ``merge`` rule.

Two sessions count as the same work when their summaries are alike (cosine of
the bundled static embedder's vectors at least ``merge_similarity``) and they
share a project, a directory or a file; or when, in one place, they changed or
read at least ``SHARED_FILES`` of the same files, whatever their summaries say.
A session's summary is its title, the summaries its assistant wrote and its
first prompts: what it set out to do.

``recommend`` must stay fast on a store of 20,000 sessions (bench/scale.py), and
loading numpy and the model costs more than the rest of it. So each summary's
vector is kept in ``session_vectors`` under the hash of its text, and the
cosines are taken by sqlite-vec inside SQLite: the model is loaded only for a
summary not seen before.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from itertools import combinations

import apsw

from ..core.config import Config
from ..core.models import Recommendation, Session, short_id
from ..store import write_transaction

SHARED_FILES = 2  # in one place, this many common files is the same work
FIRST_PROMPTS = 3
SUMMARY_CHARS = 1500
MAX_SESSIONS = 200  # compared at a time, the most recently active
MAX_SHOWN_FILES = 5


def merges(conn: apsw.Connection, sessions: list[Session], config: Config) -> list[Recommendation]:
    """A ``merge`` recommendation per pair of ``sessions`` doing the same work, most alike first."""
    sessions = sorted(sessions, key=lambda s: s.last_activity or "", reverse=True)[:MAX_SESSIONS]
    if len(sessions) < 2:
        return []
    by_id = {s.id: s for s in sessions}
    similar = _similarities(conn, list(by_id))
    shared = _shared_files(conn, list(by_id))
    threshold = config.recommendations.merge_similarity
    found = []
    for a, b in combinations(sorted(by_id), 2):
        sa, sb = by_id[a], by_id[b]
        cosine = similar.get((a, b))
        files = shared.get((a, b), [])
        project = sa.project if sa.project and sa.project == sb.project else None
        same_place = bool(project) or bool(sa.cwd and sa.cwd == sb.cwd)
        alike = cosine is not None and cosine >= threshold
        if (alike and (same_place or files)) or (same_place and len(files) >= SHARED_FILES):
            found.append(_recommendation(sa, sb, cosine, files, project))
    return sorted(found, key=lambda r: (-(r.similarity or 0), -len(r.shared_files)))


def _recommendation(a: Session, b: Session, cosine: float | None, files: list[str],
                    project: str | None) -> Recommendation:
    older, newer = sorted((a, b), key=lambda s: s.last_activity or "")
    evidence = []
    if cosine is not None:
        evidence.append(f"summaries {cosine:.2f} alike")
    if files:
        shown = ", ".join(files[:MAX_SHOWN_FILES]) + (" ..." if len(files) > MAX_SHOWN_FILES else "")
        evidence.append(f"{len(files)} shared file{'s' if len(files) > 1 else ''} ({shown})")
    if project:
        evidence.append(f"both in project {project}")
    elif a.cwd and a.cwd == b.cwd:
        evidence.append(f"both in {a.cwd}")
    o, n = short_id(older.id), short_id(newer.id)
    return Recommendation(
        None, "merge", "warning",
        f"{o} and {n} seem to work on the same thing: {'; '.join(evidence)}",
        f"merge or consolidate: carry {o}'s findings over (llm-session memorize {o}, then recall them in {n}) "
        f"and finish in {n}",
        sessions=[older.id, newer.id],
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


def _similarities(conn: apsw.Connection, ids: list[str]) -> dict[tuple[str, str], float]:
    """Per pair of ``ids`` (in order) with a summary each, the cosine of their summaries."""
    _embed_missing(conn, _summaries(conn, ids))
    marks = ",".join("?" * len(ids))
    rows = conn.execute(
        f"SELECT a.session_id, b.session_id, 1 - vec_distance_cosine(a.vector, b.vector)"
        f" FROM session_vectors a JOIN session_vectors b ON a.session_id < b.session_id AND a.model = b.model"
        f" WHERE a.session_id IN ({marks}) AND b.session_id IN ({marks})", [*ids, *ids])
    return {(a, b): cosine for a, b, cosine in rows}


def _summaries(conn: apsw.Connection, ids: list[str]) -> dict[str, str]:
    """Each session's title, its assistant's summaries and first prompts, as one text."""
    marks = ",".join("?" * len(ids))
    parts: dict[str, list[str]] = defaultdict(list)
    for sid, title in conn.execute(f"SELECT id, title FROM sessions WHERE id IN ({marks})", ids):
        if title:
            parts[sid].append(title)
    rows = conn.execute(
        f"SELECT session_id, text FROM (SELECT session_id, text, kind, ts, row_number() OVER"
        f" (PARTITION BY session_id, kind ORDER BY ts) AS n FROM messages WHERE session_id IN ({marks})"
        f" AND ((role = 'user' AND kind = 'prompt') OR kind = 'summary')) WHERE n <= ? ORDER BY session_id, ts",
        [*ids, FIRST_PROMPTS])
    for sid, text in rows:
        if text not in parts[sid]:
            parts[sid].append(text)
    return {sid: "\n".join(texts)[:SUMMARY_CHARS] for sid, texts in parts.items() if any(t.strip() for t in texts)}


def _embed_missing(conn: apsw.Connection, summaries: dict[str, str]) -> None:
    """Store the vector of each summary ``session_vectors`` does not hold yet."""
    hashes = {sid: hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest() for sid, text in summaries.items()}
    if not hashes:
        return
    marks = ",".join("?" * len(hashes))
    held = dict(conn.execute(f"SELECT session_id, text_hash FROM session_vectors WHERE session_id IN ({marks})",
                             list(hashes)).fetchall())
    missing = [sid for sid, h in hashes.items() if held.get(sid) != h]
    if not missing:
        return
    from ..core.embed import StaticEmbedder  # numpy and the model: only for summaries not seen before

    embedder = StaticEmbedder()
    vectors = embedder.embed([summaries[sid] for sid in missing])
    with write_transaction(conn):
        for sid, vector in zip(missing, vectors, strict=True):
            if not vector.any():  # nothing the model knows: alike to nothing
                conn.execute("DELETE FROM session_vectors WHERE session_id = ?", (sid,))
                continue
            conn.execute("INSERT OR REPLACE INTO session_vectors (session_id, text_hash, model, vector)"
                         " VALUES (?, ?, ?, ?)", (sid, hashes[sid], embedder.name, vector.tobytes()))
