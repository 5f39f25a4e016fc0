"""Tests of the independent CLV backtest reference (reference_clv_backtest.py) itself:
hand-computed likelihoods, the published CDNOW fits, the prediction formulas against
mpmath (closed forms and numerical integrals of the individual-level models), a small
Monte-Carlo check, and the data and backtest conventions."""

from __future__ import annotations

import datetime as dt
import itertools
import math

import mpmath as mp
import numpy as np
import pytest
import reference_clv_backtest as ref

D = dt.date
CDNOW_END = D(1997, 10, 1)  # first day after the 39-week calibration period of FHL (2005)
CDNOW_FULL_END = D(1998, 7, 1)  # first day after the 78 weeks of the sample


def cdnow_transactions(lines: list[str]) -> list[tuple[str, dt.date, float]]:
    """(customer, date, amount) from the lines "id customer YYYYMMDD quantity amount"."""
    out = []
    for line in lines:
        _, customer, day, _, amount = line.split()
        out.append((customer, dt.datetime.strptime(day, "%Y%m%d").date(), float(amount)))
    return out


@pytest.fixture(scope="module")
def cdnow(cdnow_lines):
    return cdnow_transactions(cdnow_lines)


@pytest.fixture(scope="module")
def cdnow_inputs(cdnow):
    """The standard CDNOW setup: all purchase days before 1997-10-01, no holdout."""
    return ref.calibration_inputs(cdnow, CDNOW_END, holdout_days=0)


@pytest.fixture(scope="module")
def cdnow_fits(cdnow_inputs):
    return {model: ref.fit(model, cdnow_inputs) for model in ref.PARAMETERS}


@pytest.fixture(scope="module")
def cdnow_backtest(cdnow):
    return ref.backtest(cdnow, CDNOW_FULL_END, model="bgnbd")


# --------------------------------------------------------------------------------------
# Likelihoods: hand-computed values
# --------------------------------------------------------------------------------------


def test_the_bgnbd_likelihood_matches_hand_computed_values():
    # r = 2, alpha = 2, a = 1, b = 2; x = 1, t_x = 2, T = 6:
    # G(r+x) alpha^r / G(r) = G(3) 2^2 / G(2) = 8; B(a, b+x)/B(a, b) = B(1,3)/B(1,2)
    # = (1/3)/(1/2) = 2/3; (alpha+T)^-(r+x) = 8^-3 = 1/512;
    # a/(b+x-1) (alpha+t_x)^-(r+x) = 1/2 * 4^-3 = 1/128;
    # L = 8 * 2/3 * (1/512 + 1/128) = 16/3 * 5/512 = 5/96.
    params = {"r": 2, "alpha": 2, "a": 1, "b": 2}
    got = ref.log_likelihood("bgnbd", params, [1], [2], [6])
    assert got[0] == pytest.approx(math.log(5 / 96), rel=1e-13)
    # x = 0, T = 6: only the alive term, alpha^r (alpha+T)^-r = 4/64 = 1/16.
    got = ref.log_likelihood("bgnbd", params, [0], [0], [6])
    assert got[0] == pytest.approx(math.log(1 / 16), rel=1e-13)


def test_the_mbgnbd_likelihood_matches_hand_computed_values():
    # Same customer and parameters: 8 * B(1, 4)/B(1, 2) = 8 * (1/4)/(1/2) = 4;
    # (alpha+T)^-(r+x) = 1/512; 1 + a/(b+x) ((alpha+T)/(alpha+t_x))^(r+x) = 1 + 1/3 * 2^3
    # = 11/3; L = 4/512 * 11/3 = 11/384.
    params = {"r": 2, "alpha": 2, "a": 1, "b": 2}
    got = ref.log_likelihood("mbgnbd", params, [1], [2], [6])
    assert got[0] == pytest.approx(math.log(11 / 384), rel=1e-13)
    # x = 0, T = 6: alpha^r = 4; B(1,3)/B(1,2) = 2/3; 8^-2 = 1/64; 1 + 1/2 * 4^2 = 9;
    # L = 4 * 2/3 * 1/64 * 9 = 3/8. Directly: E[1-p] E[e^-6 lambda] + E[p] (dropped right
    # after the first purchase) = 2/3 * (2/8)^2 + 1/3 = 1/24 + 8/24 = 3/8.
    got = ref.log_likelihood("mbgnbd", params, [0], [0], [6])
    assert got[0] == pytest.approx(math.log(3 / 8), rel=1e-13)


def test_the_pareto_nbd_likelihood_matches_a_hand_computed_value():
    # r = 1, alpha = 2, s = 1, beta = 2 (alpha = beta: the 2F1 argument is 0, 2F1 = 1);
    # x = 1, t_x = 2, T = 6: G(r+x) alpha^r beta^s / G(r) = 1 * 2 * 2 = 4;
    # 1/((alpha+T)^(r+x) (beta+T)^s) = 1/(8^2 * 8) = 1/512;
    # A0 = (alpha+t_x)^-(r+s+x) - (alpha+T)^-(r+s+x) = 4^-3 - 8^-3 = 7/512; s/(r+s+x) = 1/3;
    # L = 4 * (1/512 + 7/1536) = 4 * 10/1536 = 5/192.
    params = {"r": 1, "alpha": 2, "s": 1, "beta": 2}
    got = ref.log_likelihood("pareto_nbd", params, [1], [2], [6])
    assert got[0] == pytest.approx(math.log(5 / 192), rel=1e-13)
    # t_x = T: A0 = 0, L = 4 * 8^-2 * 8^-1 = 1/128.
    got = ref.log_likelihood("pareto_nbd", params, [1], [6], [6])
    assert got[0] == pytest.approx(math.log(1 / 128), rel=1e-13)


def _pareto_integral(r, alpha, s, beta, x, t_x, big_t):
    """The Pareto/NBD likelihood integrated over the death time, without 2F1:
    G(r+x) alpha^r beta^s / G(r) [(alpha+T)^-(r+x) (beta+T)^-s
    + s Int_{t_x}^{T} (alpha+u)^-(r+x) (beta+u)^-(s+1) du], and its alive share."""
    r, alpha, s, beta, t_x, big_t = (mp.mpf(v) for v in (r, alpha, s, beta, t_x, big_t))
    alive = (alpha + big_t) ** -(r + x) * (beta + big_t) ** -s
    dead = s * mp.quad(lambda u: (alpha + u) ** -(r + x) * (beta + u) ** -(s + 1), [t_x, big_t])
    head = mp.gamma(r + x) * alpha**r * beta**s / mp.gamma(r)
    return head * (alive + dead), alive / (alive + dead)


@pytest.mark.parametrize(
    "params",
    [(0.553, 10.578, 0.606, 11.669), (0.553, 11.669, 0.606, 10.578), (2.0, 3.0, 1.5, 30.0)],
    ids=["alpha<beta", "alpha>beta", "far-apart"],
)
@pytest.mark.parametrize("row", [(0, 0.0, 30.0), (2, 4.0, 10.0), (12, 30.5, 38.0), (3, 5.0, 5.0)])
def test_the_pareto_nbd_likelihood_and_p_alive_match_the_death_time_integral(params, row):
    with mp.workdps(30):
        expected, alive = _pareto_integral(*params, *row)
        named = dict(zip(ref.PARAMETERS["pareto_nbd"], params, strict=True))
        got = ref.log_likelihood("pareto_nbd", named, *([v] for v in row))
        assert got[0] == pytest.approx(float(mp.log(expected)), rel=1e-10)
        got = ref.p_alive("pareto_nbd", named, *row)
        assert float(got) == pytest.approx(float(alive), rel=1e-10)


def test_the_gamma_gamma_likelihood_matches_a_hand_computed_value():
    # p = 2, q = 3, gamma = 4; x = 2, m_x = 1: G(px+q)/(G(px) G(q)) = G(7)/(G(4) G(3))
    # = 720/12 = 60; gamma^q = 64; m_x^(px-1) = 1; x^(px) = 2^4 = 16;
    # (gamma + m_x x)^-(px+q) = 6^-7; L = 60 * 64 * 16 / 6^7 = 61440/279936 = 160/729.
    params = {"p": 2, "q": 3, "gamma": 4}
    got = ref.log_likelihood("gamma_gamma", params, [2], [1])
    assert got[0] == pytest.approx(math.log(160 / 729), rel=1e-13)


# --------------------------------------------------------------------------------------
# Published CDNOW fits
# --------------------------------------------------------------------------------------


def test_the_cdnow_inputs_are_the_published_sample(cdnow_inputs):
    assert len(cdnow_inputs) == 2357
    rows = cdnow_inputs.values()
    assert sum(r["x"] for r in rows) == 2457  # repeat purchase days in the 39 weeks
    assert all(r["actual_purchases"] == 0 for r in rows)  # no holdout


@pytest.mark.parametrize(
    ("model", "published", "log_likelihood"),
    [
        # Fader, Hardie & Lee (2005), "Counting your customers the easy way".
        ("bgnbd", {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}, -9582.4),
        # Fader, Hardie & Lee (2005), "A note on implementing the Pareto/NBD model in MATLAB".
        ("pareto_nbd", {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}, -9594.98),
        # Fader, Hardie & Lee (2005), "RFM and CLV: using iso-value curves".
        ("gamma_gamma", {"p": 6.25, "q": 3.74, "gamma": 15.44}, None),
    ],
)
def test_the_fits_reproduce_the_published_cdnow_estimates(
    cdnow_fits, model, published, log_likelihood
):
    fitted = cdnow_fits[model]
    for name, value in published.items():
        assert fitted[name] == pytest.approx(value, rel=0.01), name
    if log_likelihood is not None:
        assert fitted["log_likelihood"] == pytest.approx(log_likelihood, abs=0.05)


@pytest.mark.parametrize("model", list(ref.PARAMETERS))
def test_the_fits_converge_tightly(cdnow_inputs, cdnow_fits, model):
    """The gradient of the mean log-likelihood (in log-parameters) vanishes to ~1e-12, so
    the Newton correction, i.e. the distance to the optimum, is below ~1e-8 relative."""
    fitted = cdnow_fits[model]
    g = ref.gradient(model, cdnow_inputs, fitted)
    h = ref.hessian(model, cdnow_inputs, fitted)
    assert np.all(np.linalg.eigvalsh(h) > 0)
    assert np.max(np.abs(g)) < 1e-9
    assert np.max(np.abs(np.linalg.solve(h, g))) < 1e-7
    # The likelihood reported is the sum over the customers.
    columns = ref._fit_data(model, cdnow_inputs)
    total = (columns[1] * ref.log_likelihood(model, fitted, *columns[0])).sum()
    assert fitted["log_likelihood"] == pytest.approx(total, rel=1e-14)


def test_the_mbgnbd_fit_on_cdnow_beats_the_bgnbd_parameters(cdnow_inputs, cdnow_fits):
    # No published CDNOW estimate: the MBG/NBD optimum must beat the BG/NBD parameters
    # plugged into the MBG/NBD likelihood, and lie close to the BG/NBD optimum in LL.
    mbg = cdnow_fits["mbgnbd"]
    (columns, weights) = ref._fit_data("mbgnbd", cdnow_inputs)
    plugged = (weights * ref.log_likelihood("mbgnbd", cdnow_fits["bgnbd"], *columns)).sum()
    assert mbg["log_likelihood"] > plugged
    assert mbg["log_likelihood"] == pytest.approx(cdnow_fits["bgnbd"]["log_likelihood"], abs=2)


# --------------------------------------------------------------------------------------
# Predictions
# --------------------------------------------------------------------------------------

BG = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
MBG = {"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614}
PNBD = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
PURCHASE_MODELS = [("bgnbd", BG), ("mbgnbd", MBG), ("pareto_nbd", PNBD)]
POINTS = [
    (0, 0.0, 20.0, 39.0),
    (1, 1 / 7, 2 / 7, 39.0),
    (0, 0.0, 0.0, 78.0),
    (2, 10.0, 30.0, 39.0),
    (7, 25.0, 38.0, 52.0),
    (25, 36.4, 38.9, 5.0),
]


def _mp_conditional(model, params, x, t_x, big_t, t):
    """The closed forms in mpmath (mp.hyp2f1)."""
    if model == "pareto_nbd":
        r, alpha, s, beta = (mp.mpf(params[k]) for k in ("r", "alpha", "s", "beta"))
        _, alive = _pareto_integral(r, alpha, s, beta, x, t_x, big_t)
        return (
            (r + x)
            * (beta + big_t)
            / ((alpha + big_t) * (s - 1))
            * (1 - ((beta + big_t) / (beta + big_t + t)) ** (s - 1))
            * alive
        )
    r, alpha, a, b = (mp.mpf(params[k]) for k in ("r", "alpha", "a", "b"))
    ratio = ((alpha + big_t) / (alpha + t_x)) ** (r + x)
    z = t / (alpha + big_t + t)
    shrink = ((alpha + big_t) / (alpha + big_t + t)) ** (r + x)
    if model == "bgnbd":
        alive = 1 if x == 0 else 1 / (1 + a / (b + x - 1) * ratio)
        return (
            (a + b + x - 1)
            / (a - 1)
            * (1 - shrink * mp.hyp2f1(r + x, b + x, a + b + x - 1, z))
            * alive
        )
    alive = 1 / (1 + a / (b + x) * ratio)
    return (a + b + x) / (a - 1) * (1 - shrink * mp.hyp2f1(r + x, b + x + 1, a + b + x, z)) * alive


def _mp_integral(model, params, x, t_x, big_t, t):
    """The same expectation from the individual-level model, without 2F1: an alive customer
    with purchase rate lambda and dropout probability p buys (1 - exp(-lambda p t))/p
    (BG/NBD and MBG/NBD), or lambda (1 - exp(-mu t))/mu (Pareto/NBD), in the next t; the
    posterior of an alive customer is Gamma(r+x, alpha+T) for lambda and Beta(a, b+x) (BG)
    or Beta(a, b+x+1) (MBG) for p, Gamma(s, beta+T) for mu."""
    if model == "pareto_nbd":
        r, alpha, s, beta = (mp.mpf(params[k]) for k in ("r", "alpha", "s", "beta"))
        _, alive = _pareto_integral(r, alpha, s, beta, x, t_x, big_t)
        rate = beta + big_t

        def density(mu):
            return rate**s * mu ** (s - 1) * mp.exp(-rate * mu) / mp.gamma(s)

        per_mu = mp.quad(lambda mu: density(mu) * -mp.expm1(-mu * t) / mu, [0, 1, mp.inf])
        return (r + x) / (alpha + big_t) * per_mu * alive
    r, alpha, a, b = (mp.mpf(params[k]) for k in ("r", "alpha", "a", "b"))
    b_post = b + x if model == "bgnbd" else b + x + 1
    ratio = ((alpha + big_t) / (alpha + t_x)) ** (r + x)
    if model == "bgnbd":
        alive = 1 if x == 0 else 1 / (1 + a / (b + x - 1) * ratio)
    else:
        alive = 1 / (1 + a / (b + x) * ratio)

    def integrand(p):
        density = p ** (a - 1) * (1 - p) ** (b_post - 1) / mp.beta(a, b_post)
        return density * (1 - ((alpha + big_t) / (alpha + big_t + p * t)) ** (r + x)) / p

    return mp.quad(integrand, [0, 0.5, 1]) * alive


@pytest.mark.parametrize(
    ("model", "params"), [("bgnbd", BG), ("mbgnbd", MBG), ("pareto_nbd", PNBD)]
)
@pytest.mark.parametrize("point", POINTS)
def test_the_conditional_expectation_matches_mpmath(model, params, point):
    x, t_x, big_t, t = point
    with mp.workdps(30):
        closed = float(_mp_conditional(model, params, x, t_x, big_t, t))
        integral = float(_mp_integral(model, params, x, t_x, big_t, t))
    got = float(ref.conditional_expected_purchases(model, params, t, x, t_x, big_t))
    assert closed == pytest.approx(integral, rel=1e-9)
    assert got == pytest.approx(closed, rel=1e-10)


@pytest.mark.parametrize(
    ("model", "params"), [("bgnbd", BG), ("mbgnbd", MBG), ("pareto_nbd", PNBD)]
)
def test_the_unconditional_expectation_is_the_conditional_at_zero(model, params):
    t = np.array([0.0, 0.5, 1.0, 13.0, 39.0, 78.0, 500.0])
    unconditional = ref.unconditional_expected_purchases(model, params, t)
    zero = np.zeros_like(t)
    conditional = ref.conditional_expected_purchases(model, params, t, zero, zero, zero)
    np.testing.assert_allclose(unconditional, conditional, rtol=1e-12, atol=1e-15)
    assert unconditional[0] == 0
    assert np.all(np.diff(unconditional) > 0)
    # At x = 0, T = 0 the MBG/NBD customer may already be gone: P(alive) = b/(a+b).
    alive = ref.p_alive(model, params, 0, 0, 0)
    expected = params["b"] / (params["a"] + params["b"]) if model == "mbgnbd" else 1.0
    assert float(alive) == pytest.approx(expected, rel=1e-14)


def test_p_alive_matches_the_closed_forms():
    # BG/NBD, x = 2, t_x = 10, T = 30: 1 / (1 + a/(b+1) ((alpha+30)/(alpha+10))^(r+2)).
    odds = BG["a"] / (BG["b"] + 1) * ((BG["alpha"] + 30) / (BG["alpha"] + 10)) ** (BG["r"] + 2)
    assert float(ref.p_alive("bgnbd", BG, 2, 10, 30)) == pytest.approx(1 / (1 + odds), rel=1e-14)
    assert float(ref.p_alive("bgnbd", BG, 0, 0, 30)) == 1.0
    # MBG/NBD, x = 0, t_x = 0, T = 30: 1 / (1 + a/b ((alpha+30)/alpha)^r).
    odds = MBG["a"] / MBG["b"] * ((MBG["alpha"] + 30) / MBG["alpha"]) ** MBG["r"]
    assert float(ref.p_alive("mbgnbd", MBG, 0, 0, 30)) == pytest.approx(1 / (1 + odds), rel=1e-14)


def test_the_expected_order_value_follows_the_gamma_gamma_formula():
    params = {"p": 6.25, "q": 3.74, "gamma": 15.44}
    got = ref.expected_order_value(params, [0, 3], [None, 40.0])
    assert got[0] == pytest.approx(6.25 * 15.44 / 2.74, rel=1e-14)
    assert got[1] == pytest.approx((15.44 + 120) * 6.25 / (6.25 * 3 + 2.74), rel=1e-14)


def _simulate(model, params, t, n, rng):
    """Repeat purchases within t of the first purchase, from the individual-level stories."""
    if model == "pareto_nbd":
        lam = rng.gamma(params["r"], 1 / params["alpha"], n)
        mu = rng.gamma(params["s"], 1 / params["beta"], n)
        return rng.poisson(lam * np.minimum(t, rng.exponential(1 / mu)))
    lam = rng.gamma(params["r"], 1 / params["alpha"], n)
    p = rng.beta(params["a"], params["b"], n)
    # Purchases before the dropout: BG/NBD after each repeat purchase (K >= 1), MBG/NBD
    # also right after the first purchase (K >= 0).
    dropout = rng.geometric(p) - (1 if model == "mbgnbd" else 0)
    return np.minimum(rng.poisson(lam * t), dropout)


@pytest.mark.parametrize(
    ("model", "params"), [("bgnbd", BG), ("mbgnbd", MBG), ("pareto_nbd", PNBD)]
)
def test_the_unconditional_expectation_agrees_with_a_simulation(model, params):
    rng = np.random.default_rng(20050101)
    draws = _simulate(model, params, 39.0, 400_000, rng)
    expected = float(ref.unconditional_expected_purchases(model, params, 39.0))
    assert abs(draws.mean() - expected) < 4 * draws.std() / math.sqrt(draws.size)


# --------------------------------------------------------------------------------------
# Data conventions
# --------------------------------------------------------------------------------------

TOY = [
    # A: two transactions on 2020-01-01 are one purchase day worth 15.
    ("A", D(2020, 1, 1), 10.0),
    ("A", D(2020, 1, 1), 5.0),
    ("A", D(2020, 1, 8), 20.0),
    ("A", D(2020, 1, 15), 30.0),
    ("A", D(2020, 1, 15), 10.0),
    ("A", D(2020, 1, 20), 7.0),  # holdout
    ("A", D(2020, 1, 25), 9.0),  # holdout, one day worth 12
    ("A", D(2020, 1, 25), 3.0),
    ("A", D(2020, 2, 1), 100.0),  # on as_of_date: ignored
    ("B", D(2020, 1, 17), 50.0),  # the last calibration day
    ("C", D(2020, 1, 18), 50.0),  # first purchase on calibration_end: not calibration
    ("D", D(2020, 1, 10), 50.0),  # opened on calibration_end: not calibration
    ("E", D(2019, 12, 1), 50.0),  # no opening date given: opened on the first purchase
    ("F", D(2020, 2, 5), 50.0),  # after as_of_date
    ("G", D(2020, 1, 5), 50.0),  # opening date unknown (None): not calibration
]
TOY_CREATED = {"A": D(2019, 6, 1), "B": D(2020, 1, 17), "C": D(2020, 1, 1), "D": D(2020, 1, 18)}


def test_calibration_inputs_follow_the_purchase_day_conventions():
    created = {**TOY_CREATED, "G": None}
    # as_of 2020-02-01, holdout 14 days: calibration_end = 2020-01-18.
    got = ref.calibration_inputs(TOY, D(2020, 2, 1), holdout_days=14, created=created)
    assert sorted(got) == ["A", "B", "E"]
    # A: calibration days 01-01, 01-08, 01-15 -> x = 2, t_x = 14/7, T = (01-17 - 01-01)/7,
    # m_x = (20 + 40)/2; holdout days 01-20 (7) and 01-25 (12).
    assert got["A"] == {
        "x": 2,
        "t_x": 2.0,
        "T": 16 / 7,
        "m_x": 30.0,
        "first_date": D(2020, 1, 1),
        "actual_purchases": 2,
        "actual_order_value": 9.5,
    }
    assert got["B"] == {
        "x": 0,
        "t_x": 0.0,
        "T": 0.0,
        "m_x": None,
        "first_date": D(2020, 1, 17),
        "actual_purchases": 0,
        "actual_order_value": None,
    }
    assert got["E"]["T"] == (D(2020, 1, 17) - D(2019, 12, 1)).days / 7
    # Without `created` every customer opens on the first purchase: D and G come back.
    assert sorted(ref.calibration_inputs(TOY, D(2020, 2, 1), holdout_days=14)) == [
        "A",
        "B",
        "D",
        "E",
        "G",
    ]


def test_calibration_inputs_without_holdout_and_in_days():
    got = ref.calibration_inputs(TOY, D(2020, 2, 1), holdout_days=0, time_unit_days=1)
    # calibration_end = as_of_date: A's five purchase days before 02-01 are all calibration.
    assert got["A"]["x"] == 4
    assert got["A"]["t_x"] == 24.0
    assert got["A"]["T"] == 30.0
    assert got["A"]["m_x"] == pytest.approx((20 + 40 + 7 + 12) / 4)
    assert got["A"]["actual_purchases"] == 0
    assert "F" not in got
    with pytest.raises(ValueError, match="holdout_days"):
        ref.calibration_inputs(TOY, D(2020, 2, 1), holdout_days=-1)


# --------------------------------------------------------------------------------------
# Backtest (CDNOW, the 39 + 39 weeks split of FHL 2005)
# --------------------------------------------------------------------------------------


def test_the_backtest_calibrates_on_the_published_setup(cdnow_backtest, cdnow_fits):
    bt = cdnow_backtest
    assert bt["calibration_end"] == CDNOW_END
    assert len(bt["customers"]) == 2357
    for name in ("r", "alpha", "a", "b", "log_likelihood"):
        assert bt["parameters"][name] == pytest.approx(cdnow_fits["bgnbd"][name], rel=1e-7)
    for name in ("p", "q", "gamma"):
        value = bt["order_value_parameters"][name]
        assert value == pytest.approx(cdnow_fits["gamma_gamma"][name], rel=1e-7)


def test_the_backtest_customers_use_the_closed_forms(cdnow_backtest):
    bt = cdnow_backtest
    params, values = bt["parameters"], bt["order_value_parameters"]
    row = bt["customers"]["0001"]  # 1997-01-01, -01-18 | -08-02, -12-12 (holdout)
    assert (row["repeat_purchases"], row["actual_purchases"]) == (2, 1)
    assert row["recency_units"] == pytest.approx((D(1997, 8, 2) - D(1997, 1, 1)).days / 7)
    assert row["age_units"] == pytest.approx((D(1997, 9, 30) - D(1997, 1, 1)).days / 7)
    assert row["actual_order_value"] == pytest.approx(26.48)
    args = (row["repeat_purchases"], row["recency_units"], row["age_units"])
    assert row["p_alive_at_calibration_end"] == pytest.approx(
        float(ref.p_alive("bgnbd", params, *args)), rel=1e-14
    )
    assert row["predicted_purchases"] == pytest.approx(
        float(ref.conditional_expected_purchases("bgnbd", params, 39.0, *args)), rel=1e-14
    )
    m_x = (29.73 + 14.96) / 2
    p, q, gamma = values["p"], values["q"], values["gamma"]
    assert row["predicted_order_value"] == pytest.approx(
        (gamma + 2 * m_x) * p / (2 * p + q - 1), rel=1e-12
    )


def test_the_backtest_summary_aggregates_the_customers(cdnow_backtest):
    bt = cdnow_backtest
    summary, rows = bt["summary"], list(bt["customers"].values())
    assert set(summary) == set(ref.BUCKETS)
    assert sum(summary[b]["customers"] for b in ref.BUCKETS[:-1]) == 2357
    assert summary["all"]["customers"] == 2357
    total_actual = sum(r["actual_purchases"] for r in rows)
    assert summary["all"]["actual_purchases"] == total_actual
    assert sum(summary[b]["predicted_purchases"] for b in ref.BUCKETS[:-1]) == pytest.approx(
        summary["all"]["predicted_purchases"], rel=1e-12
    )
    seven = [r for r in rows if r["repeat_purchases"] >= 7]
    s = summary["7+"]
    predicted = sum(r["predicted_purchases"] for r in seven)
    actual = sum(r["actual_purchases"] for r in seven)
    errors = [r["predicted_purchases"] - r["actual_purchases"] for r in seven]
    assert s["customers"] == len(seven)
    assert s["predicted_purchases"] == pytest.approx(predicted, rel=1e-12)
    assert s["mean_actual_purchases"] == pytest.approx(actual / len(seven))
    assert s["relative_error"] == pytest.approx((predicted - actual) / actual, rel=1e-12)
    assert s["mae"] == pytest.approx(np.mean(np.abs(errors)), rel=1e-12)
    assert s["rmse"] == pytest.approx(math.sqrt(np.mean(np.square(errors))), rel=1e-12)
    buyers = [r for r in seven if r["actual_purchases"] > 0]
    pred_value = sum(r["predicted_order_value"] for r in buyers)
    act_value = sum(r["actual_order_value"] for r in buyers)
    assert s["order_value_customers"] == len(buyers)
    assert s["order_value_relative_error"] == pytest.approx(
        (pred_value - act_value) / act_value, rel=1e-12
    )
    assert s["order_value_mae"] == pytest.approx(
        np.mean([abs(r["predicted_order_value"] - r["actual_order_value"]) for r in buyers])
    )
    # The holdout is 39 weeks of the same cohort: predictions are in the right range.
    assert abs(summary["all"]["relative_error"]) < 0.2


def test_the_backtest_tracking_points(cdnow_backtest):
    bt = cdnow_backtest
    tracking, rows = bt["tracking"], bt["customers"].values()
    dates = [p["period_end_date"] for p in tracking]
    # From 1997-01-08 (the first point after the earliest first purchase, 1997-01-01) to
    # 1998-07-01 (= as_of_date, calibration_end + 39 weeks) weekly: 78 points.
    assert dates[0] == D(1997, 1, 8)
    assert dates[-1] == CDNOW_FULL_END
    assert len(dates) == 78
    assert all((b - a).days == 7 for a, b in itertools.pairwise(dates))
    at_end = tracking[dates.index(CDNOW_END)]
    assert at_end["cumulative_actual_repeat_purchases"] == sum(r["repeat_purchases"] for r in rows)
    # At calibration_end each customer's age is T: the sum of E[X(T)].
    ages = np.array([r["age_units"] for r in rows])
    expected = ref.unconditional_expected_purchases("bgnbd", bt["parameters"], ages).sum()
    assert at_end["cumulative_predicted_repeat_purchases"] == pytest.approx(expected, rel=1e-12)
    last = tracking[-1]
    assert last["cumulative_actual_repeat_purchases"] == sum(
        r["repeat_purchases"] + r["actual_purchases"] for r in rows
    )
    actual = [p["cumulative_actual_repeat_purchases"] for p in tracking]
    predicted = [p["cumulative_predicted_repeat_purchases"] for p in tracking]
    assert actual == sorted(actual)
    assert predicted == sorted(predicted)


def test_the_last_tracking_point_is_capped_at_as_of_date(cdnow):
    # holdout 270 days: calibration_end = 1997-10-04; calibration_end + 39 weeks is
    # 1998-07-04 >= as_of_date 1998-07-01, so the last point is 1998-07-01.
    bt = ref.backtest(cdnow, CDNOW_FULL_END, model="pareto_nbd", holdout_days=270)
    dates = [p["period_end_date"] for p in bt["tracking"]]
    assert bt["calibration_end"] == D(1997, 10, 4)
    assert dates[-2] == D(1998, 6, 27)
    assert dates[-1] == CDNOW_FULL_END
    assert dates[0] == D(1997, 1, 4)
    horizon = 270 / 7
    row = bt["customers"]["0001"]
    args = (row["repeat_purchases"], row["recency_units"], row["age_units"])
    assert row["predicted_purchases"] == pytest.approx(
        float(ref.conditional_expected_purchases("pareto_nbd", bt["parameters"], horizon, *args))
    )


def test_a_fit_that_the_data_cannot_identify_raises():
    # Nobody bought twice: the dropout process (a, b) is not identified.
    rows = [{"x": 0, "t_x": 0.0, "T": float(t), "m_x": None} for t in range(1, 40)]
    with pytest.raises(ValueError, match="do not identify"):
        ref.fit("bgnbd", rows)
    with pytest.raises(ValueError, match="no customers to fit"):
        ref.fit("gamma_gamma", rows)


def test_the_backtest_rejects_unknown_models(cdnow):
    with pytest.raises(ValueError, match="unknown purchase model"):
        ref.backtest(cdnow, CDNOW_FULL_END, model="gamma_gamma")
