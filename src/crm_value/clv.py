"""Maximum-likelihood fits of the BG/NBD and Gamma-Gamma models (Fader, Hardie & Lee 2005).

The dbt Python model `clv_model_parameters` calls `fit_bgnbd` and `fit_gamma_gamma` on the
per-customer inputs (`int_customers_clv_inputs`) and stores the parameters; every score
(P(alive), expected purchases, expected order value, CLV) is then plain SQL over them, so
any engine can score customers. Only the fit needs numpy and scipy.

Inputs, per customer, in the model's time unit (weeks by default):
- `x`: repeat purchases (purchase days after the first),
- `t_x`: time of the last purchase since the first,
- `T`: time from the first purchase to the end of the period,
- `m_x`: mean value of the repeat purchase days (Gamma-Gamma, customers with x > 0).

Both fits optimise the log-likelihood over the logarithms of the parameters (so they stay
positive) with L-BFGS-B, from several starting points, on the distinct input rows weighted
by how many customers share them. A fit that does not converge raises `FitError`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import digamma, gammaln

# Convergence: the optimiser must report success and the gradient of the mean
# log-likelihood (in log-parameters) must be this small.
GRADIENT_TOLERANCE = 1e-4


class FitError(RuntimeError):
    """A model could not be fitted; the message says which and why."""


@dataclass(frozen=True)
class Fit:
    """Fitted parameters (by name), the total log-likelihood and the customers fitted."""

    params: dict[str, float]
    log_likelihood: float
    n_customers: int
    iterations: int


def _of_x(function, x: np.ndarray, groups, scale: float = 1.0, shift: float = 0.0):
    """function(scale * x + shift), computed once per distinct x when `groups`
    (distinct values, inverse indices) is given: x takes few values, customers many."""
    if groups is None:
        return function(scale * x + shift)
    values, inverse = groups
    return function(scale * values + shift)[inverse]


def _collapse(*columns: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """The distinct rows of the given columns and how many times each occurs."""
    stacked = np.column_stack([np.asarray(c, dtype=float) for c in columns])
    unique, counts = np.unique(stacked, axis=0, return_counts=True)
    return [unique[:, i] for i in range(unique.shape[1])], counts.astype(float)


def _bgnbd_ln_a3_a4(
    params: np.ndarray, x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The logarithms of the likelihood's two last factors: A3 = (alpha + T)^-(r + x) and
    A4 = a / (b + x - 1) (alpha + t_x)^-(r + x), the latter only for x > 0 (else -inf)."""
    r, alpha, a, b = params
    ln_a3 = -(r + x) * np.log(alpha + big_t)
    with np.errstate(divide="ignore", invalid="ignore"):
        ln_a4 = np.where(
            x > 0,
            np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + t_x),
            -np.inf,
        )
    return ln_a3, ln_a4


def bgnbd_log_likelihood(
    params: np.ndarray, x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray, groups=None
) -> np.ndarray:
    """Per-customer BG/NBD log-likelihood for params (r, alpha, a, b)."""
    r, alpha, a, b = params
    ln_a1 = _of_x(gammaln, x, groups, shift=r) - gammaln(r) + r * np.log(alpha)
    ln_a2 = (
        gammaln(a + b)
        + _of_x(gammaln, x, groups, shift=b)
        - gammaln(b)
        - _of_x(gammaln, x, groups, shift=a + b)
    )
    ln_a3, ln_a4 = _bgnbd_ln_a3_a4(params, x, t_x, big_t)
    return ln_a1 + ln_a2 + np.logaddexp(ln_a3, ln_a4)


def bgnbd_gradient(
    params: np.ndarray, x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray, groups=None
) -> np.ndarray:
    """Per-customer gradient of the BG/NBD log-likelihood in (r, alpha, a, b): one row
    per customer, one column per parameter."""
    r, alpha, a, b = params
    ln_a3, ln_a4 = _bgnbd_ln_a3_a4(params, x, t_x, big_t)
    with np.errstate(divide="ignore", invalid="ignore"):
        w4 = np.exp(ln_a4 - np.logaddexp(ln_a3, ln_a4))  # the A4 share of A3 + A4
        inv_b = np.where(x > 0, 1 / np.maximum(b + x - 1, 1e-300), 0.0)
    w3 = 1 - w4
    d_r = (
        _of_x(digamma, x, groups, shift=r)
        - digamma(r)
        + np.log(alpha)
        - w3 * np.log(alpha + big_t)
        - w4 * np.log(alpha + t_x)
    )
    d_alpha = r / alpha - (r + x) * (w3 / (alpha + big_t) + w4 / (alpha + t_x))
    psi_abx = _of_x(digamma, x, groups, shift=a + b)
    d_a = digamma(a + b) - psi_abx + w4 / a
    d_b = digamma(a + b) + _of_x(digamma, x, groups, shift=b) - digamma(b) - psi_abx - w4 * inv_b
    return np.column_stack([d_r, d_alpha, d_a, d_b])


def gamma_gamma_gradient(
    params: np.ndarray, x: np.ndarray, m_x: np.ndarray, groups=None
) -> np.ndarray:
    """Per-customer gradient of the Gamma-Gamma log-likelihood in (p, q, gamma)."""
    p, q, gamma = params
    px = p * x
    spend = gamma + m_x * x
    psi_pxq = _of_x(digamma, x, groups, scale=p, shift=q)
    psi_px = _of_x(digamma, x, groups, scale=p)
    d_p = x * (psi_pxq - psi_px + np.log(m_x) + np.log(x) - np.log(spend))
    d_q = psi_pxq - digamma(q) + np.log(gamma) - np.log(spend)
    d_gamma = q / gamma - (px + q) / spend
    return np.column_stack([d_p, d_q, d_gamma])


def gamma_gamma_log_likelihood(
    params: np.ndarray, x: np.ndarray, m_x: np.ndarray, groups=None
) -> np.ndarray:
    """Per-customer Gamma-Gamma log-likelihood for params (p, q, gamma), customers x > 0."""
    p, q, gamma = params
    px = p * x
    return (
        _of_x(gammaln, x, groups, scale=p, shift=q)
        - _of_x(gammaln, x, groups, scale=p)
        - gammaln(q)
        + q * np.log(gamma)
        + (px - 1) * np.log(m_x)
        + px * np.log(x)
        - (px + q) * np.log(gamma + m_x * x)
    )


# A parameter outside these bounds means the optimiser ran off to a boundary: the data
# cannot identify the model, whatever the optimiser reports.
PARAMETER_BOUNDS = (1e-8, 1e8)


def _fit(name, names, log_likelihood, gradient, columns, starts, max_iterations) -> Fit:
    """Maximise the weighted log-likelihood over log-parameters from several starts, with
    the analytic gradient (chain rule: d/d log(theta) = theta * d/d theta)."""
    values, weights = _collapse(*columns)
    total = weights.sum()
    if total == 0:
        raise FitError(f"{name}: no customers to fit")
    distinct_x, inverse = np.unique(values[0], return_inverse=True)
    groups = (distinct_x, inverse.ravel())

    def objective(log_params: np.ndarray) -> float:
        ll = log_likelihood(np.exp(log_params), *values, groups=groups)
        value = -(weights * ll).sum() / total
        return value if np.isfinite(value) else 1e100

    def mean_gradient(log_params: np.ndarray) -> np.ndarray:
        params = np.exp(log_params)
        return -(weights @ gradient(params, *values, groups=groups)) / total * params

    def objective_and_gradient(log_params: np.ndarray) -> tuple[float, np.ndarray]:
        grad = mean_gradient(log_params)
        if not np.all(np.isfinite(grad)):
            grad = np.zeros_like(grad)
        return objective(log_params), grad

    best = None
    for start in starts:
        if best is not None and best.success:
            break  # the other starting points are for a fit that fails from the first
        result = minimize(
            objective_and_gradient,
            np.log(start),
            jac=True,
            method="L-BFGS-B",
            options={"maxiter": max_iterations, "ftol": 1e-13, "gtol": 1e-9},
        )
        # The best successful run; a failed one only when none succeeded.
        if not np.isfinite(result.fun):
            continue
        if best is None or (result.success, -result.fun) > (best.success, -best.fun):
            best = result
    if best is None or not best.success:
        message = best.message if best is not None else "no finite likelihood"
        raise FitError(f"{name}: the maximum-likelihood fit did not converge ({message})")
    slope = np.max(np.abs(mean_gradient(best.x)))
    if not slope <= GRADIENT_TOLERANCE:
        raise FitError(f"{name}: the fit stopped away from a maximum (gradient {slope:.2g})")
    params = dict(zip(names, (float(v) for v in np.exp(best.x)), strict=True))
    low, high = PARAMETER_BOUNDS
    off = {k: v for k, v in params.items() if not low <= v <= high}
    if off:
        raise FitError(
            f"{name}: the fit ran off to a boundary ({off}); the data cannot identify it"
        )
    return Fit(params, float(-best.fun * total), int(total), int(best.nit))


def fit_bgnbd(x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray, max_iterations: int = 2000) -> Fit:
    """Fit BG/NBD (r, alpha, a, b) to every customer's (x, t_x, T)."""
    x, t_x, big_t = (np.asarray(v, dtype=float) for v in (x, t_x, big_t))
    if x.size == 0:
        raise FitError("BG/NBD: no customers to fit")
    if not (x > 0).any():
        raise FitError("BG/NBD: no customer made a repeat purchase; the model cannot be fitted")
    scale = max(float(np.mean(big_t)), 1e-9)
    starts = [(1.0, scale, 1.0, 1.0), (0.5, scale / 2, 0.5, 2.0), (2.0, scale * 2, 2.0, 0.5)]
    names = ("r", "alpha", "a", "b")
    return _fit(
        "BG/NBD",
        names,
        bgnbd_log_likelihood,
        bgnbd_gradient,
        (x, t_x, big_t),
        starts,
        max_iterations,
    )


def fit_gamma_gamma(x: np.ndarray, m_x: np.ndarray, max_iterations: int = 2000) -> Fit:
    """Fit Gamma-Gamma (p, q, gamma) to the customers with repeat purchases (x > 0)."""
    x, m_x = np.asarray(x, dtype=float), np.asarray(m_x, dtype=float)
    # The model needs positive values: a repeat buyer whose repeat days all came to 0 is
    # left out (gamma_gamma_customers counts who was fitted).
    keep = (x > 0) & (m_x > 0)
    if not keep.any():
        raise FitError("Gamma-Gamma: no customers to fit (none with a repeat purchase)")
    mean = max(float(np.mean(m_x[keep])) if keep.any() else 1.0, 1e-9)
    starts = [(1.0, 1.0, mean), (5.0, 3.0, mean), (2.0, 5.0, mean * 5)]
    return _fit(
        "Gamma-Gamma",
        ("p", "q", "gamma"),
        gamma_gamma_log_likelihood,
        gamma_gamma_gradient,
        (x[keep], m_x[keep]),
        starts,
        max_iterations,
    )
