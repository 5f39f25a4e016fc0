"""Edge cases found in review: each one a guard with a fixture that trips it."""

from __future__ import annotations

import duckdb
import pytest
from conftest import RawFolder, run_dbt
from test_raw_rows import (
    CUSTOMER,
    NO_BOUND,
    ORDER,
    RAW_LAYERS,
    build,
    build_with_rows,
    reconciliation,
    rejected,
)


def test_rows_starting_with_hash_are_read_not_taken_for_comments(raw, work):
    raw.write("orders", [{**row, "order_id": f"#{i}"} for i, row in enumerate(raw.rows("orders"))])
    run = build(raw, work)
    assert reconciliation(run, "orders")["raw_rows"] == 10
    assert run.scalar("select count(*) from staging.stg_crm__orders") == 10


def test_copies_of_a_bad_row_count_in_the_rejected_share(raw, work):
    bad = {**ORDER, "customer_id": "C999"}
    raw.append("orders", bad)
    once = run_dbt(
        ["build", *RAW_LAYERS], work, raw_dir=raw.path, dbt_vars={"max_rejected_share": 0.1}
    )
    assert once.returncode == 0, once.output[-3000:]  # 1 of 11 rows
    raw.append("orders", bad, bad)
    thrice = run_dbt(
        ["build", *RAW_LAYERS], work, raw_dir=raw.path, dbt_vars={"max_rejected_share": 0.1}
    )
    assert thrice.returncode != 0  # 3 of 13 rows, though one distinct rejected row
    assert "crm_rejected_share_within_bound_orders" in thrice.output
    assert thrice.query(
        "select rejected_rows, rejected_raw_rows from audit.crm_row_reconciliation "
        "where entity = 'orders'"
    ) == [(1, 3)]


OUTSIDE_FORMS = [
    ({"quantity": "1e25"}, "invalid_quantity"),
    ({"quantity": "99999999999999999999"}, "invalid_quantity"),
    ({"amount": "1_000"}, "invalid_amount"),
    ({"amount": "inf"}, "invalid_amount"),
    ({"ordered_at": "2024/01/01"}, "invalid_ordered_at"),
    ({"ordered_at": "epoch"}, "invalid_ordered_at"),
    ({"ordered_at": "-infinity"}, "invalid_ordered_at"),
]


@pytest.fixture(scope="module")
def outside_forms_build(tmp_path_factory):
    """One build holding every order of OUTSIDE_FORMS, each under its own order_id
    (O800, O801, ...): a row's own reasons do not depend on the others."""
    orders = [
        {**ORDER, **change, "order_id": f"O8{i:02d}"} for i, (change, _) in enumerate(OUTSIDE_FORMS)
    ]
    return build_with_rows(tmp_path_factory, "outside_forms", {"orders": orders})


@pytest.mark.parametrize(
    ("index", "change", "reasons"),
    [(i, *case) for i, case in enumerate(OUTSIDE_FORMS)],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_values_outside_the_contracts_forms_are_rejected_not_crashed(
    outside_forms_build, index, change, reasons
):
    assert rejected(outside_forms_build, "orders", "order_id", f"O8{index:02d}") == [reasons]
    assert reconciliation(outside_forms_build, "orders")["rejected_rows"] == len(OUTSIDE_FORMS)


def test_offsets_convert_to_utc(raw, work):
    raw.append("orders", {**ORDER, "ordered_at": "2025-01-01T23:30:00-08:00"})
    raw.append(
        "service_tickets",
        {
            "ticket_id": "T900",
            "customer_id": "C001",
            "opened_at": "2025-03-05T10:00:00+08:00",
            "closed_at": "2025-03-05T02:30:00Z",
            "ticket_type": "repair",
            "handling_minutes": "30",
        },
    )
    run = build(raw, work)
    assert (
        str(run.scalar("select ordered_at from staging.stg_crm__orders where order_id = 'O900'"))
        == "2025-01-02 07:30:00"
    )
    assert (
        str(
            run.scalar(
                "select opened_at from staging.stg_crm__service_tickets where ticket_id = 'T900'"
            )
        )
        == "2025-03-05 02:00:00"
    )


def test_paid_at_is_set_only_when_fully_paid(raw, work):
    raw.append(
        "receivables",
        {
            "invoice_id": "I900",
            "customer_id": "C002",
            "issued_at": "2025-01-10",
            "due_at": "2025-02-10",
            "amount": "200.00",
            "paid_amount": "100.00",
            "paid_at": "2025-02-01",
        },
    )
    run = build(raw, work)
    assert rejected(run, "receivables", "invoice_id", "I900") == ["paid_at_before_full_payment"]


def test_a_bad_line_late_in_an_optional_file_stops_the_build_before_models(raw, work):
    rows = [
        {
            "invoice_id": f"I{i:05d}",
            "customer_id": "C002",
            "issued_at": "2025-01-10",
            "due_at": "2025-02-10",
            "amount": "10.00",
            "paid_amount": "0",
            "paid_at": "",
        }
        for i in range(5000)
    ]
    raw.write("receivables", rows)
    with open(raw.path / "receivables.csv", "a", encoding="utf-8") as f:
        f.write("I99999,C002,2025-01-10,2025-02-10,10.00,0,,extra,fields\n")
    run = run_dbt(["build", *RAW_LAYERS], work, raw_dir=raw.path)
    assert run.returncode != 0
    assert "Bad raw input, nothing was built" in run.output
    assert f"{raw.path}/receivables.csv (entity receivables) cannot be read" in run.output


def test_parquet_missing_required_column_is_named(raw: RawFolder, work):
    with duckdb.connect() as con:
        for path in raw.path.glob("*.csv"):
            drop = " exclude (amount)" if path.stem == "orders" else ""
            con.execute(
                f"copy (select *{drop} from read_csv('{path}', header = true)) "
                f"to '{path.with_suffix('.parquet')}' (format parquet)"
            )
    run = run_dbt(["build", *RAW_LAYERS], work, raw_dir=raw.path, raw_format="parquet")
    assert run.returncode != 0
    assert f"{raw.path}/orders.parquet (entity orders) lacks required column 'amount'" in run.output


def test_parquet_timestamptz_does_not_shift_with_the_host_zone(raw: RawFolder, work, monkeypatch):
    with duckdb.connect() as con:
        con.execute("set TimeZone = 'UTC'")
        for path in raw.path.glob("*.csv"):
            cast = (
                ", cast(ordered_at as timestamptz) as ordered_at" if path.stem == "orders" else ""
            )
            exclude = " exclude (ordered_at)" if path.stem == "orders" else ""
            con.execute(
                f"copy (select *{exclude}{cast} from read_csv('{path}', header = true)) "
                f"to '{path.with_suffix('.parquet')}' (format parquet)"
            )
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    run = run_dbt(["build", *RAW_LAYERS], work, raw_dir=raw.path, raw_format="parquet")
    assert run.returncode == 0, run.output[-3000:]
    assert (
        str(run.scalar("select ordered_at from staging.stg_crm__orders where order_id = 'O001'"))
        == "2024-01-10 10:00:00"
    )


@pytest.mark.parametrize(
    ("dbt_vars", "message"),
    [
        (
            {"max_rejected_share": 2},
            "Invalid var 'max_rejected_share' = 2: must be a number in [0, 1]",
        ),
        ({"max_rejected_share": "lots"}, "Invalid var 'max_rejected_share'"),
        (
            {"future_tolerance_days": 1.5},
            "Invalid var 'future_tolerance_days' = 1.5: must be a whole number",
        ),
        ({"max_rejected_share_by_entity": {"invoices": 0.1}}, "unknown entity 'invoices'"),
        (
            {"max_rejected_share_by_entity": {"orders": -1}},
            "Invalid var 'max_rejected_share_by_entity.orders' = -1",
        ),
        ({"as_of_date": "2024-13-01"}, "Invalid var 'as_of_date' = \"2024-13-01\""),
        ({"value_window_days": 0}, "Invalid var 'value_window_days' = 0"),
        ({"rfm_score_method": "deciles"}, "must be one of quantile, fixed"),
        ({"rfm_frequency_edges": [5, 3, 2, 1]}, "Invalid var 'rfm_frequency_edges'"),
        ({"rfm8_baseline": "mode"}, "Invalid var 'rfm8_baseline'"),
        ({"abc_a_share": 1.5}, "Invalid var 'abc_a_share' = 1.5: must be a number in [0.01, 0.99]"),
        ({"abc_a_share": 0.9, "abc_b_share": 0.8}, "must be greater than abc_a_share"),
        ({"pyramid_cuts": [0.2, 0.05, 0.01]}, "Invalid var 'pyramid_cuts'"),
        ({"primary_tier_scheme": "vip"}, "Invalid var 'primary_tier_scheme'"),
        ({"clv_time_unit_days": 0}, "Invalid var 'clv_time_unit_days' = 0"),
        ({"clv_horizon_days": 30.5}, "Invalid var 'clv_horizon_days' = 30.5: must be a whole"),
        (
            {"clv_margin_rate": 1.5},
            "Invalid var 'clv_margin_rate' = 1.5: must be a number in [0, 1]",
        ),
        ({"clv_min_customers": 3}, "Invalid var 'clv_min_customers' = 3"),
        ({"new_customer_days": -1}, "Invalid var 'new_customer_days' = -1"),
        ({"loyalty_min_active_quarters": 5}, "Invalid var 'loyalty_min_active_quarters' = 5"),
        (
            {"satisfaction_high_min": 0.7},
            "Invalid var 'satisfaction_high_min' = 0.7: must be a number in [0.8, 10]",
        ),
        ({"churn_risk_medium_below": 0.2}, "Invalid var 'churn_risk_medium_below' = 0.2"),
        ({"nps_promoter_min": 6}, "Invalid var 'nps_promoter_min' = 6"),
        (
            {"quality_weights": {"revenue": 0.5, "volume": 0.5}},
            "Invalid var 'quality_weights'",
        ),
        (
            {
                "quality_weights": {
                    "revenue": 0.5,
                    "volume": 0.5,
                    "margin": 0.5,
                    "overdue_debt": 0,
                    "purchase_cycle": 0,
                    "cost_to_serve": 0,
                }
            },
            "the weights sum to 1.5, they must sum to 1",
        ),
        ({"quality_top_share": 1.2}, "Invalid var 'quality_top_share' = 1.2"),
        ({"cost_per_service_minute": -2}, "Invalid var 'cost_per_service_minute' = -2"),
        ({"default_margin_rate": 2}, "Invalid var 'default_margin_rate' = 2"),
    ],
    ids=lambda v: None,
)
def test_a_var_out_of_range_stops_the_build_naming_it(raw, work, dbt_vars, message):
    run = run_dbt(["build", *RAW_LAYERS], work, raw_dir=raw.path, dbt_vars=dbt_vars)
    assert run.returncode != 0
    assert message in run.output, run.output[-2000:]


def test_future_tolerance_days_moves_the_limit(raw, work):
    raw.append("customers", {**CUSTOMER, "updated_at": "2030-01-01 00:00:00"})
    strict = build(raw, work)
    assert rejected(strict, "customers", "customer_id", "C900") == ["future_updated_at"]
    lenient = build(raw, work, dbt_vars={**NO_BOUND, "future_tolerance_days": 3650})
    assert (
        lenient.scalar("select count(*) from staging.stg_crm__customers where customer_id = 'C900'")
        == 1
    )


def test_typed_parquet_values_are_checked_too(raw: RawFolder, work):
    raw.append(
        "orders", {**ORDER, "quantity": "1.5"}, {**ORDER, "order_id": "O901", "amount": "-3"}
    )
    with duckdb.connect() as con:
        for path in raw.path.glob("*.csv"):
            typed = (
                "* replace (cast(quantity as double) as quantity, "
                "cast(amount as decimal(18, 2)) as amount)"
                if path.stem == "orders"
                else "*"
            )
            con.execute(
                f"copy (select {typed} from read_csv('{path}', header = true)) "
                f"to '{path.with_suffix('.parquet')}' (format parquet)"
            )
    run = run_dbt(
        ["build", *RAW_LAYERS], work, raw_dir=raw.path, raw_format="parquet", dbt_vars=NO_BOUND
    )
    assert run.returncode == 0, run.output[-3000:]
    assert rejected(run, "orders", "order_id", "O900") == ["invalid_quantity"]
    assert rejected(run, "orders", "order_id", "O901") == ["negative_amount"]
    assert run.scalar("select quantity from audit.rejected_orders where order_id = 'O900'") == "1.5"
