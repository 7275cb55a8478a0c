"""The metrics a ``Snapshot`` is shown as: names, kinds, help, labels and values, in one place.

Both exporters read this list, so Prometheus (``/metrics``) and OTLP
backends (Datadog, New Relic, ...) get the same names and the same figures:
``frontends/serve/metrics_route.py`` renders it as Prometheus text,
``frontends/serve/metrics_otlp.py`` feeds OpenTelemetry's observable
instruments from it. Names follow Prometheus' conventions: the
``llm_session_`` prefix, the unit in the name (``_seconds``, ``_usd``,
``_ratio``), ``_total`` added to counters by the Prometheus renderer, labels
with few values (providers, the capped models, token types, health statuses;
never a session id).
"""

from __future__ import annotations

from typing import Literal

import msgspec

from .metrics import HEALTH_STATUSES, Snapshot

Kind = Literal["counter", "gauge", "gaugehistogram"]


class Sample(msgspec.Struct, frozen=True):
    labels: dict[str, str]
    value: float


class Family(msgspec.Struct, frozen=True):
    """One metric: ``name`` without ``_total`` (the Prometheus renderer adds it to counters).

    A ``gaugehistogram`` (a distribution now, not observations added up) has
    one sample per bucket, labelled ``le``, counting the sessions at or under
    it (the last is ``+Inf``), and ``sum``: the sum of the values.
    """

    name: str
    kind: Kind
    help: str
    unit: str  # UCUM, for OTLP ("1", "s", "{token}")
    samples: list[Sample]
    sum: float = 0.0


PREFIX = "llm_session_"
TOKEN_TYPES = (("input", "input_tokens"), ("output", "output_tokens"),
               ("cache_creation", "cache_creation_tokens"), ("cache_read", "cache_read_tokens"))


def families(snap: Snapshot) -> list[Family]:
    """Every metric of ``snap``, each with its samples (possibly none)."""
    live_h = f"{snap.live_window_s / 3600:g}"
    fill = snap.context_fill
    return [
        Family(
            PREFIX + "tokens", "counter",
            "Tokens billed, exact from the assistants' logs (deduplicated), as `llm-session usage` counts them; "
            "type: input (without cache reads), output (with reasoning), cache_creation, cache_read.",
            "{token}",
            [Sample({"provider": u.provider, "model": u.model, "type": kind}, float(getattr(u, field)))
             for u in snap.usage for kind, field in TOKEN_TYPES]),
        Family(
            PREFIX + "cost_usd", "counter",
            "Cost in US dollars of the priced responses, as `llm-session usage` reports cost_usd; "
            "responses of a model without a price add nothing (see llm_session_unpriced_responses_total).",
            "{USD}",
            [Sample({"provider": u.provider, "model": u.model}, u.cost_usd) for u in snap.usage]),
        Family(
            PREFIX + "unpriced_responses", "counter",
            "Responses of a model without a price in the price table: their cost is unknown, not zero.",
            "{response}",
            [Sample({"provider": u.provider, "model": u.model}, float(u.unpriced_responses)) for u in snap.usage]),
        Family(
            PREFIX + "sessions", "gauge", "Sessions in the store, per provider.", "{session}",
            [Sample({"provider": p}, float(n)) for p, n in sorted(snap.sessions.items())]),
        Family(
            PREFIX + "active_sessions", "gauge",
            "Sessions whose assistant process is running now (`llm-session list --active`).", "{session}",
            [Sample({"provider": p}, float(snap.active.get(p, 0))) for p in sorted(snap.sessions)]),
        Family(
            PREFIX + "live_sessions", "gauge",
            f"Live sessions (running, or active in the last {live_h} h) by health status: healthy, warning, "
            "critical (`llm-session list` health.status).", "{session}",
            [Sample({"provider": p, "health": status}, float(snap.live.get(p, {}).get(status, 0)))
             for p in sorted(snap.sessions.keys() | snap.live.keys()) for status in HEALTH_STATUSES]),
        Family(
            PREFIX + "context_fill_ratio", "gaugehistogram",
            "Live sessions by how full their context window is (used / limit; over 1 only in +Inf).", "1",
            [*(Sample({"le": f"{bound:g}"}, float(n)) for bound, n in fill.buckets),
             Sample({"le": "+Inf"}, float(fill.count))],
            sum=fill.sum),
        Family(
            PREFIX + "context_fill_max_ratio", "gauge",
            "The fullest context window among a provider's live sessions (used / limit).", "1",
            [Sample({"provider": p}, f) for p, f in sorted(fill.max_by_provider.items())]),
        Family(
            PREFIX + "memories", "gauge", "Memories stored (`llm-session memory list`).", "{memory}",
            [Sample({}, float(snap.memories))]),
        Family(
            PREFIX + "ingest_lag_seconds", "gauge",
            "Seconds of log writes not yet in the store: the most by which a log's last write is newer "
            "than the last write of it the store read; 0 when every log is read to its end.", "s",
            [Sample({}, snap.ingest_lag_s)]),
        Family(
            PREFIX + "snapshot_seconds", "gauge",
            "Seconds it took to read these figures from the store.", "s",
            [Sample({}, snap.seconds)]),
    ]
