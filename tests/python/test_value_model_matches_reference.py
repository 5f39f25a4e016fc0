"""The marts agree, customer by customer, with an independent Python implementation of
VALUE_MODEL.md (reference_value_model.py, written from the spec, not from the SQL): on the
demo, on a past as_of_date with every non-default rule switched on, and on 20,000 generated
customers (the suite's shared generated data: conftest.generated_build)."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from conftest import run_dbt
from reference_clv import compute_clv
from reference_value_model import compute, load_from_duckdb
from reference_value_picture import compute_picture, load_picture_inputs

RFM_COLUMNS = [
    "last_order_date",
    "recency_days",
    "frequency",
    "monetary",
    "r_score",
    "f_score",
    "m_score",
    "fm_score",
    "rfm_cell",
    "rfm8_segment",
    "rfm_segment",
]
ABC_COLUMNS = ["abc_measure_value", "abc_rank", "cum_share_before", "abc_class"]
PYRAMID_COLUMNS = ["value_window_revenue", "pyramid_rank", "pyramid_position", "pyramid_tier"]
FLOATS = {"cum_share_before", "pyramid_position"}

VARIANT = {
    "as_of_date": "2024-06-30",
    "rfm_window_days": 365,
    "rfm8_baseline": "median",
    "abc_measure": "margin",
    "abc_a_share": 0.6,
    "abc_b_share": 0.85,
    "pyramid_cuts": [0.02, 0.1, 0.3],
}
# Every threshold of the value picture moved off its default (VALUE_MODEL.md, "Six value
# dimensions" to "Quality-customer score").
PICTURE_VARIANT = {
    "value_window_days": 300,
    "new_customer_days": 60,
    "loyalty_min_tenure_days": 200,
    "loyalty_min_active_quarters": 2,
    "loyalty_medium_min_orders": 3,
    "satisfaction_high_min": 0.95,
    "satisfaction_medium_min": 0.75,
    "churn_risk_high_below": 0.4,
    "churn_risk_medium_below": 0.8,
    "nps_promoter_min": 8,
    "nps_detractor_max": 5,
    "quality_weights": {
        "revenue": 0.1,
        "volume": 0.1,
        "margin": 0.3,
        "overdue_debt": 0.2,
        "purchase_cycle": 0.05,
        "cost_to_serve": 0.25,
    },
    "quality_top_share": 0.15,
    "cost_per_service_minute": 2.5,
    "default_margin_rate": 0.45,
}


def mart(run, table: str, columns: list[str]) -> dict[str, dict]:
    rows = run.query(f"select customer_id, {', '.join(columns)} from marts.{table}")
    return {row[0]: dict(zip(columns, row[1:], strict=True)) for row in rows}


def same(a, b) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and math.isclose(a, b, abs_tol=1e-12)
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        return a is not None and b is not None and Decimal(a) == Decimal(b)
    return a == b


def assert_agree(run, expected: dict) -> None:
    as_of = run.scalar("select distinct as_of_date from marts.dim_customers")
    assert as_of == expected["as_of_date"]
    for table, key, columns in [
        ("fct_customer_rfm", "rfm", RFM_COLUMNS),
        ("fct_customer_abc", "abc", ABC_COLUMNS),
        ("fct_customer_pyramid", "pyramid", PYRAMID_COLUMNS),
    ]:
        actual = mart(run, table, columns)
        reference = expected[key]
        assert actual.keys() == reference.keys(), table
        mismatches = [
            (customer, column, actual[customer][column], reference[customer][column])
            for customer in reference
            for column in columns
            if not same(actual[customer][column], reference[customer][column])
        ]
        assert not mismatches, f"{table}: {len(mismatches)} mismatches, e.g. {mismatches[:5]}"


def assert_clv_agrees(run) -> None:
    """fct_customer_clv and fct_clv_model_fits against the CLV reference."""
    customers, orders = load_from_duckdb(run.warehouse)
    as_of = run.scalar("select as_of_date from intermediate.int_analysis_date_resolved")
    reference = compute_clv(customers, orders, as_of)
    names = list(reference["parameters"])
    fitted = dict(
        zip(
            names,
            run.query(
                f"select {', '.join(names)} from marts.fct_clv_model_fits "
                "where fit_window = 'full' and is_chosen and predicts = 'purchases'"
            )[0][:4]
            + run.query(
                f"select {', '.join(names)} from marts.fct_clv_model_fits "
                "where fit_window = 'full' and predicts = 'order_value'"
            )[0][4:],
            strict=True,
        )
    )
    for name in names:
        assert fitted[name] == pytest.approx(reference["parameters"][name], rel=1e-6), name
    columns = [
        "repeat_purchases",
        "recency_units",
        "age_units",
        "p_alive",
        "expected_purchases",
        "expected_order_value",
        "clv",
    ]
    actual = mart(run, "fct_customer_clv", columns)
    assert actual.keys() == reference["customers"].keys()
    # Parameters agree to 1e-6, so scores do to about that; money is served in cents.
    tolerance = {"expected_order_value": 0.01, "clv": 0.05}
    mismatches = [
        (customer, column, actual[customer][column], want[column])
        for customer, want in reference["customers"].items()
        for column in columns
        if float(actual[customer][column])
        != pytest.approx(want[column], rel=1e-5, abs=tolerance.get(column, 1e-9))
    ]
    assert not mismatches, f"fct_customer_clv: {len(mismatches)} mismatches, e.g. {mismatches[:5]}"


def as_exact(value):
    """A var as the reference takes it: numbers through their text, exactly."""
    if isinstance(value, dict):
        return {key: as_exact(item) for key, item in value.items()}
    return Decimal(str(value)) if isinstance(value, float) else value


def assert_picture_agrees(run, **rules) -> None:
    """The value dimensions, lifecycle and quality marts against reference_value_picture,
    column by column. CLV and P(alive) are inputs there (checked by assert_clv_agrees)."""
    as_of = run.scalar("select as_of_date from intermediate.int_analysis_date_resolved")
    expected = compute_picture(
        load_picture_inputs(run.warehouse),
        as_of,
        **{name: as_exact(value) for name, value in rules.items()},
    )
    for key, table in [
        ("dimensions", "fct_customer_value_dimensions"),
        ("lifecycle", "fct_customer_lifecycle"),
        ("quality", "fct_customer_quality"),
    ]:
        reference = expected[key]
        assert reference, f"{table}: the reference has no rows"
        columns = list(next(iter(reference.values())))
        actual = mart(run, table, columns)
        assert actual.keys() == reference.keys(), table
        mismatches = [
            (customer, column, actual[customer][column], reference[customer][column])
            for customer in reference
            for column in columns
            if not same(actual[customer][column], reference[customer][column])
        ]
        assert not mismatches, f"{table}: {len(mismatches)} mismatches, e.g. {mismatches[:5]}"


def reference_for(run, **rules) -> dict:
    customers, orders = load_from_duckdb(run.warehouse)
    return compute(customers, orders, **rules)


# Every label the value picture can give a buyer or a prospect, which the demo data shows.
DEMO_LABELS = {
    "purchasing_power": {"high", "medium", "low", "unknown"},
    "purchase_frequency": {"high", "medium", "low"},
    "purchase_potential": {"high", "medium", "low", "unknown"},
    "satisfaction": {"high", "medium", "low", "unknown"},
    "loyalty": {"high", "medium", "low"},
    "churn_risk": {"high", "medium", "low", "unknown"},
    "nps_class": {"promoter", "passive", "detractor", None},
    "lifecycle_stage": {"prospect", "new", "reactivated", "mature", "lost"},
    "loyalty_type": {"loyal", "potential", "marginal", "lost"},
    "quality_tier": {"quality", "standard", "unprofitable", None},
}


def test_demo_marts_match_the_reference(demo_build):
    run = demo_build  # conftest: the demo's build, shared with test_demo.py
    assert_agree(run, reference_for(run))
    assert_clv_agrees(run)
    assert_picture_agrees(run)
    for column, labels in DEMO_LABELS.items():
        shown = {row[0] for row in run.query(f"select distinct {column} from marts.dim_customers")}
        assert shown == labels, column


def test_past_as_of_date_and_every_variant_rule_match_the_reference(tmp_path):
    # With the unit tests: each pins its vars, so every var changed at once leaves them green.
    run = run_dbt(["build"], tmp_path, dbt_vars={**VARIANT, **PICTURE_VARIANT}, unit_tests=True)
    assert run.returncode == 0, run.output[-4000:]
    expected = reference_for(
        run,
        as_of_date=VARIANT["as_of_date"],
        rfm_window_days=365,
        rfm8_baseline="median",
        abc_measure="margin",
        abc_a_share=Decimal("0.6"),
        abc_b_share=Decimal("0.85"),
        pyramid_cuts=(Decimal("0.02"), Decimal("0.1"), Decimal("0.3")),
        value_window_days=PICTURE_VARIANT["value_window_days"],
    )
    assert_agree(run, expected)
    assert_clv_agrees(run)
    assert_picture_agrees(run, **PICTURE_VARIANT)
    # Point in time: nothing dated on or after as_of_date counts.
    assert (
        run.scalar(
            "select count(*) from marts.dim_customers "
            "where created_at >= date '2024-06-30' or last_order_date >= date '2024-06-30'"
        )
        == 0
    )


def test_fixed_score_edges_match_the_reference(tmp_path):
    edges = {
        "rfm_score_method": "fixed",
        "rfm_recency_edges": [30, 90, 180, 365],
        "rfm_frequency_edges": [2, 3, 5, 10],
        "rfm_monetary_edges": [500, 2000, 5000, 20000],
    }
    run = run_dbt(["build"], tmp_path, dbt_vars=edges)
    assert run.returncode == 0, run.output[-4000:]
    expected = reference_for(run, **edges)
    actual = mart(run, "fct_customer_rfm", RFM_COLUMNS)
    assert actual.keys() == expected["rfm"].keys()
    bad = [
        c for c in actual if any(not same(actual[c][k], expected["rfm"][c][k]) for k in RFM_COLUMNS)
    ]
    assert not bad, bad[:5]


def test_generated_20000_customers_match_the_reference(generated_build):
    """The build of 20,000 generated customers (the suite's shared generated data, which
    the Spark comparison also reads), anomalies rejected, against the reference."""
    run = generated_build
    assert run.scalar("select count(*) from marts.dim_customers") >= 19_000
    assert_agree(run, reference_for(run))
    assert_clv_agrees(run)
    assert_picture_agrees(run)
