"""The CLV backtest on the CDNOW sample agrees customer by customer with an independent
implementation written from the papers (reference_clv_backtest.py, not from the SQL).

CDNOW with as_of_date 1998-07-01 and the default 273-day holdout is the classic split of
Fader, Hardie & Lee (2005): calibration to 1997-10-01 (39 weeks), holdout the 39 weeks
after. The build runs with clv_model = best, so it also shows the choice: the model with
the lowest holdout RMSE, which the reference computes on its own.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
import reference_clv_backtest as reference
from clv_shapes import cdnow_transactions
from conftest import run_dbt
from test_clv_marts import NO_FILE_AUDITS, cdnow_raw

AS_OF = dt.date(1998, 7, 1)
MODELS = ("bgnbd", "mbgnbd", "pareto_nbd")


@pytest.fixture(scope="module")
def build(cdnow_lines, tmp_path_factory):
    root = tmp_path_factory.mktemp("cdnow_backtest")
    raw = cdnow_raw(cdnow_lines, root / "raw")
    work = root / "work"
    work.mkdir()
    dbt_vars = {"as_of_date": AS_OF.isoformat(), "clv_model": "best", **NO_FILE_AUDITS}
    run = run_dbt(["build"], work, raw_dir=raw, dbt_vars=dbt_vars)
    assert run.returncode == 0, run.output[-4000:]
    return run


@pytest.fixture(scope="module")
def expected(cdnow_lines) -> dict:
    """The reference's backtest of every model."""
    transactions = cdnow_transactions(cdnow_lines)
    return {model: reference.backtest(transactions, AS_OF, model=model) for model in MODELS}


def calibration_params(build, model: str) -> dict:
    names = ("fit_status", "r", "alpha", "a", "b", "s", "beta", "p", "q", "gamma")
    (row,) = build.query(
        f"select {', '.join(names)} from marts.fct_clv_model_fits "
        "where model = ? and fit_window = 'calibration'",
        [model],
    )
    return {k: v for k, v in zip(names, row, strict=True) if v is not None}


def test_the_calibration_inputs_and_holdout_actuals_agree(build, cdnow_lines):
    want = reference.calibration_inputs(cdnow_transactions(cdnow_lines), AS_OF)
    rows = build.query(
        "select customer_id, calibration_repeat_purchases, calibration_recency_units, "
        "calibration_age_units, calibration_mean_repeat_value, holdout_purchases, "
        "holdout_mean_value from intermediate.int_customers_clv_inputs "
        "where is_calibration_customer"
    )
    assert len(rows) == len(want) == 2357
    for customer, x, t_x, big_t, m_x, actual, value in rows:
        w = want[customer]
        assert (x, actual) == (w["x"], w["actual_purchases"]), customer
        assert (t_x, big_t) == pytest.approx((w["t_x"], w["T"]), rel=1e-12), customer
        for got, ref in ((m_x, w["m_x"]), (value, w["actual_order_value"])):
            assert (got is None) == (ref is None), customer
            if ref is not None:
                assert got == pytest.approx(ref, rel=1e-12), customer


@pytest.mark.parametrize("model", [*MODELS, "gamma_gamma"])
def test_each_calibration_fit_agrees_with_the_reference(build, expected, model):
    got = calibration_params(build, model)
    assert got.pop("fit_status") == "fitted"
    source = expected["bgnbd"]["order_value_parameters"] if model == "gamma_gamma" else None
    want = source or expected[model]["parameters"]
    for name, value in got.items():
        assert value == pytest.approx(want[name], rel=1e-6), name


@pytest.mark.parametrize("model", MODELS)
def test_each_models_backtest_agrees_customer_by_customer(build, expected, model):
    want = expected[model]["customers"]
    rows = build.query(
        "select customer_id, repeat_purchases, p_alive_at_calibration_end, predicted_purchases, "
        "actual_purchases, cast(predicted_order_value as double), "
        "cast(actual_order_value as double) "
        "from intermediate.int_customers_clv_backtested where model = ?",
        [model],
    )
    assert len(rows) == len(want)
    mismatches = []
    for customer, x, alive, predicted, actual, value, actual_value in rows:
        w = want[customer]
        checks = [
            (x == w["repeat_purchases"] and actual == w["actual_purchases"]),
            alive == pytest.approx(w["p_alive_at_calibration_end"], rel=1e-6, abs=1e-9),
            predicted == pytest.approx(w["predicted_purchases"], rel=1e-6, abs=1e-9),
            # money is served in cents
            value == pytest.approx(w["predicted_order_value"], abs=0.005 + 1e-6),
            (actual_value is None) == (w["actual_order_value"] is None),
        ]
        if w["actual_order_value"] is not None:
            checks.append(actual_value == pytest.approx(w["actual_order_value"], abs=0.005 + 1e-9))
        if not all(checks):
            mismatches.append((customer, (alive, predicted, value), w))
    assert not mismatches, f"{model}: {len(mismatches)} customers differ, e.g. {mismatches[:3]}"


@pytest.mark.parametrize("model", MODELS)
def test_each_models_summary_agrees_bucket_by_bucket(build, expected, model):
    want = expected[model]["summary"]
    columns = (
        "customers",
        "predicted_purchases",
        "actual_purchases",
        "mean_predicted_purchases",
        "mean_actual_purchases",
        "relative_error",
        "mae",
        "rmse",
        "order_value_customers",
        "mean_predicted_order_value",
        "mean_actual_order_value",
        "order_value_relative_error",
        "order_value_mae",
    )
    rows = build.query(
        f"select frequency_bucket, {', '.join(columns)} from marts.fct_clv_backtest_summary "
        "where purchase_model = ?",
        [model],
    )
    got = {bucket: dict(zip(columns, values, strict=True)) for bucket, *values in rows}
    assert set(got) == {bucket for bucket, w in want.items() if w["customers"] > 0}
    for bucket, values in got.items():
        for column, value in values.items():
            ref = want[bucket][column]
            # order values are compared in cents, so their errors to about a cent
            money = column in {
                "mean_predicted_order_value",
                "mean_actual_order_value",
                "order_value_mae",
            }
            tolerance = {"abs": 0.006} if money else {"rel": 1e-5, "abs": 1e-7}
            if "order_value_relative" in column:
                tolerance = {"abs": 1e-4}
            assert (value is None) == (ref is None), (bucket, column)
            if ref is not None:
                assert value == pytest.approx(ref, **tolerance), (bucket, column, value, ref)


@pytest.mark.parametrize("model", MODELS)
def test_each_models_tracking_agrees_point_by_point(build, expected, model):
    want = expected[model]["tracking"]
    rows = build.query(
        "select period_end_date, cumulative_actual_repeat_purchases, "
        "cumulative_predicted_repeat_purchases from marts.fct_clv_backtest_tracking "
        "where purchase_model = ? order by unit_index",
        [model],
    )
    assert [r[0] for r in rows] == [p["period_end_date"] for p in want]
    for (date, actual, predicted), point in zip(rows, want, strict=True):
        assert actual == point["cumulative_actual_repeat_purchases"], date
        assert predicted == pytest.approx(
            point["cumulative_predicted_repeat_purchases"], rel=1e-6
        ), date


def test_best_chooses_the_lowest_holdout_rmse(build, expected):
    rmse = {model: expected[model]["summary"]["all"]["rmse"] for model in MODELS}
    want = min(MODELS, key=lambda m: (rmse[m], MODELS.index(m)))
    chosen = build.query(
        "select model, fit_window, chosen_by from marts.fct_clv_model_fits "
        "where is_chosen and predicts = 'purchases' order by fit_window"
    )
    assert chosen == [
        (want, "calibration", "best: the lowest holdout RMSE"),
        (want, "full", "best: the lowest holdout RMSE"),
    ]
    assert build.query("select distinct purchase_model from marts.fct_customer_clv") == [(want,)]
    assert build.query("select distinct purchase_model from marts.fct_clv_backtest") == [(want,)]
    flagged = build.query(
        "select purchase_model from marts.fct_clv_backtest_summary "
        "where is_chosen and frequency_bucket = 'all'"
    )
    assert flagged == [(want,)]


def test_every_model_scores_the_backtest_as_its_closed_forms(build):
    # With the build's own calibration parameters: P(alive) and predicted holdout purchases
    # against the untransformed closed forms (scipy's 2F1 for BG/NBD and MBG/NBD; eq. 41
    # with the A0 term by scipy's 2F1 for Pareto/NBD), as the reference computes them: far
    # tighter than two independent fits can agree.
    holdout = 273 / 7
    for model in MODELS:
        params = calibration_params(build, model)
        rows = build.query(
            "select repeat_purchases, recency_units, age_units, p_alive_at_calibration_end, "
            "predicted_purchases from intermediate.int_customers_clv_backtested where model = ?",
            [model],
        )
        x, t_x, big_t, alive, predicted = (
            np.array(c, dtype=float) for c in zip(*rows, strict=True)
        )
        want_alive = reference.p_alive(model, params, x, t_x, big_t)
        want = reference.conditional_expected_purchases(model, params, holdout, x, t_x, big_t)
        np.testing.assert_allclose(alive, want_alive, rtol=1e-10, err_msg=model)
        np.testing.assert_allclose(predicted, want, rtol=1e-9, err_msg=model)
