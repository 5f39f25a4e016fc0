"""The CLV marts, end to end: the CDNOW sample run through the whole dbt build (raw files,
staging, the inputs in SQL, the Python fit, the SQL scores) reproduces the published
estimates, and every customer's score matches an independent Python computation of the
closed forms (reference_clv.scores: scipy's hypergeometric function, the untransformed
formula)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from clv_shapes import write_entities
from conftest import run_dbt
from reference_clv import scores
from test_clv_fit import AS_OF, cdnow_inputs

NO_FILE_AUDITS = {
    "min_profile_completeness": 0,
    "warn_profile_completeness": 0,
    "min_profile_timeliness": 0,
    "warn_profile_timeliness": 0,
}


def cdnow_raw(lines: list[str], folder: Path) -> Path:
    """The CDNOW transactions as the contract's raw files (every order completed)."""
    orders, first = [], {}
    for n, line in enumerate(lines):
        _, customer, day, quantity, amount = line.split()
        date = dt.datetime.strptime(day, "%Y%m%d").date()
        first[customer] = min(first.get(customer, date), date)
        orders.append(
            {
                "order_id": f"T{n:05d}",
                "customer_id": customer,
                "ordered_at": date.isoformat(),
                "status": "completed",
                "quantity": quantity,
                "amount": amount,
            }
        )
    customers = [
        {
            "customer_id": c,
            "customer_name": f"CDNOW {c}",
            "created_at": d.isoformat(),
            "updated_at": d.isoformat(),
        }
        for c, d in sorted(first.items())
    ]
    return write_entities(folder, customers, orders)


@pytest.fixture(scope="module")
def cdnow_build(cdnow_lines, tmp_path_factory):
    root = tmp_path_factory.mktemp("cdnow")
    raw = cdnow_raw(cdnow_lines, root / "raw")
    work = root / "work"
    work.mkdir()
    run = run_dbt(
        ["build"], work, raw_dir=raw, dbt_vars={"as_of_date": AS_OF.isoformat(), **NO_FILE_AUDITS}
    )
    assert run.returncode == 0, run.output[-4000:]
    return run


def fitted(run, model: str, window: str = "full") -> dict:
    """The parameters of one model's fit at one window, by name."""
    names = ("fit_status", "r", "alpha", "a", "b", "s", "beta", "p", "q", "gamma")
    names += ("log_likelihood", "customers")
    rows = run.query(
        f"select {', '.join(names)} from marts.fct_clv_model_fits "
        "where model = ? and fit_window = ?",
        [model, window],
    )
    assert len(rows) == 1, rows
    return dict(zip(names, rows[0], strict=True))


def test_the_build_reproduces_the_published_cdnow_estimates(cdnow_build):
    bgnbd = fitted(cdnow_build, "bgnbd")
    assert (bgnbd["fit_status"], bgnbd["customers"]) == ("fitted", 2357)
    for name, want in {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}.items():
        assert bgnbd[name] == pytest.approx(want, rel=0.01), name
    assert bgnbd["log_likelihood"] == pytest.approx(-9582.4, abs=0.5)
    pareto = fitted(cdnow_build, "pareto_nbd")
    assert pareto["fit_status"] == "fitted"
    for name, want in {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}.items():
        assert pareto[name] == pytest.approx(want, rel=0.01), name
    assert pareto["log_likelihood"] == pytest.approx(-9594.98, rel=0.01)
    gamma_gamma = fitted(cdnow_build, "gamma_gamma")
    assert (gamma_gamma["fit_status"], gamma_gamma["customers"]) == ("fitted", 946)
    for name, want in {"p": 6.25, "q": 3.74, "gamma": 15.44}.items():
        assert gamma_gamma[name] == pytest.approx(want, rel=0.01), name
    (chosen,) = cdnow_build.query(
        "select model, chosen_by from marts.fct_clv_model_fits "
        "where is_chosen and predicts = 'purchases' and fit_window = 'full'"
    )
    assert chosen == ("bgnbd", "var clv_model")


def test_the_sql_inputs_match_the_transactions(cdnow_build, cdnow_lines):
    x, t_x, big_t, m_x = cdnow_inputs(cdnow_lines)
    rows = cdnow_build.query(
        "select repeat_purchases, recency_units, age_units, coalesce(mean_repeat_value, 0) "
        "from intermediate.int_customers_clv_inputs order by all"
    )
    got = np.array(rows, dtype=float)
    want = np.array(sorted(zip(x, t_x, big_t, m_x, strict=True)))
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-9)


def test_every_score_matches_the_closed_forms(cdnow_build):
    names = ("r", "alpha", "a", "b", "p", "q", "gamma")
    params = {
        **fitted(cdnow_build, "bgnbd"),
        **{k: v for k, v in fitted(cdnow_build, "gamma_gamma").items() if k in {"p", "q", "gamma"}},
    }
    rows = cdnow_build.query(
        "select clv.repeat_purchases, clv.recency_units, clv.age_units, "
        "coalesce(inputs.mean_repeat_value, 0), clv.p_alive, clv.expected_purchases, "
        "cast(clv.expected_order_value as double), cast(clv.clv as double) "
        "from marts.fct_customer_clv as clv "
        "inner join intermediate.int_customers_clv_inputs as inputs using (customer_id)"
    )
    x, t_x, big_t, m_x, p_alive, expected, value, clv = (
        np.array(c, dtype=float) for c in zip(*rows, strict=True)
    )
    assert len(x) == 2357
    want_alive, want_expected, want_value = scores(
        {n: params[n] for n in names}, x, t_x, big_t, m_x, 365 / 7
    )
    np.testing.assert_allclose(p_alive, want_alive, rtol=1e-12)
    np.testing.assert_allclose(expected, want_expected, rtol=1e-9)
    # Money is served in cents.
    np.testing.assert_allclose(value, want_value, atol=0.005 + 1e-9)
    np.testing.assert_allclose(clv, want_expected * want_value, atol=0.005 + 1e-6)


def test_too_few_buyers_skip_the_fits_and_leave_the_scores_null(raw, work):
    run = run_dbt(["build"], work, raw_dir=raw.path)
    assert run.returncode == 0, run.output[-3000:]
    warned = [line for line in run.output.splitlines() if "WARN" in line]
    assert any("clv_chosen_models_usable" in line for line in warned), warned
    statuses = run.query("select distinct fit_status from marts.fct_clv_model_fits")
    assert statuses == [
        ("skipped: 5 customers with a valid order, fewer than clv_min_customers (100)",)
    ] or all(
        status.startswith("skipped: ") and "fewer than clv_min_customers (100)" in status
        for (status,) in statuses
    )
    rows = run.query("select p_alive, expected_purchases, clv from marts.fct_customer_clv")
    assert rows and all(row == (None, None, None) for row in rows)
    levels = run.query(
        "select distinct purchase_potential, churn_risk from marts.fct_customer_value_dimensions"
    )
    assert levels == [("unknown", "unknown")]
