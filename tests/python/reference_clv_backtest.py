"""Independent Python reference of the CLV backtest, written from the published papers.

It does not read the project's SQL or its fitting code (src/crm_value/clv.py): the
likelihoods, the fits and the predictions are written here from

- BG/NBD: Fader, Hardie & Lee (2005), "Counting your customers the easy way";
- MBG/NBD: Batislam, Denizel & Filiztekin (2007), a dropout opportunity after every
  purchase, the first one included;
- Pareto/NBD: Schmittlein, Morrison & Colombo (1987), in the formulation of Fader, Hardie
  & Lee (2005), "A note on implementing the Pareto/NBD model in MATLAB", and Fader &
  Hardie, "Pareto/NBD derivations" (P(alive), conditional expectation);
- Gamma-Gamma: Fader, Hardie & Lee (2005), "RFM and CLV: using iso-value curves".

Data conventions (the marts'): purchases are purchase DAYS (the transactions of a customer
on one date are one purchase worth their summed amount), only transactions dated before
`as_of_date` count; calibration_end = as_of_date - holdout_days; a calibration customer has
created < calibration_end and first purchase < calibration_end; in time units of
`time_unit_days`: x = calibration purchase days - 1, t_x = last - first,
T = calibration_end - 1 day - first, m_x = mean value of the calibration purchase days
after the first; the holdout is [calibration_end, as_of_date).

Fits maximise the log-likelihood over log-parameters: L-BFGS-B from two starting points,
then a Nelder-Mead polish (xatol 1e-12), then Newton steps on a finite-difference Hessian,
keeping the best point. `gradient` gives the gradient of the mean log-likelihood in
log-parameters at a fitted point (a convergence check).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping

import numpy as np
from scipy import optimize
from scipy.special import betaln, expit, gammaln, hyp2f1

PARAMETERS = {
    "bgnbd": ("r", "alpha", "a", "b"),
    "mbgnbd": ("r", "alpha", "a", "b"),
    "pareto_nbd": ("r", "alpha", "s", "beta"),
    "gamma_gamma": ("p", "q", "gamma"),
}
PURCHASE_MODELS = ("bgnbd", "mbgnbd", "pareto_nbd")
BUCKETS = ("0", "1", "2", "3", "4", "5", "6", "7+", "all")


# --------------------------------------------------------------------------------------
# Data: purchase days, calibration inputs, holdout actuals
# --------------------------------------------------------------------------------------


def _day(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def purchase_days(transactions: Iterable, as_of_date: dt.date) -> dict:
    """{customer_id: {date: summed amount}} for the transactions dated before as_of_date."""
    as_of_date = _day(as_of_date)
    days: dict = defaultdict(lambda: defaultdict(float))
    for customer, date, amount in transactions:
        day = _day(date)
        if day < as_of_date:
            days[customer][day] += float(amount)
    return {customer: dict(by_day) for customer, by_day in days.items()}


def _calibration_from_days(
    days: Mapping,
    as_of_date: dt.date,
    holdout_days: int,
    time_unit_days: float,
    created: Mapping | None,
) -> dict:
    if holdout_days < 0:
        raise ValueError("holdout_days must be >= 0")
    if time_unit_days <= 0:
        raise ValueError("time_unit_days must be > 0")
    as_of_date = _day(as_of_date)
    calibration_end = as_of_date - dt.timedelta(days=holdout_days)
    last_calibration_day = calibration_end - dt.timedelta(days=1)
    out = {}
    for customer in sorted(days):
        by_day = days[customer]
        dates = sorted(by_day)
        first = dates[0]
        opened = first if created is None else created.get(customer, first)
        # A customer with an unknown (None) opening date is not a calibration customer,
        # as a SQL comparison with NULL is not true.
        if opened is None or not (_day(opened) < calibration_end and first < calibration_end):
            continue
        calibration = [d for d in dates if d < calibration_end]
        holdout = [d for d in dates if calibration_end <= d < as_of_date]
        x = len(calibration) - 1
        out[customer] = {
            "x": x,
            "t_x": (calibration[-1] - first).days / time_unit_days,
            "T": (last_calibration_day - first).days / time_unit_days,
            "m_x": (sum(by_day[d] for d in calibration[1:]) / x) if x > 0 else None,
            "first_date": first,
            "actual_purchases": len(holdout),
            "actual_order_value": (
                sum(by_day[d] for d in holdout) / len(holdout) if holdout else None
            ),
        }
    return out


def calibration_inputs(
    transactions: Iterable,
    as_of_date: dt.date,
    holdout_days: int = 273,
    time_unit_days: float = 7,
    created: Mapping | None = None,
) -> dict:
    """{customer_id: {"x", "t_x", "T", "m_x", "first_date", "actual_purchases",
    "actual_order_value"}} for the calibration customers.

    `created` maps customer_id to the file-opening date; a customer missing from it (or
    no mapping at all) opens on the first purchase date; a None date excludes the customer.
    holdout_days = 0 is allowed: calibration_end = as_of_date, no holdout.
    """
    days = purchase_days(transactions, as_of_date)
    return _calibration_from_days(days, as_of_date, holdout_days, time_unit_days, created)


# --------------------------------------------------------------------------------------
# Likelihoods (per customer, natural log)
# --------------------------------------------------------------------------------------


def _arrays(*columns):
    return tuple(np.asarray(c, dtype=float) for c in columns)


def bgnbd_log_likelihood(params, x, t_x, big_t) -> np.ndarray:
    """FHL (2005) eq. 6: L = B(a, b+x)/B(a, b) G(r+x) alpha^r / G(r)
    [(alpha+T)^-(r+x) + [x>0] a/(b+x-1) (alpha+t_x)^-(r+x)]."""
    r, alpha, a, b = params
    x, t_x, big_t = _arrays(x, t_x, big_t)
    head = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + betaln(a, b + x) - betaln(a, b)
    alive = -(r + x) * np.log(alpha + big_t)
    with np.errstate(divide="ignore", invalid="ignore"):
        dropped = np.where(
            x > 0,
            np.log(a) - np.log(np.where(x > 0, b + x - 1, 1.0)) - (r + x) * np.log(alpha + t_x),
            -np.inf,
        )
    return head + np.logaddexp(alive, dropped)


def mbgnbd_log_likelihood(params, x, t_x, big_t) -> np.ndarray:
    """Batislam et al. (2007): L = G(r+x) alpha^r / G(r) B(a, b+x+1)/B(a, b)
    (alpha+T)^-(r+x) [1 + a/(b+x) ((alpha+T)/(alpha+t_x))^(r+x)], for every x."""
    r, alpha, a, b = params
    x, t_x, big_t = _arrays(x, t_x, big_t)
    head = (
        gammaln(r + x)
        - gammaln(r)
        + r * np.log(alpha)
        + betaln(a, b + x + 1)
        - betaln(a, b)
        - (r + x) * np.log(alpha + big_t)
    )
    log_odds = np.log(a) - np.log(b + x) + (r + x) * (np.log(alpha + big_t) - np.log(alpha + t_x))
    return head + np.logaddexp(0.0, log_odds)


def _pareto_log_a0(params, x, t_x, big_t) -> np.ndarray:
    """log A0 of FHL's MATLAB note (2005), eq. 19-20:
    alpha >= beta: A0 = F(t_x) - F(T), F(u) = 2F1(r+s+x, s+1; r+s+x+1; (alpha-beta)/(alpha+u))
        / (alpha+u)^(r+s+x);
    alpha < beta:  F(u) = 2F1(r+s+x, r+x; r+s+x+1; (beta-alpha)/(beta+u)) / (beta+u)^(r+s+x).
    -inf when t_x == T (A0 = 0)."""
    r, alpha, s, beta = params
    x, t_x, big_t = _arrays(x, t_x, big_t)
    rsx = r + s + x
    if alpha >= beta:
        second, base, gap = s + 1.0, alpha, alpha - beta
    else:
        second, base, gap = r + x, beta, beta - alpha

    def log_f(u):
        return np.log(hyp2f1(rsx, second, rsx + 1.0, gap / (base + u))) - rsx * np.log(base + u)

    upper, lower = log_f(t_x), log_f(big_t)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(big_t > t_x, upper + np.log(-np.expm1(lower - upper)), -np.inf)


def pareto_nbd_log_likelihood(params, x, t_x, big_t) -> np.ndarray:
    """FHL MATLAB note eq. 18: L = G(r+x) alpha^r beta^s / G(r)
    [1/((alpha+T)^(r+x) (beta+T)^s) + s/(r+s+x) A0]."""
    r, alpha, s, beta = params
    x, t_x, big_t = _arrays(x, t_x, big_t)
    head = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    alive = -(r + x) * np.log(alpha + big_t) - s * np.log(beta + big_t)
    dead = np.log(s) - np.log(r + s + x) + _pareto_log_a0(params, x, t_x, big_t)
    return head + np.logaddexp(alive, dead)


def gamma_gamma_log_likelihood(params, x, m_x) -> np.ndarray:
    """FHL (2005, iso-value), density of the mean m_x of x purchases:
    G(px+q)/(G(px) G(q)) gamma^q m_x^(px-1) x^(px) / (gamma + m_x x)^(px+q)."""
    p, q, gamma = params
    x, m_x = _arrays(x, m_x)
    px = p * x
    return (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(gamma)
        + (px - 1) * np.log(m_x)
        + px * np.log(x)
        - (px + q) * np.log(gamma + m_x * x)
    )


_LOG_LIKELIHOODS = {
    "bgnbd": bgnbd_log_likelihood,
    "mbgnbd": mbgnbd_log_likelihood,
    "pareto_nbd": pareto_nbd_log_likelihood,
    "gamma_gamma": gamma_gamma_log_likelihood,
}


def log_likelihood(model: str, params: Mapping, *columns) -> np.ndarray:
    """Per-customer log-likelihood; columns are (x, t_x, T), or (x, m_x) for Gamma-Gamma."""
    return _LOG_LIKELIHOODS[model](tuple(float(params[k]) for k in PARAMETERS[model]), *columns)


# --------------------------------------------------------------------------------------
# Fitting
# --------------------------------------------------------------------------------------


def _rows(inputs) -> list[Mapping]:
    return list(inputs.values()) if isinstance(inputs, Mapping) else list(inputs)


def _fit_data(model: str, inputs) -> tuple[tuple[np.ndarray, ...], np.ndarray]:
    """The model's columns with identical rows collapsed, and the row weights."""
    if model not in PARAMETERS:
        raise ValueError(f"unknown model {model!r}")
    rows = _rows(inputs)
    if model == "gamma_gamma":
        table = [
            (r["x"], r["m_x"]) for r in rows if r["x"] > 0 and r["m_x"] is not None and r["m_x"] > 0
        ]
    else:
        table = [(r["x"], r["t_x"], r["T"]) for r in rows]
    if not table:
        raise ValueError(f"{model}: no customers to fit")
    unique, counts = np.unique(np.asarray(table, dtype=float), axis=0, return_counts=True)
    return tuple(unique.T), counts.astype(float)


def _objective(model: str, columns, weights):
    """Negative mean log-likelihood of log-parameters."""
    function = _LOG_LIKELIHOODS[model]
    total = weights.sum()

    def negative_mean(theta):
        with np.errstate(all="ignore"):
            params = tuple(np.exp(theta))
            value = -(weights * function(params, *columns)).sum() / total
        return float(value) if np.isfinite(value) else 1e300

    return negative_mean


def _central_gradient(f, theta, step=1e-3):
    """Central differences at step and step/2, Richardson-extrapolated (error O(step^4)):
    about 1e-12 on a mean log-likelihood of order 1."""

    def central(h):
        g = np.zeros_like(theta)
        for i in range(theta.size):
            e = np.zeros_like(theta)
            e[i] = h
            g[i] = (f(theta + e) - f(theta - e)) / (2 * h)
        return g

    return (4 * central(step / 2) - central(step)) / 3


def _central_hessian(f, theta, step=1e-3):
    n = theta.size
    h = np.zeros((n, n))
    f0 = f(theta)
    basis = np.eye(n) * step
    for i in range(n):
        h[i, i] = (f(theta + basis[i]) - 2 * f0 + f(theta - basis[i])) / step**2
        for j in range(i + 1, n):
            h[i, j] = h[j, i] = (
                f(theta + basis[i] + basis[j])
                - f(theta + basis[i] - basis[j])
                - f(theta - basis[i] + basis[j])
                + f(theta - basis[i] - basis[j])
            ) / (4 * step**2)
    return h


def _newton_polish(f, theta, value, steps=8):
    """Newton steps on finite-difference derivatives; a step is kept when it lowers the
    objective or (at the level of rounding noise in the objective) the gradient."""
    g = _central_gradient(f, theta)
    for _ in range(steps):
        try:
            step = np.linalg.solve(_central_hessian(f, theta), g)
        except np.linalg.LinAlgError:
            break
        candidate = theta - step
        candidate_value = f(candidate)
        candidate_g = _central_gradient(f, candidate)
        improves = candidate_value < value - 1e-13 or (
            candidate_value <= value + 1e-13 and np.linalg.norm(candidate_g) < np.linalg.norm(g)
        )
        if not improves:
            break
        theta, value, g = candidate, candidate_value, candidate_g
        if np.max(np.abs(step)) < 1e-12:
            break
    return theta, value


def _starts(model: str, columns) -> list[np.ndarray]:
    if model == "gamma_gamma":
        _, m_x = columns
        return [np.log([1.0, 1.0, 1.0]), np.log([5.0, 3.0, float(np.mean(m_x))])]
    scale = max(float(np.mean(columns[2])), 1e-3)
    if model == "pareto_nbd":
        return [np.zeros(4), np.log([0.5, scale, 0.5, scale])]
    return [np.zeros(4), np.log([0.5, scale, 0.8, 2.5])]


def _optimise(model: str, columns, weights) -> np.ndarray:
    f = _objective(model, columns, weights)
    best_theta, best_value = None, math.inf
    for start in _starts(model, columns):
        result = optimize.minimize(
            f,
            start,
            method="L-BFGS-B",
            bounds=[(-20.0, 20.0)] * start.size,
            options={"maxiter": 20000, "maxfun": 200000, "ftol": 1e-15, "gtol": 1e-11},
        )
        theta, value = result.x, result.fun
        polished = optimize.minimize(
            f,
            theta,
            method="Nelder-Mead",
            options={"xatol": 1e-12, "fatol": 1e-15, "maxiter": 40000, "maxfev": 80000},
        )
        if polished.fun <= value:
            theta, value = polished.x, polished.fun
        theta, value = _newton_polish(f, theta, value)
        if value < best_value:
            best_theta, best_value = theta, value
    if best_theta is None or not best_value < 1e299:
        raise ValueError(f"{model}: the fit found no finite likelihood")
    # The reference covers interior optima only (no limit cases): a parameter running off
    # to 0 or infinity, or a flat direction, means the data do not identify the model.
    eigenvalues = np.linalg.eigvalsh(_central_hessian(f, best_theta))
    if np.max(np.abs(best_theta)) > 18 or not eigenvalues[0] > 1e-9 * eigenvalues[-1]:
        raise ValueError(
            f"{model}: the data do not identify the parameters "
            f"(log-parameters {np.round(best_theta, 3).tolist()})"
        )
    return best_theta


def fit(model: str, inputs) -> dict:
    """Maximum-likelihood parameters of `model` ("bgnbd", "mbgnbd", "pareto_nbd",
    "gamma_gamma") on calibration inputs (a calibration_inputs() mapping or an iterable of
    its rows), plus "log_likelihood" (summed over customers). Gamma-Gamma uses the
    customers with x > 0 and m_x > 0. Raises ValueError when there is nobody to fit or the
    optimum is not interior (a parameter beyond e^+-18 or a flat direction)."""
    columns, weights = _fit_data(model, inputs)
    theta = _optimise(model, columns, weights)
    params = dict(zip(PARAMETERS[model], (float(v) for v in np.exp(theta)), strict=True))
    total = float((weights * log_likelihood(model, params, *columns)).sum())
    return {**params, "log_likelihood": total}


def gradient(model: str, inputs, params: Mapping, step: float = 1e-3) -> np.ndarray:
    """Richardson-extrapolated central-difference gradient of the mean log-likelihood with
    respect to the log-parameters at `params` (about 0 at a converged fit)."""
    columns, weights = _fit_data(model, inputs)
    f = _objective(model, columns, weights)
    theta = np.log([params[k] for k in PARAMETERS[model]])
    return -_central_gradient(f, theta, step)


def hessian(model: str, inputs, params: Mapping, step: float = 1e-3) -> np.ndarray:
    """Central-difference Hessian of the mean NEGATIVE log-likelihood in log-parameters."""
    columns, weights = _fit_data(model, inputs)
    f = _objective(model, columns, weights)
    return _central_hessian(f, np.log([params[k] for k in PARAMETERS[model]]), step)


# --------------------------------------------------------------------------------------
# Predictions (untransformed closed forms, scipy's hyp2f1)
# --------------------------------------------------------------------------------------


def _purchase_params(model: str, params: Mapping) -> tuple[float, ...]:
    if model not in PURCHASE_MODELS:
        raise ValueError(f"unknown purchase model {model!r}")
    return tuple(float(params[k]) for k in PARAMETERS[model])


def p_alive(model: str, params: Mapping, x, t_x, big_t) -> np.ndarray:
    """P(alive at T | x, t_x, T)."""
    x, t_x, big_t = _arrays(x, t_x, big_t)
    if model == "bgnbd":
        r, alpha, a, b = _purchase_params(model, params)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_odds = (
                np.log(a) - np.log(b + x - 1) + (r + x) * np.log((alpha + big_t) / (alpha + t_x))
            )
        return np.where(x > 0, expit(-log_odds), 1.0)
    if model == "mbgnbd":
        r, alpha, a, b = _purchase_params(model, params)
        log_odds = np.log(a) - np.log(b + x) + (r + x) * np.log((alpha + big_t) / (alpha + t_x))
        return expit(-log_odds)
    r, alpha, s, beta = _purchase_params(model, params)
    # Fader & Hardie: P(alive) = 1 / (1 + s/(r+s+x) (alpha+T)^(r+x) (beta+T)^s A0).
    log_odds = (
        np.log(s)
        - np.log(r + s + x)
        + (r + x) * np.log(alpha + big_t)
        + s * np.log(beta + big_t)
        + _pareto_log_a0((r, alpha, s, beta), x, t_x, big_t)
    )
    return expit(-log_odds)


def conditional_expected_purchases(model: str, params: Mapping, t, x, t_x, big_t) -> np.ndarray:
    """E[Y(t) | x, t_x, T]: expected purchases in (T, T + t]."""
    t, x, t_x, big_t = _arrays(t, x, t_x, big_t)
    alive = p_alive(model, params, x, t_x, big_t)
    if model == "bgnbd":
        r, alpha, a, b = _purchase_params(model, params)
        z = t / (alpha + big_t + t)
        bracket = 1 - ((alpha + big_t) / (alpha + big_t + t)) ** (r + x) * hyp2f1(
            r + x, b + x, a + b + x - 1, z
        )
        return (a + b + x - 1) / (a - 1) * bracket * alive
    if model == "mbgnbd":
        r, alpha, a, b = _purchase_params(model, params)
        z = t / (alpha + big_t + t)
        bracket = 1 - ((alpha + big_t) / (alpha + big_t + t)) ** (r + x) * hyp2f1(
            r + x, b + x + 1, a + b + x, z
        )
        return (a + b + x) / (a - 1) * bracket * alive
    r, alpha, s, beta = _purchase_params(model, params)
    bracket = 1 - ((beta + big_t) / (beta + big_t + t)) ** (s - 1)
    return (r + x) * (beta + big_t) / ((alpha + big_t) * (s - 1)) * bracket * alive


def unconditional_expected_purchases(model: str, params: Mapping, t) -> np.ndarray:
    """E[X(t)]: a new customer's expected repeat purchases within t of the first purchase."""
    (t,) = _arrays(t)
    if model == "bgnbd":
        r, alpha, a, b = _purchase_params(model, params)
        z = t / (alpha + t)
        return (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, z))
    if model == "mbgnbd":
        r, alpha, a, b = _purchase_params(model, params)
        z = t / (alpha + t)
        return b / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b + 1, a + b, z))
    r, alpha, s, beta = _purchase_params(model, params)
    return r * beta / (alpha * (s - 1)) * (1 - (beta / (beta + t)) ** (s - 1))


def expected_order_value(params: Mapping, x, m_x) -> np.ndarray:
    """Gamma-Gamma E[value of a purchase]: (gamma + m_x x) p / (p x + q - 1) for x > 0,
    p gamma / (q - 1) for x = 0 (m_x may be None or NaN then)."""
    p, q, gamma = (float(params[k]) for k in PARAMETERS["gamma_gamma"])
    x = np.asarray(x, dtype=float)
    m_x = np.array([np.nan if v is None else v for v in np.atleast_1d(m_x)], dtype=float)
    m_x = m_x.reshape(x.shape) if x.ndim else m_x[0]
    with np.errstate(invalid="ignore"):
        return np.where(x > 0, (gamma + m_x * x) * p / (p * x + q - 1), p * gamma / (q - 1))


# --------------------------------------------------------------------------------------
# Backtest
# --------------------------------------------------------------------------------------


def _mean(values):
    return sum(values) / len(values) if values else None


def _summary(rows: list[dict]) -> dict:
    predicted = [r["predicted_purchases"] for r in rows]
    actual = [r["actual_purchases"] for r in rows]
    errors = [p - a for p, a in zip(predicted, actual, strict=True)]
    buyers = [r for r in rows if r["actual_purchases"] > 0]
    value_predicted = [r["predicted_order_value"] for r in buyers]
    value_actual = [r["actual_order_value"] for r in buyers]
    sum_predicted, sum_actual = sum(predicted), sum(actual)
    sum_value_actual = sum(value_actual)
    return {
        "customers": len(rows),
        "predicted_purchases": float(sum_predicted),
        "actual_purchases": int(sum_actual),
        "mean_predicted_purchases": _mean(predicted),
        "mean_actual_purchases": _mean(actual),
        "relative_error": (sum_predicted - sum_actual) / sum_actual if sum_actual else None,
        "mae": _mean([abs(e) for e in errors]),
        "rmse": math.sqrt(_mean([e * e for e in errors])) if errors else None,
        "order_value_customers": len(buyers),
        "mean_predicted_order_value": _mean(value_predicted),
        "mean_actual_order_value": _mean(value_actual),
        "order_value_relative_error": (
            (sum(value_predicted) - sum_value_actual) / sum_value_actual
            if buyers and sum_value_actual
            else None
        ),
        "order_value_mae": _mean(
            [abs(p - a) for p, a in zip(value_predicted, value_actual, strict=True)]
        ),
    }


def _bucket(x: int) -> str:
    return str(x) if x < 7 else "7+"


def _tracking(
    model, params, days, inputs, calibration_end, as_of_date, time_unit_days
) -> list[dict]:
    firsts = np.array([row["first_date"].toordinal() for row in inputs.values()])
    repeats = np.sort(
        np.array(
            [
                d.toordinal()
                for customer, row in inputs.items()
                for d in days[customer]
                if d != row["first_date"]
            ],
            dtype=np.int64,
        )
    )
    end, as_of = calibration_end.toordinal(), as_of_date.toordinal()
    unit = int(time_unit_days)
    # The first k with end + k unit > the earliest first purchase, up to the first k with
    # end + k unit >= as_of_date, whose point is capped at as_of_date.
    k = (int(firsts.min()) - end) // unit + 1
    points = [end + k * unit]
    while points[-1] < as_of:
        points.append(end + len(points) * unit + k * unit)
    points[-1] = min(points[-1], as_of)
    out = []
    for point in points:
        started = firsts[firsts < point]
        ages = (point - 1 - started) / time_unit_days
        out.append(
            {
                "period_end_date": dt.date.fromordinal(point),
                "cumulative_actual_repeat_purchases": int(
                    np.searchsorted(repeats, point, side="left")
                ),
                "cumulative_predicted_repeat_purchases": float(
                    unconditional_expected_purchases(model, params, ages).sum()
                ),
            }
        )
    return out


def backtest(
    transactions: Iterable,
    as_of_date: dt.date,
    model: str = "bgnbd",
    holdout_days: int = 273,
    time_unit_days: float = 7,
    created: Mapping | None = None,
) -> dict:
    """Fit `model` and Gamma-Gamma on the calibration period, predict the holdout, compare."""
    if model not in PURCHASE_MODELS:
        raise ValueError(f"unknown purchase model {model!r}")
    if time_unit_days != int(time_unit_days):
        raise ValueError("backtest: time_unit_days must be a whole number of days")
    as_of_date = _day(as_of_date)
    days = purchase_days(transactions, as_of_date)
    inputs = _calibration_from_days(days, as_of_date, holdout_days, time_unit_days, created)
    if not inputs:
        raise ValueError("no calibration customers")
    calibration_end = as_of_date - dt.timedelta(days=holdout_days)
    parameters = fit(model, inputs)
    value_parameters = fit("gamma_gamma", inputs)

    ids = list(inputs)
    x = np.array([inputs[c]["x"] for c in ids], dtype=float)
    t_x = np.array([inputs[c]["t_x"] for c in ids], dtype=float)
    big_t = np.array([inputs[c]["T"] for c in ids], dtype=float)
    horizon = holdout_days / time_unit_days
    alive = p_alive(model, parameters, x, t_x, big_t)
    predicted = conditional_expected_purchases(model, parameters, horizon, x, t_x, big_t)
    value = expected_order_value(value_parameters, x, [inputs[c]["m_x"] for c in ids])

    customers = {}
    for i, customer in enumerate(ids):
        row = inputs[customer]
        customers[customer] = {
            "repeat_purchases": int(row["x"]),
            "recency_units": float(row["t_x"]),
            "age_units": float(row["T"]),
            "p_alive_at_calibration_end": float(alive[i]),
            "predicted_purchases": float(predicted[i]),
            "actual_purchases": int(row["actual_purchases"]),
            "predicted_order_value": float(value[i]),
            "actual_order_value": row["actual_order_value"],
        }
    grouped: dict[str, list[dict]] = {bucket: [] for bucket in BUCKETS}
    for row in customers.values():
        grouped[_bucket(row["repeat_purchases"])].append(row)
        grouped["all"].append(row)
    return {
        "calibration_end": calibration_end,
        "parameters": parameters,
        "order_value_parameters": value_parameters,
        "customers": customers,
        "summary": {bucket: _summary(rows) for bucket, rows in grouped.items()},
        "tracking": _tracking(
            model, parameters, days, inputs, calibration_end, as_of_date, time_unit_days
        ),
    }
