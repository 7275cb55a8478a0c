"""Copilot CLI's OTLP trace export: its ``chat`` spans, as the usage rows its log gives (docs/otel.md).

Copilot CLI reports over OpenTelemetry as traces, not log events: per user
message an ``invoke_agent`` span, under it one ``chat`` span per model call and
``execute_tool`` spans, after the OTel GenAI semantic conventions (GitHub's
Copilot CLI command reference, "OpenTelemetry monitoring"; samples and sources in
tests/fixtures/copilot/otlp/). What a ``chat`` span carries:

* ``gen_ai.usage.input_tokens`` (cache reads and writes included, as the CLI's
  own ``assistant.usage`` counts them), ``gen_ai.usage.output_tokens``,
  ``gen_ai.usage.cache_read.input_tokens``,
  ``gen_ai.usage.cache_creation.input_tokens``;
* ``gen_ai.response.model`` (the model ``auto`` resolved to), else
  ``gen_ai.request.model``;
* ``gen_ai.conversation.id``: the session, the CLI's ``session-state/<id>``;
* ``gen_ai.response.id``: the call's ``apiCallId``, which also ends the log's
  row key (``copilot:<session>:<apiCallId>``), so the log's row supersedes this
  one exactly (``store/otlp_usage.py``).

``invoke_agent`` spans carry the sum of their calls and are not read: each call
would count twice. ``github.copilot.cost`` is Copilot's premium-request figure,
not an API price: a call is priced from the table as its log row is. Spans count only
from Copilot (resource ``service.name`` ``github-copilot``, or the scope
``github.copilot``: the CLI's defaults for ``OTEL_SERVICE_NAME`` and
``COPILOT_OTEL_SOURCE_NAME``); other instrumented programs' GenAI spans, VS Code
Copilot Chat's among them, are accepted and ignored.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from ..core import pricing
from ..sources.copilot._cli import FALLBACK_MODEL
from ..store import otlp_usage
from ..store.otlp_usage import Heard
from .otlp_values import Unusable, attributes, collect, count, priced, seconds, text

COPILOT = "copilot"
SERVICE, SCOPE = "github-copilot", "github.copilot"
_CONVERSATION = "gen_ai.conversation.id"


def responses(request: Any) -> tuple[list[Heard], list[str]]:
    """The model calls of a trace export's Copilot ``chat`` spans, and why each unusable one was rejected."""
    prices = pricing.load_table()
    return collect(_copilot_spans(request), lambda span: _call(span, prices))


def _copilot_spans(request: Any) -> Iterator[Any]:
    """The spans Copilot sent (by its resource's ``service.name`` or its scope's name)."""
    for resource_spans in request.resource_spans:
        service = text(attributes(resource_spans.resource.attributes).get("service.name")) or ""
        for scope_spans in resource_spans.scope_spans:
            if service.startswith(SERVICE) or scope_spans.scope.name.startswith(SCOPE):
                yield from scope_spans.spans


def _call(span: Any, prices: pricing.PriceTable) -> Heard | None:
    a = attributes(span.attributes)
    if text(a.get("gen_ai.operation.name")) != "chat":
        return None
    inp, output = count(a, "gen_ai.usage.input_tokens"), count(a, "gen_ai.usage.output_tokens")
    read, written = count(a, "gen_ai.usage.cache_read.input_tokens"), count(a, "gen_ai.usage.cache_creation.input_tokens")
    if not (inp or output):
        return None  # a call that failed before any usage: nothing billed
    session = text(a.get(_CONVERSATION))
    if not session:
        raise Unusable(f"chat span without {_CONVERSATION}")
    model = text(a.get("gen_ai.response.model")) or text(a.get("gen_ai.request.model")) or FALLBACK_MODEL
    response_id = text(a.get("gen_ai.response.id")) or None
    ts = seconds(span.end_time_unix_nano) or seconds(span.start_time_unix_nano) or time.time()
    key = f"{otlp_usage.PREFIX}{COPILOT}:{session}:{response_id or span.span_id.hex()}"
    fresh = max(0, inp - read - written)
    return Heard(priced(prices, key, session, ts, model, fresh, output, written, read, None), COPILOT, response_id)
