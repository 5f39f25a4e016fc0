"""Data the CLV models cannot identify never breaks the warehouse.

Each shape real data takes and the generator never makes (identical spend for everyone,
nobody dropping out, one-time buyers only, one customer, every purchase on one day) builds
green with its fit_status recorded, a warning test naming the limit or the skip, and every
other mart built. Generated data in which every customer spends alike (every order
100.00, one a day) refreshes and publishes, the run history saying why the order-value
model is at its limit. And a backtest whose error passes clv_backtest_max_error stops the
publish.
"""

from __future__ import annotations

import math
import re
import shutil
from pathlib import Path

import duckdb
import pytest
from clv_shapes import simulate, simulate_pareto, write_raw
from conftest import run_dbt
from scipy.integrate import quad
from test_clv_marts import NO_FILE_AUDITS
from test_refresh import fingerprint, history, run_refresh, serving_file

from crm_value.generate import generate

# shape: (status of the chosen purchase model, of the order-value model, warning tests)
SHAPES = {
    "identical_spend": ("fitted", "limit_constant_spend", {"clv_limit_constant_spend"}),
    "constant_per_order": (
        "fitted",
        "limit_no_spend_heterogeneity",
        {"clv_limit_no_spend_heterogeneity"},
    ),
    "no_dropout": ("limit_no_dropout", "fitted", {"clv_limit_no_dropout"}),
    "one_time_buyers": (
        "skipped: no customer made a repeat purchase",
        "skipped: no repeat purchase",
        {"clv_chosen_models_usable", "clv_backtest_fitted"},
    ),
    "one_customer": (
        "skipped: 1 customers with a valid order, fewer than clv_min_customers",
        "skipped: 1 customers with a valid order, fewer than clv_min_customers",
        {"clv_chosen_models_usable", "clv_backtest_fitted"},
    ),
    "one_day": (
        "skipped: no customer made a repeat purchase",
        "skipped: no repeat purchase",
        {"clv_chosen_models_usable"},
    ),
}
MARTS = (
    "fct_customer_rfm",
    "fct_customer_abc",
    "fct_customer_pyramid",
    "fct_customer_clv",
    "fct_customer_value_dimensions",
    "fct_customer_lifecycle",
    "fct_customer_quality",
    "dim_customers",
    "fct_clv_model_fits",
    "fct_clv_backtest",
    "fct_clv_backtest_summary",
    "fct_clv_backtest_tracking",
)


def warned_tests(output: str) -> set[str]:
    """The names of the tests dbt reports as warnings ("Warning in test <name> (...)")."""
    return set(re.findall(r"Warning in test (\S+)", output))


@pytest.mark.parametrize("shape", list(SHAPES))
def test_each_shape_builds_green_with_its_status_recorded(tmp_path, shape):
    raw = write_raw(tmp_path / "raw", simulate(shape))
    work = tmp_path / "work"
    work.mkdir()
    run = run_dbt(["build"], work, raw_dir=raw, dbt_vars=NO_FILE_AUDITS)
    assert run.returncode == 0, run.output[-4000:]
    purchases, order_value, warnings = SHAPES[shape]
    chosen = dict(
        run.query(
            "select predicts, fit_status from marts.fct_clv_model_fits "
            "where is_chosen and fit_window = 'full'"
        )
    )
    assert chosen["purchases"].startswith(purchases), chosen
    assert chosen["order_value"].startswith(order_value), chosen
    assert warnings <= warned_tests(run.output), warned_tests(run.output)
    # every mart is built with the rows its grain says (every customer has an order here)
    customers = run.scalar("select count(*) from staging.stg_crm__customers")
    calibration = run.scalar(
        "select count(*) from intermediate.int_customers_clv_inputs where is_calibration_customer"
    )
    backtested = run.scalar(
        "select count(*) from marts.fct_clv_model_fits "
        "where fit_window = 'calibration' and predicts = 'purchases' and is_usable"
    )
    rows = {mart: run.scalar(f"select count(*) from marts.{mart}") for mart in MARTS}
    per_customer = (
        "fct_customer_rfm",
        "fct_customer_pyramid",
        "fct_customer_clv",
        "fct_customer_value_dimensions",
        "fct_customer_lifecycle",
        "dim_customers",
    )
    assert customers > 0
    assert {m: rows[m] for m in per_customer} == dict.fromkeys(per_customer, customers)
    assert 0 < rows["fct_customer_abc"] == rows["fct_customer_quality"] <= customers
    assert rows["fct_clv_model_fits"] == 8
    assert rows["fct_clv_backtest"] == calibration
    # a summary per model and bucket when anyone is in the calibration period; the tracking
    # for every model that could be fitted there
    assert (rows["fct_clv_backtest_summary"] >= 3) == (calibration > 0)
    assert (rows["fct_clv_backtest_tracking"] > 0) == (backtested > 0)
    customers = rows["dim_customers"]
    scored = run.scalar("select count(p_alive) from marts.fct_customer_clv")
    levels = dict(
        run.query(
            "select churn_risk = 'unknown', count(*) from marts.fct_customer_value_dimensions "
            "group by all"
        )
    )
    if purchases.startswith("skipped"):
        assert scored == 0
        assert levels == {True: customers}
    else:
        assert scored == run.scalar("select count(*) from marts.fct_customer_clv") > 0
        assert run.scalar("select count(clv) from marts.fct_customer_clv") == scored
    if shape == "no_dropout":
        # nobody drops out: everyone is alive and buys at the NBD's rate
        ((r, alpha),) = run.query(
            "select r, alpha from marts.fct_clv_model_fits where model = 'bgnbd' "
            "and fit_window = 'full' and fit_status = 'limit_no_dropout'"
        )
        rows = run.query(
            "select repeat_purchases, age_units, p_alive, expected_purchases "
            "from marts.fct_customer_clv"
        )
        for x, big_t, p_alive, expected in rows:
            assert p_alive == 1.0
            assert expected == pytest.approx((r + x) * (365 / 7) / (alpha + big_t), rel=1e-12)


def test_pareto_nbd_scores_frequent_buyers_with_long_lives(tmp_path):
    # beta / alpha above 100: P(alive)'s series would be long for the customers with a small
    # t_x, so their F(x, t_x) - F(x, T) is integrated (int_clv_pareto_nbd_quadrature).
    # Every customer's P(alive) and expected purchases against the definition, integrated
    # by scipy's adaptive quadrature.
    raw = write_raw(tmp_path / "raw", simulate_pareto(800, 1.0, 0.5, 1.0, 100.0, seed=3))
    work = tmp_path / "work"
    work.mkdir()
    run = run_dbt(
        ["build"], work, raw_dir=raw, dbt_vars={"clv_model": "pareto_nbd", **NO_FILE_AUDITS}
    )
    assert run.returncode == 0, run.output[-4000:]
    ((status, r, alpha, s, beta),) = run.query(
        "select fit_status, r, alpha, s, beta from marts.fct_clv_model_fits "
        "where model = 'pareto_nbd' and fit_window = 'full'"
    )
    assert status == "fitted" and beta / alpha > 100, (status, r, alpha, s, beta)
    integrated = run.scalar(
        "select count(*) from intermediate.int_clv_pareto_nbd_quadrature where fit_window = 'full'"
    )
    assert integrated > 0
    rows = run.query(
        "select repeat_purchases, recency_units, age_units, p_alive, expected_purchases "
        "from marts.fct_customer_clv"
    )
    horizon = 365 / 7
    for x, t_x, big_t, p_alive, expected in rows:
        if t_x >= big_t:
            want = 1.0
        else:

            def log_ratio(u, x=x, big_t=big_t):
                return (
                    (r + x) * math.log((alpha + big_t) / (alpha + u))
                    + s * math.log((beta + big_t) / (beta + u))
                    - math.log(beta + u)
                )

            top = log_ratio(t_x)
            area = quad(
                lambda u, top=top, f=log_ratio: math.exp(f(u) - top),
                t_x,
                big_t,
                epsabs=0,
                epsrel=1e-12,
                limit=200,
            )[0]
            odds = math.log(s) + top + math.log(area)
            want = 0.0 if odds > 700 else 1 / (1 + math.exp(odds))
        assert p_alive == pytest.approx(want, rel=1e-8, abs=1e-300), (x, t_x, big_t)
        grow = (r + x) * (beta + big_t) / ((alpha + big_t) * (s - 1))
        tail = 1 - ((beta + big_t) / (beta + big_t + horizon)) ** (s - 1)
        assert expected == pytest.approx(grow * tail * want, rel=1e-8, abs=1e-300)


@pytest.fixture(scope="module")
def constant_amounts(tmp_path_factory) -> Path:
    """The generator's data with every order at 100.00 and at most one order per customer
    and day (`crm-value generate --constant-amount 100`): every customer spends alike."""
    raw = tmp_path_factory.mktemp("constant") / "raw"
    generate(raw, "csv", 3000, 30000, 11, False, constant_amount=100.0)
    return raw


@pytest.fixture(scope="module")
def constant_refresh(constant_amounts, tmp_path_factory):
    serve = tmp_path_factory.mktemp("constant_serve") / "serve"
    run = run_refresh(constant_amounts, serve, {"as_of_date": "2025-12-01"})
    return run, serve


def test_constant_order_amounts_publish_every_mart_with_the_limit_recorded(constant_refresh):
    run, serve = constant_refresh
    assert run.returncode == 0, run.output[-4000:]
    last = history(serve)[-1]
    assert last["outcome"] == "passed"
    assert "gamma_gamma limit_constant_spend" in last["clv_status"], last["clv_status"]
    assert "clv_limit_constant_spend" in (last["warnings"] or ""), last["warnings"]
    assert "CLV: " in run.output and "warnings: " in run.output
    with duckdb.connect(str(serving_file(serve)), read_only=True) as con:
        tables = {
            t
            for (t,) in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts'"
            ).fetchall()
        }
        assert set(MARTS) <= tables
        ((status, value),) = con.execute(
            "select fit_status, constant_value from marts.fct_clv_model_fits "
            "where model = 'gamma_gamma' and fit_window = 'full'"
        ).fetchall()
        assert (status, value) == ("limit_constant_spend", 100.0)
        values = con.execute(
            "select distinct expected_order_value from marts.fct_customer_clv"
        ).fetchall()
        assert values == [(100,)]  # everyone's purchase day is worth the constant
        assert con.execute("select count(clv) from marts.fct_customer_clv").fetchone()[0] > 0


def test_a_backtest_error_past_its_bound_stops_the_publish(
    constant_refresh, constant_amounts, tmp_path
):
    run, published = constant_refresh
    assert run.returncode == 0, run.output[-4000:]
    serve = tmp_path / "serve"
    shutil.copytree(published, serve, symlinks=True, ignore=shutil.ignore_patterns(".work"))
    before = fingerprint(serve)
    bounds = {"clv_backtest_warn_error": 0.0, "clv_backtest_max_error": 0.0}
    run = run_refresh(constant_amounts, serve, {"as_of_date": "2025-12-01", **bounds})
    assert run.returncode == 1, run.output[-4000:]
    assert "FAILED at stage 'build'" in run.output
    assert fingerprint(serve) == before
    last = history(serve)[-1]
    assert last["outcome"] == "failed"
    assert "clv_backtest_within_max_error" in last["failure_reason"], last["failure_reason"]
    assert "clv_backtest_within_warn_error" in (last["warnings"] or "")
    assert "backtest:" in last["clv_status"]
