"""The CLV closed forms as SQL macros, against values worked out by hand or by scipy.

One `dbt show --inline` renders every macro on literal inputs (each case's parameters in a
subquery with the column names the macros read); the expected values are derived below
from the papers' formulas, by hand or with scipy's untransformed hypergeometric function,
never from the SQL.
"""

from __future__ import annotations

import json
import math

import pytest
from conftest import run_dbt
from scipy.integrate import quad
from scipy.special import hyp2f1

from crm_value.clv import pareto_nbd_log_f

PURCHASE_COLUMNS = (
    "model",
    "fit_status",
    "r",
    "alpha",
    "a",
    "b",
    "s",
    "beta",
    "purchase_rate",
    "dropout_probability",
)
VALUE_COLUMNS = ("p", "q", "gamma", "spend_rate", "spend_scale", "constant_value")


def _params(**given) -> str:
    """A one-row subquery with every parameter column, nulls where not given."""
    columns = []
    for name in PURCHASE_COLUMNS + VALUE_COLUMNS:
        value = given.get(name)
        if value is None:
            literal = "cast(null as double)" if name not in {"model", "fit_status"} else "null"
        elif isinstance(value, str):
            literal = f"'{value}'"
        else:
            literal = repr(float(value))
        columns.append(f"{literal} as {name}")
    return f"(select {', '.join(columns)})"


def _bgnbd_expected(r, alpha, a, b, x, t_x, big_t, t, modified=False):
    """Untransformed closed forms (Fader, Hardie & Lee 2005, eq. 10; Batislam et al.)."""
    if modified:
        alive = 1 / (1 + a / (b + x) * ((alpha + big_t) / (alpha + t_x)) ** (r + x))
        head, b_shift = (a + b + x) / (a - 1), b + x + 1
        c = a + b + x
    else:
        alive = (
            1.0
            if x == 0
            else 1 / (1 + a / (b + x - 1) * ((alpha + big_t) / (alpha + t_x)) ** (r + x))
        )
        head, b_shift = (a + b + x - 1) / (a - 1), b + x
        c = a + b + x - 1
    z = t / (alpha + big_t + t)
    tail = ((alpha + big_t) / (alpha + big_t + t)) ** (r + x) * hyp2f1(r + x, b_shift, c, z)
    return alive, head * (1 - tail) * alive


def _pareto_expected(r, alpha, s, beta, x, t_x, big_t, t):
    ln_f = pareto_nbd_log_f((r, alpha, s, beta), [x, x], [t_x, big_t])
    gap = math.exp(ln_f[0]) - math.exp(ln_f[1])
    alive = 1 / (1 + s * (alpha + big_t) ** (r + x) * (beta + big_t) ** s * gap)
    grow = (r + x) * (beta + big_t) / ((alpha + big_t) * (s - 1))
    return alive, grow * (1 - ((beta + big_t) / (beta + big_t + t)) ** (s - 1)) * alive, ln_f


BG = dict(model="bgnbd", fit_status="fitted", r=0.8, alpha=5.0, a=0.6, b=2.5)
MBG = dict(model="mbgnbd", fit_status="fitted", r=0.8, alpha=5.0, a=0.6, b=2.5)
PARETO = dict(model="pareto_nbd", fit_status="fitted", r=0.55, alpha=10.6, s=0.61, beta=11.7)


def _cases() -> dict:
    cases = {}
    # P(alive), hand-worked: BG/NBD x = 2, t_x = 4, T = 10, r = 1, alpha = 2, a = 1,
    # b = 3: odds = a / (b + x - 1) ((alpha + T) / (alpha + t_x))^(r + x) = 1/4 * 2^3 = 2.
    hand = dict(model="bgnbd", fit_status="fitted", r=1, alpha=2, a=1, b=3)
    cases["p_alive_bgnbd_hand"] = ("crm_clv_p_alive('2', '4.0', '10.0')", hand, 1 / 3)
    cases["p_alive_bgnbd_one_time"] = ("crm_clv_p_alive('0', '0.0', '10.0')", hand, 1.0)
    # MBG/NBD: b + x = 5, so odds = 1/5 * 8 and a one-time buyer can be gone: odds at x = 0
    # = a / b ((alpha + T) / alpha)^r = 1/3 * 6.
    hand_m = {**hand, "model": "mbgnbd"}
    cases["p_alive_mbgnbd_hand"] = ("crm_clv_p_alive('2', '4.0', '10.0')", hand_m, 1 / (1 + 8 / 5))
    cases["p_alive_mbgnbd_one_time"] = ("crm_clv_p_alive('0', '0.0', '10.0')", hand_m, 1 / 3)
    # Limits: one dropout probability p = 0.2 gives odds p / (1 - p) G; one rate 0.5 gives
    # G = e^(0.5 (10 - 4)); without dropout everyone is alive.
    fixed_p = dict(
        model="bgnbd",
        fit_status="limit_no_dropout_heterogeneity",
        r=1,
        alpha=2,
        dropout_probability=0.2,
    )
    cases["p_alive_fixed_dropout"] = (
        "crm_clv_p_alive('2', '4.0', '10.0')",
        fixed_p,
        1 / (1 + 0.25 * 8),
    )
    fixed_rate = dict(
        model="bgnbd", fit_status="limit_no_rate_heterogeneity", purchase_rate=0.5, a=1, b=3
    )
    cases["p_alive_fixed_rate"] = (
        "crm_clv_p_alive('2', '4.0', '10.0')",
        fixed_rate,
        1 / (1 + 0.25 * math.exp(3.0)),
    )
    nbd = dict(model="pareto_nbd", fit_status="limit_no_dropout", r=1, alpha=2)
    cases["p_alive_no_dropout"] = ("crm_clv_p_alive('2', '4.0', '10.0')", nbd, 1.0)
    # Expected purchases without dropout: (r + x) t / (alpha + T) = 3 * 5 / 12; one rate:
    # rate t = 0.5 * 5.
    cases["expected_nbd"] = (
        "crm_clv_expected_purchases('2', '10.0', '5.0', '1.0', 'null')",
        nbd,
        3 * 5 / 12,
    )
    poisson = dict(
        model="bgnbd", fit_status="limit_no_dropout_no_rate_heterogeneity", purchase_rate=0.5
    )
    cases["expected_poisson"] = (
        "crm_clv_expected_purchases('2', '10.0', '5.0', '1.0', 'null')",
        poisson,
        2.5,
    )
    # Pareto/NBD: P(alive) and expected purchases from ln F (computed here with scipy's
    # 2F1 in crm_value.clv.pareto_nbd_log_f) and the untransformed eq. 41.
    for x, t_x, big_t in [(0, 0.0, 30.0), (3, 12.0, 30.0), (40, 60.0, 78.0)]:
        alive, expected, ln_f = _pareto_expected(0.55, 10.6, 0.61, 11.7, x, t_x, big_t, 52.0)
        gap = f"crm_clv_pareto_ln_gap('{float(ln_f[0])!r}', '{float(ln_f[1])!r}', 'null')"
        args = f"'{x}', '{t_x}', '{big_t}', {gap}"
        cases[f"p_alive_pareto_{x}"] = (f"crm_clv_p_alive({args})", PARETO, alive)
        cases[f"expected_pareto_{x}"] = (
            f"crm_clv_expected_purchases('{x}', '{big_t}', '52.0', '{float(alive)!r}', 'null')",
            PARETO,
            expected,
        )
    # Pareto/NBD where the series would be long: the integrated ln gap is taken as given
    # (beta / alpha = 300, x = 2, t_x = 0.5, T = 40: ln_gap by scipy's quad).
    r, alpha, s, beta, x, t_x, big_t = 1.0, 1.0, 0.8, 300.0, 2, 0.5, 40.0
    integral = quad(
        lambda u: (alpha + u) ** -(r + x) * (beta + u) ** -(s + 1),
        t_x,
        big_t,
        epsabs=0,
        epsrel=1e-13,
    )[0]
    alive = 1 / (1 + s * (alpha + big_t) ** (r + x) * (beta + big_t) ** s * integral)
    far = dict(model="pareto_nbd", fit_status="fitted", r=r, alpha=alpha, s=s, beta=beta)
    gap = f"crm_clv_pareto_ln_gap('null', 'null', '{math.log(integral)!r}')"
    cases["p_alive_pareto_integrated"] = (f"crm_clv_p_alive('2', '0.5', '40.0', {gap})", far, alive)
    # BG/NBD and MBG/NBD: expected = P(alive) x the series factor; given the factor the
    # macro multiplies, the product must be scipy's closed form.
    for name, params, modified in (("bgnbd", BG, False), ("mbgnbd", MBG, True)):
        alive, expected = _bgnbd_expected(0.8, 5.0, 0.6, 2.5, 3, 12.0, 30.0, 52.0, modified)
        cases[f"p_alive_{name}"] = ("crm_clv_p_alive('3', '12.0', '30.0')", params, alive)
        factor = expected / alive
        literals = f"'{float(alive)!r}', '{float(factor)!r}'"
        cases[f"expected_{name}"] = (
            f"crm_clv_expected_purchases('3', '30.0', '52.0', {literals})",
            params,
            expected,
        )
    # Order value: Gamma-Gamma x = 2, m_x = 30, p = 2, q = 3, gamma = 10: (10 + 60) * 2 /
    # (4 + 3 - 1) = 70/3; x = 0: p gamma / (q - 1) = 10; q <= 1: no mean.
    gg = dict(p=2, q=3, gamma=10)
    cases["value_gg"] = ("crm_clv_expected_order_value('2', '30.0', \"'fitted'\")", gg, 70 / 3)
    cases["value_gg_one_time"] = (
        "crm_clv_expected_order_value('0', 'null', \"'fitted'\")",
        gg,
        10.0,
    )
    cases["value_gg_no_mean"] = (
        "crm_clv_expected_order_value('0', 'null', \"'fitted'\")",
        dict(p=2, q=1, gamma=10),
        None,
    )
    # q <= 1: a repeat buyer's posterior mean still exists while p x + q > 1: x = 2, m_x =
    # 30, p = 2, q = 0.5, gamma = 10: (10 + 60) * 2 / (4 + 0.5 - 1) = 40.
    cases["value_gg_repeat_without_a_population_mean"] = (
        "crm_clv_expected_order_value('2', '30.0', \"'fitted'\")",
        dict(p=2, q=0.5, gamma=10),
        40.0,
    )
    same_rate = dict(p=4, spend_rate=0.05)
    status = "\"'limit_no_spend_heterogeneity'\""
    cases["value_same_rate"] = (
        f"crm_clv_expected_order_value('2', '30.0', {status})",
        same_rate,
        80.0,
    )
    no_var = dict(q=3, spend_scale=50)
    status = "\"'limit_no_spend_variation'\""
    cases["value_no_variation"] = (
        f"crm_clv_expected_order_value('2', '30.0', {status})",
        no_var,
        30.0,
    )
    cases["value_no_variation_one_time"] = (
        f"crm_clv_expected_order_value('0', 'null', {status})",
        no_var,
        25.0,
    )
    constant = dict(constant_value=100)
    status = "\"'limit_constant_spend'\""
    cases["value_constant"] = (
        f"crm_clv_expected_order_value('5', '100.0', {status})",
        constant,
        100.0,
    )
    return cases


CASES = _cases()


@pytest.fixture(scope="module")
def shown(tmp_path_factory) -> dict:
    work = tmp_path_factory.mktemp("clv_macros")
    selects = [
        f"select '{name}' as name, cast({{{{ {macro} }}}} as double) as value "
        f"from {_params(**params)}"
        for name, (macro, params, _) in CASES.items()
    ]
    sql = " union all ".join(selects)
    run = run_dbt(
        ["show", "--inline", sql, "--limit", "-1", "--output", "json", "--log-format", "json"],
        work,
    )
    assert run.returncode == 0, run.output[-3000:]
    for line in run.output.splitlines():
        if '"ShowNode"' in line:
            rows = json.loads(json.loads(line)["data"]["preview"])
            return {row["name"]: row["value"] for row in rows}
    raise AssertionError(run.output[-3000:])


@pytest.mark.parametrize("name", list(CASES))
def test_each_closed_form_matches_its_expected_value(shown, name):
    expected = CASES[name][2]
    if expected is None:
        assert shown[name] is None
    else:
        assert shown[name] == pytest.approx(expected, rel=1e-10)
