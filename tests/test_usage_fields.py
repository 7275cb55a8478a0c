"""Every usage figure in every report carries the same fields, in the same order.

They are spelled out in each struct rather than inherited from one base: msgspec
puts a base's fields first, which would move each row's ``key`` (or ``model``,
``date``) after its numbers in every ``--json`` output.
"""

from __future__ import annotations

import msgspec
import pytest

from llm_session_manager.core import models

USAGE_FIELDS = ("input_tokens", "output_tokens", "cache_creation_tokens", "cache_read_tokens",
                "total_tokens", "cost_usd")
STRUCTS = [models.UsageTotals, models.UsageModelRow, models.UsageReportRow, models.BillingBlock,
           models.DailyUsage, models.UsageShare]


@pytest.mark.parametrize("struct", STRUCTS, ids=lambda s: s.__name__)
def test_each_usage_struct_has_the_usage_fields_in_order_with_the_same_types(struct) -> None:
    fields = {f.name: f for f in msgspec.structs.fields(struct)}
    names = [name for name in fields if name in USAGE_FIELDS]
    assert names == list(USAGE_FIELDS)
    reference = {f.name: f.type for f in msgspec.structs.fields(models.UsageTotals)}
    assert {name: fields[name].type for name in USAGE_FIELDS} == {name: reference[name] for name in USAGE_FIELDS}
    assert "cost_complete" in fields
