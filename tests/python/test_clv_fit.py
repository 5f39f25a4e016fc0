"""The CLV fits: published estimates, hand-computed likelihoods, and limits as answers.

The yardstick is the CDNOW sample (2,357 customers) that ships inside the `lifetimes`
wheel on PyPI: the `cdnow_lines` fixture (conftest) downloads the wheel (no install) and
reads the file from it; none of it is committed. With as_of_date 1997-10-01 and weeks:
- BG/NBD (Fader, Hardie & Lee 2005): r 0.243, alpha 4.414, a 0.793, b 2.426, LL -9582.4;
- Pareto/NBD (Fader, Hardie & Lee 2005, "A note on implementing the Pareto/NBD model in
  MATLAB"): r 0.553, alpha 10.578, s 0.606, beta 11.669, LL -9594.98;
- Gamma-Gamma (Fader, Hardie & Lee 2005, "RFM and CLV"): p 6.25, q 3.74, gamma 15.44.
"""

from __future__ import annotations

import datetime as dt
import math

import mpmath as mp
import numpy as np
import pytest
from clv_shapes import cdnow_transactions, inputs, simulate, simulate_pareto
from scipy.integrate import quad
from scipy.special import gammaln

from crm_value.clv import (
    PURCHASE_MODELS,
    bgnbd_log_likelihood,
    fit_order_value,
    fit_purchase_models,
    fit_purchases,
    gamma_gamma_log_likelihood,
    mbgnbd_log_likelihood,
    pareto_nbd_log_f,
    pareto_nbd_log_gap,
    pareto_nbd_log_likelihood,
)

AS_OF = dt.date(1997, 10, 1)


def cdnow_inputs(lines: list[str], as_of: dt.date = AS_OF) -> tuple[np.ndarray, ...]:
    """x, t_x, T (weeks) and m_x per customer, from purchase days before as_of."""
    return inputs(cdnow_transactions(lines), as_of)


@pytest.fixture(scope="module")
def cdnow_fits(cdnow_lines):
    x, t_x, big_t, m_x = cdnow_inputs(cdnow_lines)
    return fit_purchase_models(x, t_x, big_t), fit_order_value(x, m_x), len(x)


def test_bgnbd_reproduces_the_published_cdnow_estimates(cdnow_fits):
    fits, _, n = cdnow_fits
    fit = fits["bgnbd"]
    assert (fit.status, fit.n_customers, n) == ("fitted", 2357, 2357)
    published = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    for name, value in published.items():
        assert fit.params[name] == pytest.approx(value, rel=0.01), name
    assert fit.log_likelihood == pytest.approx(-9582.4, abs=0.5)


def test_pareto_nbd_reproduces_the_published_cdnow_estimates(cdnow_fits):
    fit = cdnow_fits[0]["pareto_nbd"]
    assert fit.status == "fitted"
    published = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
    for name, value in published.items():
        assert fit.params[name] == pytest.approx(value, rel=0.01), name
    assert fit.log_likelihood == pytest.approx(-9594.98, rel=0.01)
    assert fit.log_likelihood == pytest.approx(-9594.98, abs=0.05)


def test_gamma_gamma_reproduces_the_published_cdnow_estimates(cdnow_fits, cdnow_lines):
    fit = cdnow_fits[1]
    x = cdnow_inputs(cdnow_lines)[0]
    assert fit.status == "fitted"
    published = {"p": 6.25, "q": 3.74, "gamma": 15.44}
    for name, value in published.items():
        assert fit.params[name] == pytest.approx(value, rel=0.01), name
    assert fit.n_customers == int((x > 0).sum())


def test_mbgnbd_fits_cdnow_as_well_as_bgnbd(cdnow_fits):
    # No published CDNOW estimate: MBG/NBD nests a one-time buyer's dropout that BG/NBD
    # rules out, and on CDNOW the two fit about equally (within a nat).
    fits = cdnow_fits[0]
    assert fits["mbgnbd"].status == "fitted"
    assert fits["mbgnbd"].log_likelihood == pytest.approx(fits["bgnbd"].log_likelihood, abs=1.0)


def test_the_likelihoods_match_hand_computed_values():
    p = np.array([1.0, 2.0, 1.0, 3.0])  # r, alpha, a, b
    x, t_x, big_t = np.array([2.0]), np.array([4.0]), np.array([10.0])
    # BG/NBD, x = 2, t_x = 4, T = 10: A1 = G(3) 2^1 / G(1) = 4; A2 = G(4) G(5) / (G(3)
    # G(6)) = 0.6; A3 = 12^-3; A4 = a / (b + x - 1) 6^-3 = 6^-3 / 4.
    want = np.log(4 * 0.6 * (12.0**-3 + 6.0**-3 / 4))
    assert bgnbd_log_likelihood(p, x, t_x, big_t)[0] == pytest.approx(want, rel=1e-12)
    # x = 0: only A3 counts: A1 = 2, A2 = 1, A3 = 1/12.
    got = bgnbd_log_likelihood(p, [0.0], [0.0], [10.0])[0]
    assert got == pytest.approx(np.log(2 / 12), rel=1e-12)
    # MBG/NBD: A1 4 as above; B(a, b + x + 1) / B(a, b) = B(1, 6) / B(1, 3) = (1/6) / (1/3)
    # = 0.5; (alpha + T)^-(r + x) = 12^-3; 1 + a / (b + x) (12 / 6)^3 = 1 + 8 / 5.
    want = np.log(4 * 0.5 * 12.0**-3 * (1 + 8 / 5))
    assert mbgnbd_log_likelihood(p, x, t_x, big_t)[0] == pytest.approx(want, rel=1e-12)
    # MBG/NBD, x = 0, t_x = 0, T = 10: 2 * (3/4) * 12^-1 * (1 + (1/3) 6^1).
    got = mbgnbd_log_likelihood(p, [0.0], [0.0], [10.0])[0]
    assert got == pytest.approx(np.log(2 * 0.75 / 12 * 3), rel=1e-12)
    # Gamma-Gamma p = q = 1, gamma = 2, x = 1, m = 3: G(2)/(G(1)G(1)) 2^1 3^0 1^1 (2+3)^-2.
    got = gamma_gamma_log_likelihood([1.0, 1.0, 2.0], [1.0], [3.0])[0]
    assert got == pytest.approx(np.log(2 / 25), rel=1e-12)


@pytest.mark.parametrize(
    "params",
    [
        (0.55, 10.6, 0.61, 11.7),
        (2.0, 5.0, 0.4, 40.0),
        (0.8, 30.0, 1.5, 3.0),
        (1.0, 4.0, 1.0, 4.0),
        # beta / alpha of 300 and 1e4: small t_x is integrated, not summed
        (1.0, 1.0, 0.8, 300.0),
        (1.5, 0.02, 2.0, 200.0),
        (1.0, 300.0, 0.8, 1.0),
    ],
)
def test_the_pareto_nbd_likelihood_matches_its_definition(params):
    # Schmittlein et al.: given lambda and mu, alive throughout or dropped at tau in (t_x,
    # T); integrated over gamma(r, alpha) and gamma(s, beta) this is
    # G(r + x) a^r b^s / G(r) [(a + T)^-(r + x) (b + T)^-s + s int_tx^T (a + u)^-(r + x)
    # (b + u)^-(s + 1) du], the integral done here by quadrature, not the hypergeometric.
    r, alpha, s, beta = params
    cases = [(0, 0.0, 30.0), (1, 5.0, 30.0), (6, 20.0, 30.0), (40, 60.0, 78.0), (2, 0.3, 50.0)]
    for x, t_x, big_t in cases:
        integral = quad(
            lambda u, x=x: (alpha + u) ** -(r + x) * (beta + u) ** -(s + 1),
            t_x,
            big_t,
            epsabs=0,
            epsrel=1e-13,
            limit=200,
        )[0]
        head = gammaln(r + x) - gammaln(r) + r * math.log(alpha) + s * math.log(beta)
        alive = (alpha + big_t) ** -(r + x) * (beta + big_t) ** -s
        want = head + math.log(alive + s * integral)
        got = pareto_nbd_log_likelihood(params, [x], [t_x], [big_t])[0]
        assert got == pytest.approx(want, rel=1e-10), (x, t_x, big_t)


def test_the_integrated_gap_matches_the_series_and_mpmath():
    # Where both apply, Gauss-Legendre's ln(F(t_x) - F(T)) equals the series' (scipy's
    # 2F1), and at 40 digits mpmath's closed form, across w near 0 and near 1.
    mp.mp.dps = 40
    for params in [(0.55, 10.6, 0.61, 11.7), (1.0, 1.0, 0.8, 300.0), (2.0, 40.0, 1.5, 0.2)]:
        r, alpha, s, beta = params
        for x, t_x, big_t in [(0, 0.0, 30.0), (3, 0.2, 20.0), (60, 70.0, 78.0), (1, 0.0, 0.5)]:
            got = pareto_nbd_log_gap(params, [x], [t_x], [big_t])[0]
            ln_f = pareto_nbd_log_f(params, [x, x], [t_x, big_t])
            series = ln_f[0] + math.log(-math.expm1(ln_f[1] - ln_f[0]))
            c = mp.mpf(r + s + x)

            def f(t, c=c, x=x, r=r, alpha=alpha, s=s, beta=beta):
                if alpha >= beta:
                    z = (mp.mpf(alpha) - beta) / (alpha + mp.mpf(t))
                    return (alpha + mp.mpf(t)) ** -c * mp.hyp2f1(c, s + 1, c + 1, z) / c
                z = (mp.mpf(beta) - alpha) / (beta + mp.mpf(t))
                return (beta + mp.mpf(t)) ** -c * mp.hyp2f1(c, r + x, c + 1, z) / c

            exact = float(mp.log(f(t_x) - f(big_t)))
            assert got == pytest.approx(exact, abs=1e-10), (params, x, t_x, big_t)
            assert series == pytest.approx(exact, abs=1e-8), (params, x, t_x, big_t)


def test_pareto_nbd_fits_frequent_buyers_with_long_lives():
    # beta / alpha far above 100: P(alive)'s series would be long; the fit integrates the
    # gap instead and finds the model (no boundary, no skip).
    x, t_x, big_t, _ = inputs(simulate_pareto(2000, 1.0, 0.5, 1.0, 100.0, seed=3))
    fit = fit_purchases("pareto_nbd", x, t_x, big_t)
    assert fit.status == "fitted"
    assert fit.params["beta"] / fit.params["alpha"] > 100


def test_limit_likelihoods_are_the_limits_of_the_models():
    # No dropout: BG/NBD with a -> 0 is the NBD; one purchase rate: r, alpha -> infinity
    # with r / alpha fixed is the Poisson. Checked through the fitted limits' own values.
    x, t_x, big_t = np.array([3.0]), np.array([12.0]), np.array([20.0])
    r, alpha = 1.5, 6.0
    nbd = gammaln(r + 3) - gammaln(r) + r * np.log(alpha) - (r + 3) * np.log(alpha + 20)
    almost = bgnbd_log_likelihood([r, alpha, 1e-12, 2.0], x, t_x, big_t)[0]
    assert almost == pytest.approx(nbd, abs=1e-9)
    rate = 0.25
    poisson = 3 * np.log(rate) - rate * 20
    big = 1e7
    almost = bgnbd_log_likelihood([big, big / rate, 1e-12, 2.0], x, t_x, big_t)[0]
    assert almost == pytest.approx(poisson, abs=1e-5)
    # Gamma-Gamma with q, gamma -> infinity (gamma / q = 1 / nu): every customer's spend
    # rate is nu; x m_x is then gamma(p x, nu).
    p, nu, m = 3.0, 0.05, 70.0
    same_rate = 3 * p * np.log(nu * 3) + (3 * p - 1) * np.log(m) - nu * 3 * m - gammaln(3 * p)
    almost = gamma_gamma_log_likelihood([p, 1e9, 1e9 / nu], [3.0], [m])[0]
    assert almost == pytest.approx(same_rate, abs=1e-5)


EXPECTED_STATUS = {
    # shape: (purchase models' status, order-value status)
    "heterogeneous": ("fitted", "fitted"),
    "identical_spend": ("fitted", "limit_constant_spend"),
    "constant_per_order": ("fitted", "limit_no_spend_heterogeneity"),
    "no_dropout": ("limit_no_dropout", "fitted"),
    "same_rate_no_dropout": ("limit_no_dropout_no_rate_heterogeneity", "fitted"),
}


@pytest.mark.parametrize("shape", list(EXPECTED_STATUS))
def test_each_shape_gets_its_model_or_its_limit(shape):
    x, t_x, big_t, m_x = inputs(simulate(shape))
    fits = fit_purchase_models(x, t_x, big_t)
    purchases, order_value = EXPECTED_STATUS[shape]
    assert {m: f.status for m, f in fits.items()} == dict.fromkeys(PURCHASE_MODELS, purchases)
    assert fit_order_value(x, m_x).status == order_value
    for fit in fits.values():
        assert fit.usable and all(np.isfinite(v) and v > 0 for v in fit.params.values())


def test_identical_spend_expects_the_constant():
    x, _, _, m_x = inputs(simulate("identical_spend"))
    fit = fit_order_value(x, m_x)
    assert fit.params == {"constant_value": pytest.approx(100.0, rel=1e-12)}


def test_spend_without_heterogeneity_expects_the_population_mean():
    # Every order is 100.00 and every other purchase day holds two orders: a day is worth
    # 100 or 200, alike for everyone; the limit's p / spend_rate is the population's mean
    # value of a repeat purchase day.
    x, _, _, m_x = inputs(simulate("constant_per_order"))
    fit = fit_order_value(x, m_x)
    mean_day_value = float((x * m_x).sum() / x.sum())
    assert fit.params["p"] / fit.params["spend_rate"] == pytest.approx(mean_day_value, rel=1e-6)


@pytest.mark.parametrize("shape", ["one_time_buyers", "one_day"])
def test_no_repeat_purchase_skips_every_model_without_raising(shape):
    x, t_x, big_t, m_x = inputs(simulate(shape))
    assert not (x > 0).any()
    for fit in fit_purchase_models(x, t_x, big_t).values():
        assert fit.status.startswith("skipped: no customer made a repeat purchase")
        assert not fit.usable and fit.params == {}
    assert fit_order_value(x, m_x).status.startswith("skipped: no repeat purchase")


def test_no_customers_skip():
    empty = np.array([])
    assert fit_purchases("bgnbd", empty, empty, empty).status == "skipped: no customers to fit"
    assert not fit_order_value(empty, empty).usable


def test_the_answer_does_not_depend_on_the_currency_or_the_time_unit(cdnow_lines):
    x, t_x, big_t, m_x = cdnow_inputs(cdnow_lines)
    base = fit_purchases("bgnbd", x, t_x, big_t)
    days = fit_purchases("bgnbd", x, 7 * t_x, 7 * big_t)
    assert days.status == base.status == "fitted"
    for name in ("r", "a", "b"):
        assert days.params[name] == pytest.approx(base.params[name], rel=1e-6)
    assert days.params["alpha"] == pytest.approx(7 * base.params["alpha"], rel=1e-6)
    value = fit_order_value(x, m_x)
    dong = fit_order_value(x, 25_000 * m_x)  # the same spend in a currency 25,000 times smaller
    assert dong.status == value.status == "fitted"
    for name in ("p", "q"):
        assert dong.params[name] == pytest.approx(value.params[name], rel=1e-6)
    assert dong.params["gamma"] == pytest.approx(25_000 * value.params["gamma"], rel=1e-6)
    # A currency's scale moves the log-likelihood of a density by n ln(scale) only.
    shift = value.n_customers * math.log(25_000)
    assert dong.log_likelihood == pytest.approx(value.log_likelihood - shift, abs=1e-4)


@pytest.mark.parametrize("shape", ["heterogeneous", "no_dropout", "constant_per_order"])
def test_the_answer_does_not_depend_on_the_number_of_customers(shape):
    # Ten copies of every customer: the same estimates and status, ten times the
    # log-likelihood (convergence and the choice of a limit are judged per customer).
    x, t_x, big_t, m_x = inputs(simulate(shape, customers=800))
    tenfold = [np.tile(v, 10) for v in (x, t_x, big_t, m_x)]
    once, ten = fit_purchase_models(x, t_x, big_t), fit_purchase_models(*tenfold[:3])
    for model in PURCHASE_MODELS:
        assert ten[model].status == once[model].status
        for name, value in once[model].params.items():
            assert ten[model].params[name] == pytest.approx(value, rel=1e-5), (model, name)
        assert ten[model].log_likelihood == pytest.approx(10 * once[model].log_likelihood)
    value_once, value_ten = fit_order_value(x, m_x), fit_order_value(tenfold[0], tenfold[3])
    assert value_ten.status == value_once.status
    for name, value in value_once.params.items():
        assert value_ten.params[name] == pytest.approx(value, rel=1e-5), name


def test_a_richer_model_is_kept_only_when_its_extra_parameters_pay(cdnow_lines):
    # On CDNOW dropout is real: BG/NBD beats its no-dropout limit by far more than the
    # one nat per extra parameter the choice asks for; on data without dropout the limit
    # is the answer.
    x, t_x, big_t, _ = cdnow_inputs(cdnow_lines)
    assert fit_purchases("bgnbd", x, t_x, big_t).status == "fitted"
    x, t_x, big_t, _ = inputs(simulate("no_dropout"))
    assert fit_purchases("bgnbd", x, t_x, big_t).status == "limit_no_dropout"


def test_too_few_iterations_is_skipped_not_raised(cdnow_lines):
    x, t_x, big_t, _ = cdnow_inputs(cdnow_lines)
    fit = fit_purchases("bgnbd", x, t_x, big_t, max_iterations=2)
    assert fit.status.startswith("skipped: ") and not fit.usable


# --- The rows of int_clv_models_fitted, as each engine reaches them ---------------------


def _both_windows(transactions) -> dict[str, np.ndarray]:
    """crm_value.clv_fit's INPUTS: the full window, and every other customer as the
    calibration window (on the same numbers, shuffled, so the two windows differ)."""
    x, t_x, big_t, m_x = inputs(transactions)
    order = np.random.default_rng(3).permutation(len(x))
    calibration = np.arange(len(x)) % 2 == 0
    full = {"x": x, "t_x": t_x, "T": big_t, "m_x": m_x, "calibration": calibration}
    shuffled = {
        f"cal_{n}": v[order]
        for n, v in zip(("x", "t_x", "T", "m_x"), (x, t_x, big_t, m_x), strict=True)
    }
    return full | shuffled


def test_the_fitted_rows_are_the_same_through_json_and_through_spark_s_text():
    """DuckDB reads `fit_json`'s JSON; Spark reads what `main` prints from the rows it
    streamed in as text. Both give the same rows, floats to the last bit, whatever order
    the customers came in."""
    import io
    import json
    import sys as system

    from crm_value import clv_fit

    columns = _both_windows(simulate("heterogeneous", customers=400))
    settings = clv_fit.Settings(100, "bgnbd", "all")
    expected = clv_fit.fit_rows(columns, settings)
    assert [(r["fit_window"], r["model"]) for r in expected] == [
        (w, m) for w in ("full", "calibration") for m in (*PURCHASE_MODELS, "gamma_gamma")
    ]
    assert json.loads(clv_fit.fit_json(100, "bgnbd", "all", *columns.values())) == expected

    reverse = np.arange(len(columns["x"]))[::-1]
    marker = "\t".join("false" if n == "calibration" else "-1.0" for n in clv_fit.INPUTS)
    lines = (
        marker
        + "\n"
        + "".join(
            "\t".join(clv_fit._text(bool(v) if n == "calibration" else float(v)) for n, v in row)
            + "\n"
            for row in zip(
                *[[(n, columns[n][i]) for i in reverse] for n in clv_fit.INPUTS], strict=True
            )
        )
    )
    stdin, stdout = system.stdin, system.stdout
    system.stdin, system.stdout = io.StringIO(lines), io.StringIO()
    try:
        clv_fit.main(["100", "bgnbd", "all"])
        printed = system.stdout.getvalue()
    finally:
        system.stdin, system.stdout = stdin, stdout
    types = dict(clv_fit.OUTPUTS)
    parse = {
        "text": str,
        "boolean": lambda v: v == "true",
        "double": float,
        "bigint": int,
    }
    rows = [
        {
            name: None if cell == "\\N" else parse[types[name]](cell)
            for (name, _), cell in zip(clv_fit.OUTPUTS, line.split("\t"), strict=True)
        }
        for line in printed.splitlines()
    ]
    assert rows == expected


def test_a_backfill_date_fits_only_the_scoring_model_and_too_few_buyers_skip():
    from crm_value import clv_fit

    columns = _both_windows(simulate("heterogeneous", customers=300))
    scoring = clv_fit.fit_rows(columns, clv_fit.Settings(100, "mbgnbd", "scoring"))
    usable = {(r["fit_window"], r["model"]) for r in scoring if r["is_usable"]}
    assert usable == {("full", "mbgnbd"), ("full", "gamma_gamma")}
    assert {r["fit_status"] for r in scoring if not r["is_usable"]} == {
        "skipped: not fitted for a backfill date (clv_fit_scope scoring)"
    }
    few = clv_fit.fit_rows(columns, clv_fit.Settings(100_000, "bgnbd", "all"))
    assert {r["fit_status"].split(",")[-1] for r in few} == {
        " fewer than clv_min_customers (100000)"
    }
    assert all(r["r"] is None and r["log_likelihood"] is None for r in few)


def test_the_macro_s_columns_are_the_order_the_script_prints():
    """Spark reads the script's columns by position: the macro's list must be OUTPUTS."""
    import re

    from conftest import PROJECT_DIR

    from crm_value import clv_fit

    macro = (PROJECT_DIR / "macros/value_model/crm_fit_clv_models.sql").read_text()
    block = macro[macro.index("{% macro crm_clv_fit_columns() %}") :]
    block = block[: block.index("{% endmacro %}")]
    head, rest = block.split("{%- for name in [", 1)
    loop_names, tail = rest.split("]", 1)
    pairs = re.findall(r"\('(\w+)', '(\w+)'\)", head)
    pairs += [(name, "double") for name in re.findall(r"'(\w+)'", loop_names)]
    pairs += re.findall(r"\('(\w+)', '(\w+)'\)", tail)
    assert pairs == list(clv_fit.OUTPUTS)


def test_the_script_answers_skipped_rows_for_the_marker_alone():
    """On no buyers Spark's macro still sends its marker row (x = -1): the script drops it
    and answers the 8 rows DuckDB gives for no buyers."""
    import io
    import sys as system

    from crm_value import clv_fit

    marker = "\t".join("false" if n == "calibration" else "-1.0" for n in clv_fit.INPUTS)
    stdin, stdout = system.stdin, system.stdout
    system.stdin, system.stdout = io.StringIO(marker + "\n"), io.StringIO()
    try:
        clv_fit.main(["100", "bgnbd", "all"])
        printed = system.stdout.getvalue().splitlines()
    finally:
        system.stdin, system.stdout = stdin, stdout
    empty = {n: np.zeros(0, dtype=bool if n == "calibration" else float) for n in clv_fit.INPUTS}
    expected = clv_fit.fit_rows(empty, clv_fit.Settings(100, "bgnbd", "all"))
    assert len(printed) == len(expected) == 8
    assert [line.split("\t")[3] for line in printed] == [r["fit_status"] for r in expected]
    assert all(r["customers"] == 0 for r in expected)


def test_the_fit_does_not_depend_on_how_many_threads_blas_has(tmp_path):
    """OpenBLAS splits a long dot product over its threads; the fit sums without it, so
    the dbt process on DuckDB and a Spark executor (or two machines) fit the same bits."""
    import json
    import os
    import subprocess
    import sys as system

    script = tmp_path / "fit.py"
    script.write_text(
        "import json, sys\n"
        "sys.path.insert(0, sys.argv[1])\n"
        "from clv_shapes import simulate\n"
        "from test_clv_fit import _both_windows\n"
        "from crm_value import clv_fit\n"
        "columns = _both_windows(simulate('heterogeneous', customers=30000))\n"
        "rows = clv_fit.fit_rows(columns, clv_fit.Settings(100, 'bgnbd', 'all'))\n"
        "print(json.dumps(rows))\n",
        encoding="utf-8",
    )
    answers = []
    for threads in ("1", "4"):
        env = {**os.environ, "OPENBLAS_NUM_THREADS": threads, "OMP_NUM_THREADS": threads}
        run = subprocess.run(
            [system.executable, str(script), os.path.dirname(__file__)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=600,
        )
        answers.append(json.loads(run.stdout))
    assert answers[0] == answers[1]
    assert sum(r["is_usable"] for r in answers[0]) >= 6
