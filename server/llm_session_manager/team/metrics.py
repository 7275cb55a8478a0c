"""``GET /metrics`` on the team server: the team's figures for Prometheus (docs/team.md#metrics).

Each scrape reads the database afresh, as ``serve``'s ``/metrics`` reads its
store: the team's tokens, cost and unpriced responses per provider and model
(from the rollups of migration 006, never every response), users per role,
devices, pushes and how long ago the last one came. The metrics are the
``services.metric_families`` kind (``Family``), under ``llm_session_team_``,
rendered by ``prometheus_client`` (text 0.0.4, or OpenMetrics when asked).

The figures are the whole team's, so only an admin may read them: the scrape
carries an admin's device token (``Authorization: Bearer``), as every other
route asks for its caller's. A Prometheus gets a device of its own
(``team token create --user ann --device prometheus``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ..services.metric_families import TOKEN_TYPES, Family, Sample
from . import rollups

if TYPE_CHECKING:
    import psycopg
    from prometheus_client.metrics_core import Metric

PREFIX = "llm_session_team_"
MAX_MODELS = 20  # models past the ones with the most tokens are summed per provider as OTHER
OTHER = "other"
ROLES = ("admin", "member", "viewer")


def families(conn: psycopg.Connection) -> list[Family]:
    """The team's metrics now."""
    started = time.perf_counter()
    usage = conn.execute(
        "SELECT provider, model, sum(input_tokens), sum(output_tokens), sum(cache_creation_tokens), "
        f"sum(cache_read_tokens), sum(cost_usd), sum(unpriced), sum(responses) FROM {rollups.QUARTERS} q "
        "GROUP BY provider, model HAVING sum(responses) > 0".encode()).fetchall()
    usage = _capped(usage)
    roles: dict[str, int] = dict(conn.execute("SELECT role, count(*) FROM users GROUP BY role").fetchall())
    devices, pushes, last = conn.execute(
        "SELECT count(*), coalesce(sum(pushes), 0), extract(epoch FROM now() - max(last_push_at)) FROM devices"
    ).fetchone() or (0, 0, None)
    taken = time.perf_counter() - started
    return [
        Family(PREFIX + "tokens", "counter",
               "Tokens billed across the team, each response once however many devices pushed it; "
               "type: input (without cache reads), output, cache_creation, cache_read.", "{token}",
               [Sample({"provider": p, "model": m, "type": kind}, float(row[i]))
                for p, m, *row in usage for i, (kind, _) in enumerate(TOKEN_TYPES)]),
        Family(PREFIX + "cost_usd", "counter", "Cost in US dollars of the team's priced responses.", "{USD}",
               [Sample({"provider": p, "model": m}, float(row[4])) for p, m, *row in usage]),
        Family(PREFIX + "unpriced_responses", "counter",
               "The team's responses of a model without a price: their cost is unknown, not zero.", "{response}",
               [Sample({"provider": p, "model": m}, float(row[5])) for p, m, *row in usage]),
        Family(PREFIX + "responses", "counter", "Responses the team's devices pushed, each once.", "{response}",
               [Sample({"provider": p, "model": m}, float(row[6])) for p, m, *row in usage]),
        Family(PREFIX + "users", "gauge", "Users per role.", "{user}",
               [Sample({"role": role}, float(roles.get(role, 0))) for role in ROLES]),
        Family(PREFIX + "devices", "gauge", "Devices with a token made for them.", "{device}",
               [Sample({}, float(devices))]),
        Family(PREFIX + "pushes", "counter", "Push requests stored (one per batch).", "{push}",
               [Sample({}, float(pushes))]),
        Family(PREFIX + "last_push_age_seconds", "gauge",
               "Seconds since the last push from any device (absent before the first).", "s",
               [] if last is None else [Sample({}, float(last))]),
        Family(PREFIX + "snapshot_seconds", "gauge", "How long reading these figures took.", "s",
               [Sample({}, taken)]),
    ]


def _capped(rows: list[tuple]) -> list[tuple]:
    """(provider, model, i, o, cc, cr, cost, unpriced, responses): the ``MAX_MODELS`` models with the most
    tokens keep their name, the rest are summed per provider as ``OTHER`` (labels with few values)."""
    tokens: dict[str, int] = {}
    for _, model, i, o, cc, cr, *_rest in rows:
        tokens[model] = tokens.get(model, 0) + int(i + o + cc + cr)
    kept = set(sorted(tokens, key=lambda m: (-tokens[m], m))[:MAX_MODELS])
    out = [(p, m, *(float(v) for v in values)) for p, m, *values in rows if m in kept]
    rest: dict[str, list[float]] = {}
    for p, m, *values in rows:
        if m not in kept:
            acc = rest.setdefault(p, [0.0] * len(values))
            for n, v in enumerate(values):
                acc[n] += float(v)
    out += [(p, OTHER, *values) for p, values in rest.items()]
    return sorted(out, key=lambda r: (r[0], r[1]))


class _Collector:
    def __init__(self, found: list[Family]) -> None:
        self._families = found

    def collect(self) -> Iterator[Metric]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        for family in self._families:
            labels = sorted({name for s in family.samples for name in s.labels})
            metric = (CounterMetricFamily if family.kind == "counter" else GaugeMetricFamily)(
                family.name, family.help, labels=labels)
            for s in family.samples:
                metric.add_metric([s.labels[name] for name in labels], s.value)
            yield metric


def exposition(found: list[Family], accept: str = "") -> tuple[bytes, str]:
    """``found`` as Prometheus text (or OpenMetrics, as ``accept`` asks); the body and its content type."""
    from prometheus_client import CollectorRegistry
    from prometheus_client.exposition import choose_encoder

    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Collector(found))
    encode, content_type = choose_encoder(accept)
    return encode(registry), content_type
