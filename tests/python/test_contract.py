"""crm_value.contract: the dbt macros the door and the dashboard read, rendered without
dbt. What is rendered must behave as the staging's SQL does (the door's own tests judge
files end to end; these hold the renderer itself), and a macro asking for what the
renderer lacks must fail, not render something else. No dbt runs."""

from __future__ import annotations

import datetime as dt
import decimal

import duckdb
import jinja2
import pytest

from crm_value import contract
from crm_value.settings import project_vars


def _value(sql: str, raw: str | None = None):
    """`sql` evaluated by DuckDB on a UTC session, its column `raw` holding `raw`."""
    with duckdb.connect() as con:
        con.execute("set TimeZone = 'UTC'")
        rows = con.execute(f"select {sql} from (select cast(? as varchar) as raw)", [raw])
        return rows.fetchall()[0][0]


@pytest.mark.parametrize(
    ("column_type", "raw", "expected"),
    [
        ("text", "  a b ", "a b"),
        ("text", "   ", None),
        ("decimal", " 12.345 ", decimal.Decimal("12.35")),
        ("decimal", "1e3", decimal.Decimal("1000.00")),
        ("decimal", "12,5", None),
        ("integer", "7", 7),
        ("integer", "1.5", None),
        ("timestamp", "2025-01-01T08:00:00+08:00", dt.datetime(2025, 1, 1, 0, 0)),
        ("timestamp", "2025-01-01", dt.datetime(2025, 1, 1, 0, 0)),
        ("timestamp", "01/02/2025", None),
        ("date", "2025-03-04 23:00:00-02:00", dt.date(2025, 3, 5)),
    ],
)
def test_a_raw_value_is_typed_as_the_staging_types_it(column_type, raw, expected):
    assert _value(contract.cast_sql("raw", column_type), raw) == expected


def test_the_future_limit_is_the_clock_plus_the_tolerance():
    limit = contract.future_limit_sql({"future_tolerance_days": 2}, dt.datetime(2025, 1, 1, 6))
    assert _value(limit) == dt.datetime(2025, 1, 3, 6)


def test_the_rejected_share_bound_names_the_var_that_set_it():
    defaults = project_vars()
    assert contract.rejected_share_bound(defaults, "orders") == (
        defaults["max_rejected_share"],
        "max_rejected_share",
    )
    by_entity = {**defaults, "max_rejected_share_by_entity": {"orders": 0.3}}
    assert contract.rejected_share_bound(by_entity, "orders") == (
        0.3,
        "max_rejected_share_by_entity.orders",
    )
    assert contract.rejected_share_bound(by_entity, "customers")[1] == "max_rejected_share"


def test_the_analysis_date_is_the_day_after_the_latest_order():
    assert _value(contract.as_of_date_sql("date '2025-12-31'")) == dt.date(2026, 1, 1)


def test_the_contract_and_the_schemes_come_from_their_macros():
    assert tuple(contract.raw_contract()) == contract.ENTITIES
    assert contract.tier_scheme_columns()["abc"] == "abc_class"
    assert len(contract.value_dimensions()) == 6


def test_a_macro_reading_a_var_it_was_not_given_fails():
    with pytest.raises(ValueError, match="max_rejected_share_by_entity"):
        contract.rejected_share_bound({}, "orders")


def test_a_macro_the_renderer_cannot_render_fails():
    # crm_raw_relation needs dbt's context (env_var, ref, source), not the renderer's.
    with pytest.raises(jinja2.UndefinedError):
        contract.render("crm_raw_relation", "orders")
