"""Independent reference of the CLV rules (VALUE_MODEL.md, "Probabilistic purchase
potential and churn"), written from the spec, not from the SQL.

From the staging customers and orders (the conventions of reference_value_model.py) it
derives each customer's inputs in Python (purchase days, x, t_x, T, m_x), fits the two
models with the project's fitting code (whose yardstick is the published CDNOW fit), and
scores every customer with the untransformed closed forms and scipy's hypergeometric
function, which the SQL does not use.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

import numpy as np
from reference_value_model import Customer, Order
from scipy.special import hyp2f1

from crm_value.clv import fit_order_value, fit_purchases


def _day(value: dt.datetime | dt.date) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def scores(
    params: dict[str, float],
    x: np.ndarray,
    t_x: np.ndarray,
    big_t: np.ndarray,
    m_x: np.ndarray,
    horizon: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """P(alive), expected purchases over `horizon` (time units) and expected order value,
    from the untransformed closed forms and scipy's hyp2f1."""
    r, alpha, a, b = (params[k] for k in ("r", "alpha", "a", "b"))
    p, q, gamma = (params[k] for k in ("p", "q", "gamma"))
    with np.errstate(divide="ignore"):
        odds = np.where(x > 0, a / (b + x - 1) * ((alpha + big_t) / (alpha + t_x)) ** (r + x), 0)
    p_alive = 1 / (1 + odds)
    z = horizon / (alpha + big_t + horizon)
    expected = (
        (a + b + x - 1)
        / (a - 1)
        * (1 - (1 - z) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1, z))
        * p_alive
    )
    value = np.where(x > 0, (gamma + m_x * x) * p / (p * x + q - 1), p * gamma / (q - 1))
    return p_alive, expected, value


def compute_clv(
    customers: Iterable[Customer],
    orders: Iterable[Order],
    as_of_date: dt.date,
    time_unit_days: int = 7,
    horizon_days: int = 365,
    margin_rate: float = 1.0,
) -> dict:
    """{"parameters": {...}, "customers": {customer_id: {...}}} for the in-scope buyers."""
    in_scope = {c for c, created in customers if created is not None and _day(created) < as_of_date}
    days: dict[str, dict[dt.date, float]] = defaultdict(lambda: defaultdict(float))
    for customer, ordered_at, status, amount, _ in orders:
        day = _day(ordered_at)
        if status == "completed" and customer in in_scope and day < as_of_date:
            days[customer][day] += float(amount)
    ids = sorted(days)
    end = as_of_date - dt.timedelta(days=1)
    x, t_x, big_t, m_x = [], [], [], []
    for customer in ids:
        dates = sorted(days[customer])
        repeat = [days[customer][d] for d in dates[1:]]
        x.append(len(dates) - 1)
        t_x.append((dates[-1] - dates[0]).days / time_unit_days)
        big_t.append((end - dates[0]).days / time_unit_days)
        m_x.append(sum(repeat) / len(repeat) if repeat else 0.0)
    x, t_x, big_t, m_x = (np.array(v, dtype=float) for v in (x, t_x, big_t, m_x))
    bgnbd, gamma_gamma = fit_purchases("bgnbd", x, t_x, big_t), fit_order_value(x, m_x)
    assert (bgnbd.status, gamma_gamma.status) == ("fitted", "fitted"), (bgnbd, gamma_gamma)
    params = {**bgnbd.params, **gamma_gamma.params}
    p_alive, expected, value = scores(params, x, t_x, big_t, m_x, horizon_days / time_unit_days)
    return {
        "parameters": params,
        "customers": {
            customer: {
                "repeat_purchases": int(x[i]),
                "recency_units": t_x[i],
                "age_units": big_t[i],
                "p_alive": p_alive[i],
                "expected_purchases": expected[i],
                "expected_order_value": value[i],
                "clv": expected[i] * value[i] * margin_rate,
            }
            for i, customer in enumerate(ids)
        },
    }
