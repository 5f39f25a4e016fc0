"""Maximum-likelihood fits of the CLV models, with their limits as answers.

The dbt model `int_clv_models_fitted` calls (through `crm_value.clv_fit`, from SQL on
DuckDB and on Spark) `fit_purchase_models` (BG/NBD, MBG/NBD,
Pareto/NBD) and `fit_order_value` (Gamma-Gamma) on the per-customer inputs and stores the
parameters; every score (P(alive), expected purchases, expected order value, CLV) is then
plain SQL over them, so any engine can score customers. Only the fit needs numpy and scipy.

Inputs, per customer, in the model's time unit (weeks by default):
- `x`: repeat purchases (purchase days after the first),
- `t_x`: time of the last purchase since the first,
- `T`: time from the first purchase to the end of the period,
- `m_x`: mean value of the repeat purchase days (order value, customers with x > 0).

The models (likelihoods from the papers):
- BG/NBD (Fader, Hardie & Lee 2005): Poisson purchases at a gamma(r, alpha) rate; after
  each repeat purchase the customer drops out with probability p ~ beta(a, b).
- MBG/NBD (Batislam, Denizel & Filiztekin 2007): as BG/NBD, but a customer can also drop
  out right after the first purchase, so a one-time buyer is not certainly alive.
- Pareto/NBD (Schmittlein, Morrison & Colombo 1987): gamma(r, alpha) purchase rates and an
  exponential lifetime with a gamma(s, beta) dropout rate.
- Gamma-Gamma (Fader, Hardie & Lee 2005, "RFM and CLV"): a purchase day's value is
  gamma(p, nu) with nu ~ gamma(q, gamma) across customers.

Limits are answers, not errors. When the data puts a model on the edge of its parameter
space (nobody drops out; every customer spends alike), the maximum of the likelihood lies
at infinity and the model the data support is the limit, with fewer parameters:
- `limit_no_dropout`: the NBD model (purchases at gamma(r, alpha) rates, nobody drops out);
  every purchase model reaches it (a -> 0 or b -> infinity; s / beta -> 0);
- `limit_no_dropout_no_rate_heterogeneity`: the Poisson model (one purchase rate for all);
- `limit_no_spend_heterogeneity`: every customer's spend rate is the same (q -> infinity);
  a purchase day's value is gamma(p, nu) for all, so the expected value is the population's;
- `limit_no_spend_variation`: each customer spends the same on every purchase day
  (p -> infinity); the mean values follow an inverse gamma(q, g) across customers;
- `limit_constant_spend`: every purchase day of every customer has the same value;
- and, for BG/NBD and MBG/NBD, `limit_no_dropout_heterogeneity` (one dropout probability
  for all: a, b -> infinity), `limit_no_rate_heterogeneity` (one purchase rate for all:
  r, alpha -> infinity) and `limit_no_rate_or_dropout_heterogeneity` (both).
A fit that converges with every parameter far from 0 and infinity is the answer. Else the
model's limits are fitted too (each the same way: a small tree), the model is fitted again
from just off each of them, and the answer is the simplest of the candidates (the model,
if it converged inside its space, and its limits) whose mean log-likelihood per customer
is within `LIMIT_TOLERANCE` (1e-6) of the best: extra parameters must earn their keep.
Data that identify none of them (no repeat buyer; a boundary no limit covers; no
convergence) give `skipped: <why>`: never an exception.

Convergence is judged so that it depends neither on the number of customers nor on the
currency or the time unit: the data are rescaled (times by the mean T, money by the mean
m_x) before the fit, the objective is the mean log-likelihood per customer, and the
gradient test is on the logarithms of the parameters.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import OptimizeResult, minimize
from scipy.special import digamma, gammaln, hyp2f1

PURCHASE_MODELS = ("bgnbd", "mbgnbd", "pareto_nbd")
ORDER_VALUE_MODEL = "gamma_gamma"

# A converged fit has max |d mean log-likelihood / d log(parameter)| at most this.
GRADIENT_TOLERANCE = 1e-5
# The fit runs on the logarithms of the rescaled parameters, boxed to [-LOG_BOUND,
# LOG_BOUND]; a parameter within 1 of the box has run off towards 0 or infinity.
LOG_BOUND = 23.0
# Purchase-day values that differ by less than this relative spread are one constant.
CONSTANT_SPREAD = 1e-12

# How each parameter scales with the units: times (alpha, beta), money (gamma, g,
# constant_value), or their inverses (purchase_rate per time, spend_rate per money).
_TIME, _MONEY, _PER_TIME, _PER_MONEY = "time", "money", "per_time", "per_money"
_UNITS = {
    "alpha": _TIME,
    "beta": _TIME,
    "purchase_rate": _PER_TIME,
    "gamma": _MONEY,
    "spend_scale": _MONEY,
    "constant_value": _MONEY,
    "spend_rate": _PER_MONEY,
}


@dataclass(frozen=True)
class Fit:
    """One model's answer: its status, the parameters of the model that answers (the
    limit's own when at a limit), the total log-likelihood (None when not defined) and
    the customers fitted."""

    model: str
    status: str
    params: dict[str, float] = field(default_factory=dict)
    log_likelihood: float | None = None
    n_customers: int = 0
    iterations: int = 0

    @property
    def usable(self) -> bool:
        """True when the model gives scores: fitted, or at a limit."""
        return not self.status.startswith("skipped")


class _Data:
    """The distinct input rows, each with how many customers share it, and the groupings
    the likelihoods reuse: functions of x alone are computed once per distinct x, and
    Pareto/NBD's hypergeometric factor once per distinct (x, t)."""

    def __init__(self, columns: dict[str, np.ndarray], weights: np.ndarray) -> None:
        self.columns = columns
        self.weights = weights
        self.total = float(weights.sum())
        distinct_x, inverse = np.unique(columns["x"], return_inverse=True)
        self.x_groups = (distinct_x, inverse.ravel())
        self._pairs: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    @classmethod
    def collapsed(cls, columns: dict[str, np.ndarray]) -> _Data:
        """The distinct rows of `columns`, weighted by how many times each occurs."""
        names = list(columns)
        stacked = np.column_stack([np.asarray(columns[n], dtype=float) for n in names])
        unique, counts = np.unique(stacked, axis=0, return_counts=True)
        return cls({n: unique[:, i] for i, n in enumerate(names)}, counts.astype(float))

    @classmethod
    def rows(cls, **columns) -> _Data:
        """Every row as given, each of weight 1."""
        arrays = {k: np.atleast_1d(np.asarray(v, dtype=float)) for k, v in columns.items()}
        return cls(arrays, np.ones(len(arrays["x"])))

    def __getattr__(self, name: str) -> np.ndarray:
        try:
            return self.__dict__["columns"][name]
        except KeyError:
            raise AttributeError(name) from None

    def scaled(self, factors: dict[str, float]) -> _Data:
        """The same rows with columns divided by `factors` (groupings unchanged)."""
        clone = object.__new__(_Data)
        clone.__dict__.update(self.__dict__)
        clone.columns = {n: v / factors.get(n, 1.0) for n, v in self.columns.items()}
        clone._pairs = {
            column: (px, pt / factors.get(column, 1.0), inverse)
            for column, (px, pt, inverse) in self._pairs.items()
        }
        return clone

    def of_x(self, function, scale: float = 1.0, shift: float = 0.0) -> np.ndarray:
        values, inverse = self.x_groups
        return function(scale * values + shift)[inverse]

    def pairs(self, column: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Distinct (x, column) pairs as two arrays, and each row's pair index."""
        if column not in self._pairs:
            both = np.column_stack([self.columns["x"], self.columns[column]])
            unique, inverse = np.unique(both, axis=0, return_inverse=True)
            self._pairs[column] = (unique[:, 0], unique[:, 1], inverse.ravel())
        return self._pairs[column]


# --- Differences of log-gamma and digamma, exact near the limits ------------------------
#
# Near a limit a shape parameter runs to 1e8 and beyond, where lnG(z) is ~1e9 and its
# rounding error ~1e-7: lnG(z + a) - lnG(z) taken as a difference would drown the
# likelihood's differences in noise. Above LARGE the two are expanded together (Stirling).
LARGE = 1e5


def lgamma_ratio(z, a):
    """ln Gamma(z + a) - ln Gamma(z), elementwise, accurate for large z too."""
    z, a = np.broadcast_arrays(np.asarray(z, dtype=float), np.asarray(a, dtype=float))
    out = np.empty(z.shape)
    small = z < LARGE
    out[small] = gammaln(z[small] + a[small]) - gammaln(z[small])
    zb, ab = z[~small], a[~small]
    w = zb + ab
    out[~small] = (
        (zb - 0.5) * np.log1p(ab / zb)
        + ab * np.log(w)
        - ab
        - ab / (12 * zb * w)
        + (1 / w**3 - 1 / zb**3) / -360
    )
    return out if out.ndim else float(out)


def digamma_difference(z, a):
    """digamma(z + a) - digamma(z), elementwise, accurate for large z too."""
    z, a = np.broadcast_arrays(np.asarray(z, dtype=float), np.asarray(a, dtype=float))
    out = np.empty(z.shape)
    small = z < LARGE
    out[small] = digamma(z[small] + a[small]) - digamma(z[small])
    zb, ab = z[~small], a[~small]
    w = zb + ab
    out[~small] = (
        np.log1p(ab / zb)
        + ab / (2 * zb * w)
        + ab * (2 * zb + ab) / (12 * zb**2 * w**2)
        + (1 / w**4 - 1 / zb**4) / 120
    )
    return out if out.ndim else float(out)


# --- Purchase models: per-row log-likelihoods and gradients -----------------------------
#
# BG/NBD and MBG/NBD are written as two parts, so that each limit is the same code with a
# part replaced. Given a customer's purchase rate and dropout, the likelihood of (x, t_x, T)
# is rate^x [P(survived) e^(-rate T) + [x > 0 or MBG] P(dropped at t_x) e^(-rate t_x)]:
# - the rate part: gamma(r, alpha) across customers, or one rate for all (`fixed`);
# - the dropout part: beta(a, b) across customers, one probability for all (`fixed`), or
#   nobody drops out (`none`). BG/NBD's chances to drop out come after each repeat
#   purchase; MBG/NBD's after every purchase, the first included.
# Averaged over both: ln L = ln E[P(survived)] + ln R(T) + ln(1 + [..] O R(t_x) / R(T)),
# with R(t) = E[rate^x e^(-rate t)] and O = E[P(dropped at t_x)] / E[P(survived)].

_RATE_PARAMS = {"gamma": ("r", "alpha"), "fixed": ("purchase_rate",)}
_DROPOUT_PARAMS = {"beta": ("a", "b"), "fixed": ("dropout_probability",), "none": ()}


def _rate_terms(rate: str, params, d: _Data, gradient: bool):
    """ln R(T), ln R(t_x) / R(T), and (with `gradient`) their gradients, one column per
    rate parameter."""
    x, t_x, big_t = d.x, d.t_x, d.T
    if rate == "gamma":
        r, alpha = params
        # r ln(alpha) - (r + x) ln(alpha + T), written without the large terms' cancelling
        grows = np.log1p(big_t / alpha)
        ln_r = (
            d.of_x(lambda v: lgamma_ratio(r, v), shift=0.0) - r * grows - x * np.log(alpha + big_t)
        )
        gap = np.log1p((big_t - t_x) / (alpha + t_x))  # ln((alpha + T) / (alpha + t_x))
        ln_g = (r + x) * gap
        if not gradient:
            return ln_r, ln_g, None, None
        d_ln_r = np.column_stack(
            [
                d.of_x(lambda v: digamma_difference(r, v), shift=0.0) - grows,
                r * big_t / (alpha * (alpha + big_t)) - x / (alpha + big_t),
            ]
        )
        d_ln_g = np.column_stack(
            [gap, -(r + x) * (big_t - t_x) / ((alpha + big_t) * (alpha + t_x))]
        )
        return ln_r, ln_g, d_ln_r, d_ln_g
    (lam,) = params
    ln_r = x * np.log(lam) - lam * big_t
    ln_g = lam * (big_t - t_x)
    if not gradient:
        return ln_r, ln_g, None, None
    return ln_r, ln_g, (x / lam - big_t)[:, None], (big_t - t_x)[:, None]


def _dropout_terms(dropout: str, modified: bool, params, d: _Data, gradient: bool):
    """ln E[P(survived)], ln O (-inf: no dropout term) and which customers have the
    dropout term, with (when asked) gradients, one column per dropout parameter."""
    x = d.x
    extra = 1.0 if modified else 0.0
    # BG/NBD: a one-time buyer cannot have dropped out (no chance yet); MBG/NBD: she can.
    has_term = np.ones_like(x, dtype=bool) if modified else x > 0
    n = len(x)
    if dropout == "none":
        no_columns = np.empty((n, 0))
        return 0.0, np.full(n, -np.inf), has_term, no_columns, no_columns
    if dropout == "fixed":
        (p,) = params
        ln_s = (x + extra) * np.log1p(-p)
        ln_o = np.full(n, np.log(p) - np.log1p(-p))
        if not gradient:
            return ln_s, ln_o, has_term, None, None
        d_ln_s = (-(x + extra) / (1 - p))[:, None]
        d_ln_o = np.full((n, 1), 1 / p + 1 / (1 - p))
        return ln_s, ln_o, has_term, d_ln_s, d_ln_o
    a, b = params
    ln_s = d.of_x(lambda v: lgamma_ratio(b, v + extra) - lgamma_ratio(a + b, v + extra))
    # b + x - 1 (BG) or b + x (MBG); 1 where there is no dropout term
    shifted_b = np.where(has_term, b + x + extra - 1, 1.0)
    ln_o = np.log(a) - np.log(shifted_b)
    if not gradient:
        return ln_s, ln_o, has_term, None, None
    psi_ab = d.of_x(lambda v: digamma_difference(a + b, v + extra))
    d_ln_s = np.column_stack([-psi_ab, d.of_x(lambda v: digamma_difference(b, v + extra)) - psi_ab])
    d_ln_o = np.column_stack([np.full(n, 1 / a), -1 / shifted_b])
    return ln_s, ln_o, has_term, d_ln_s, d_ln_o


def _bg_family(modified: bool, rate: str, dropout: str):
    """(log-likelihood, value-and-gradient) of one member of the BG / MBG family."""
    k = len(_RATE_PARAMS[rate])

    def terms(params, d: _Data, gradient: bool):
        params = np.asarray(params, dtype=float)
        ln_r, ln_g, d_ln_r, d_ln_g = _rate_terms(rate, params[:k], d, gradient)
        ln_s, ln_o, has_term, d_ln_s, d_ln_o = _dropout_terms(
            dropout, modified, params[k:], d, gradient
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            ln_odds = np.where(has_term, ln_o + ln_g, -np.inf)
            ln_total = np.logaddexp(0.0, ln_odds)
        ll = ln_s + ln_r + ln_total
        if not gradient:
            return ll, None
        share = np.exp(ln_odds - ln_total)[:, None]  # the dropout term's share of the sum
        return ll, np.column_stack([d_ln_r + share * d_ln_g, d_ln_s + share * d_ln_o])

    return (lambda params, d: terms(params, d, False)[0]), (
        lambda params, d: terms(params, d, True)
    )


def bgnbd_log_likelihood(params, x, t_x, big_t) -> np.ndarray:
    """Per-customer BG/NBD log-likelihood for params (r, alpha, a, b)."""
    return _rowwise(_bg_family(False, "gamma", "beta")[0], params, x=x, t_x=t_x, T=big_t)


def mbgnbd_log_likelihood(params, x, t_x, big_t) -> np.ndarray:
    """Per-customer MBG/NBD log-likelihood for params (r, alpha, a, b)."""
    return _rowwise(_bg_family(True, "gamma", "beta")[0], params, x=x, t_x=t_x, T=big_t)


def _pareto_log_g(params, x, t) -> np.ndarray:
    """ln G(x, t) = ln F(x, t) + c ln(m + t), c = r + s + x, m = max(alpha, beta); see
    pareto_nbd_log_f."""
    r, alpha, s, beta = params
    x, t = np.asarray(x, dtype=float), np.asarray(t, dtype=float)
    c = r + s + x
    if alpha >= beta:
        w = (alpha - beta) / (alpha + t)
        u, ln_scale = r + x, -s * np.log1p(-w)
    else:
        w = (beta - alpha) / (beta + t)
        u, ln_scale = s + 1 + 0 * x, (1 - r - x) * np.log1p(-w)
    return ln_scale - np.log(c) + np.log(hyp2f1(1.0, u, c + 1, w))


def pareto_nbd_log_f(params, x, t) -> np.ndarray:
    """ln F(x, t), F = integral over (t, inf) of (alpha + u)^-(r + x) (beta + u)^-(s + 1) du.

    F(x, t_x) - F(x, T) is the Pareto/NBD likelihood's dropout term. In closed form it is
    (m + t)^-c / c * 2F1(...), c = r + s + x, m = max(alpha, beta); after Euler's
    transformation the hypergeometric factor is 2F1(1, u; c + 1; w), whose series has
    positive terms falling at least as fast as w^k:
    - alpha >= beta: w = (alpha - beta) / (alpha + t), u = r + x, times (1 - w)^-s;
    - alpha < beta:  w = (beta - alpha) / (beta + t),  u = s + 1, times (1 - w)^(1 - r - x).
    """
    r, alpha, s, beta = params
    x, t = np.asarray(x, dtype=float), np.asarray(t, dtype=float)
    return _pareto_log_g(params, x, t) - (r + s + x) * np.log(max(alpha, beta) + t)


def _pareto_ll_by_ratio(params, d: _Data) -> np.ndarray:
    """Pareto/NBD's likelihood over (r, alpha, s, beta / alpha): the ratio, not beta, is
    what a fit near the no-dropout limit moves (beta / alpha -> infinity)."""
    r, alpha, s, ratio = params
    return _pareto_log_likelihood((r, alpha, s, ratio * alpha), d)


# Pareto/NBD's F(x, t) is summed as its series where the series is short: w at most
# PARETO_SERIES_MAX_W (terms fall at least as fast as w^k, so at most about 4,000 of them).
# Where w is nearer 1 (beta / alpha or alpha / beta above about 100 and t small), the
# difference F(x, t_x) - F(x, T) is integrated instead, by Gauss-Legendre quadrature.
PARETO_SERIES_MAX_W = 0.99
_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(64)


def pareto_nbd_log_gap(params, x, t_x, big_t) -> np.ndarray:
    """ln(F(x, t_x) - F(x, T)), the integral of (alpha + u)^-(r + x) (beta + u)^-(s + 1)
    over (t_x, T), by 64-point Gauss-Legendre quadrature.

    With mu the smaller of alpha and beta (k its exponent, j the other's, M the larger) and
    v = ln((mu + u) / (mu + t_x)), the integral is (mu + t_x)^(1 - k) times the integral
    over (0, V) of e^((1 - k) v) (M - mu + (mu + t_x) e^v)^-j, V = ln((mu + T) / (mu +
    t_x)): smooth, its singularities pi away from the real line (M - mu >= 0), over a range
    of at most ln(1 + T / mu); for k > 1 it is cut where the exponential has fallen by
    e^-50. Accurate to about 1e-13 in the logarithm (checked against mpmath). -inf where
    t_x = T.
    """
    r, alpha, s, beta = params
    x, t_x, big_t = (np.atleast_1d(np.asarray(v, dtype=float)) for v in (x, t_x, big_t))
    if alpha <= beta:
        mu, big, k, j = alpha, beta, r + x, s + 1 + 0 * x
    else:
        mu, big, k, j = beta, alpha, s + 1 + 0 * x, r + x
    span = np.log((mu + big_t) / (mu + t_x))
    with np.errstate(divide="ignore"):
        span = np.where(k > 1, np.minimum(span, 50 / np.maximum(k - 1, 1e-300)), span)
    v = (_NODES[None, :] + 1) * span[:, None] / 2
    f = (1 - k)[:, None] * v - j[:, None] * np.log(big - mu + (mu + t_x)[:, None] * np.exp(v))
    top = f.max(axis=1)
    with np.errstate(divide="ignore"):
        ln_sum = np.log((_WEIGHTS[None, :] * np.exp(f - top[:, None])).sum(axis=1))
        return np.where(
            span > 0, (1 - k) * np.log(mu + t_x) + np.log(span / 2) + top + ln_sum, -np.inf
        )


def _pareto_log_likelihood(params, d: _Data) -> np.ndarray:
    r, alpha, s, beta = params
    x, t_x, big_t = d.x, d.t_x, d.T
    m = max(alpha, beta)
    ln_g, long = {}, {}
    for column in ("t_x", "T"):
        px, pt, inverse = d.pairs(column)
        w = abs(alpha - beta) / (m + pt)
        short = w <= PARETO_SERIES_MAX_W
        values = np.full(len(px), np.nan)
        values[short] = _pareto_log_g(params, px[short], pt[short])
        ln_g[column], long[column] = values[inverse], ~short[inverse]
    # Gamma(r + x) alpha^r beta^s / Gamma(r) times each term, without large cancelling parts
    ln_a1 = d.of_x(lambda v: lgamma_ratio(r, v))
    alive = -r * np.log1p(big_t / alpha) - x * np.log(alpha + big_t) - s * np.log1p(big_t / beta)
    c = r + s + x
    powers = r * np.log(alpha / (m + t_x)) + s * np.log(beta / (m + t_x)) - x * np.log(m + t_x)
    with np.errstate(divide="ignore", invalid="ignore"):
        # ln(F(t_x) - F(T)) + r ln(alpha) + s ln(beta); -inf when t_x = T
        shrink = ln_g["T"] - ln_g["t_x"] - c * np.log1p((big_t - t_x) / (m + t_x))
        dropped = powers + ln_g["t_x"] + np.log(-np.expm1(shrink))
        integrate = long["t_x"] | long["T"]
        if integrate.any():
            gap = pareto_nbd_log_gap(params, x[integrate], t_x[integrate], big_t[integrate])
            dropped[integrate] = r * np.log(alpha) + s * np.log(beta) + gap
        return ln_a1 + np.logaddexp(alive, np.log(s) + dropped)


def pareto_nbd_log_likelihood(params, x, t_x, big_t) -> np.ndarray:
    """Per-customer Pareto/NBD log-likelihood for params (r, alpha, s, beta)."""
    return _rowwise(_pareto_log_likelihood, params, x=x, t_x=t_x, T=big_t)


# --- Order value: Gamma-Gamma and its limits --------------------------------------------


def _gg_log_gammas(p, q, d: _Data) -> np.ndarray:
    """ln Gamma(p x + q) - ln Gamma(p x) - ln Gamma(q), exact when q or p x is large."""

    def of(x):
        px = p * x
        return np.where(
            q >= px,
            lgamma_ratio(q, px) - gammaln(px),
            lgamma_ratio(px, q) - gammaln(q),
        )

    return d.of_x(of)


def _gg_log_likelihood(params, d: _Data) -> np.ndarray:
    p, q, gamma = params
    x, m_x = d.x, d.m_x
    # q ln(gamma) + (p x - 1) ln(m_x) + p x ln(x) - (p x + q) ln(gamma + m_x x), rewritten
    # so that no large terms cancel as q, gamma (or p) run large
    return (
        _gg_log_gammas(p, q, d)
        - q * np.log1p(m_x * x / gamma)
        - p * x * np.log1p(gamma / (m_x * x))
        - np.log(m_x)
    )


def _gg_gradient(params, d: _Data) -> np.ndarray:
    p, q, gamma = params
    x, m_x = d.x, d.m_x
    spend = gamma + m_x * x
    d_p = x * (d.of_x(lambda v: digamma_difference(p * v, q)) - np.log1p(gamma / (m_x * x)))
    d_q = d.of_x(lambda v: digamma_difference(q, p * v)) - np.log1p(m_x * x / gamma)
    d_gamma = (q * m_x * x - p * x * gamma) / (gamma * spend)
    return np.column_stack([d_p, d_q, d_gamma])


def gamma_gamma_log_likelihood(params, x, m_x) -> np.ndarray:
    """Per-customer Gamma-Gamma log-likelihood for params (p, q, gamma), customers x > 0."""
    return _rowwise(_gg_log_likelihood, params, x=x, m_x=m_x)


def _same_rate_log_likelihood(params, d: _Data) -> np.ndarray:
    # x purchase days of one spend rate nu: x * m_x ~ gamma(p x, nu).
    p, nu = params
    x, m_x = d.x, d.m_x
    return (
        p * x * np.log(nu * x) + (p * x - 1) * np.log(m_x) - nu * x * m_x - d.of_x(gammaln, scale=p)
    )


def _same_rate_gradient(params, d: _Data) -> np.ndarray:
    p, nu = params
    x, m_x = d.x, d.m_x
    d_p = x * (np.log(nu * x) + np.log(m_x) - d.of_x(digamma, scale=p))
    d_nu = p * x / nu - x * m_x
    return np.column_stack([d_p, d_nu])


def _no_variation_log_likelihood(params, d: _Data) -> np.ndarray:
    # Each customer's purchase days all have the same value, inverse-gamma across customers.
    q, g = params
    m_x = d.m_x
    return q * np.log(g) - gammaln(q) - (q + 1) * np.log(m_x) - g / m_x


def _no_variation_gradient(params, d: _Data) -> np.ndarray:
    q, g = params
    m_x = d.m_x
    return np.column_stack([np.log(g) - digamma(q) - np.log(m_x), q / g - 1 / m_x])


def _both(log_likelihood: Callable, gradient: Callable) -> Callable:
    """A (log-likelihood, gradient) function from the two."""
    return lambda params, d: (log_likelihood(params, d), gradient(params, d))


def _rowwise(function, params, **columns) -> np.ndarray:
    """Apply a likelihood to raw columns, one value per row (no collapsing)."""
    return function(np.asarray(params, dtype=float), _Data.rows(**columns))


# --- The model tree and the fit -----------------------------------------------------------


@dataclass(frozen=True)
class _Spec:
    """A model in a family's tree: its key (one per likelihood, to fit it once), its status
    when it is the answer, its parameters, its per-row log-likelihood and its per-row
    (log-likelihood, gradient) (None: central differences), where to start, its limits one
    step away, and how to start just off a limit's answer."""

    key: str
    status: str
    names: tuple[str, ...]
    log_likelihood: Callable
    value_and_gradient: Callable | None
    starts: Callable[[_Data], list[tuple[float, ...]]]
    children: tuple[_Spec, ...] = ()
    from_limit: Callable[[_Result], tuple[float, ...] | None] | None = None
    # log bounds of the parameters that have other bounds than the box
    bounds: dict[str, tuple[float, float]] = field(default_factory=dict)
    # the parameters as published
    public: Callable[[dict[str, float]], dict[str, float]] = dict
    # Some edges have no limit model (Pareto/NBD's one purchase rate or one dropout rate
    # for all): a fit of this model heading for one (a rescaled parameter beyond 1e-6 or
    # 1e6) is not an answer.
    uncovered_edges: bool = False


@dataclass
class _Result:
    spec: _Spec
    params: tuple[float, ...]  # in the rescaled units
    log_likelihood: float  # total, over every customer
    converged: bool
    at_bound: tuple[str, ...]
    iterations: int
    message: str = ""
    gradient: float = 0.0
    skipped: str | None = None  # why there is no answer

    @property
    def named(self) -> dict[str, float]:
        return dict(zip(self.spec.names, self.params, strict=True))

    @property
    def ok(self) -> bool:
        """Converged inside the parameter space."""
        return self.skipped is None and self.converged and not self.at_bound

    @property
    def moderate(self) -> bool:
        """Every parameter (rescaled) is far from 0 and infinity, so no limit is near."""
        return all(MODERATE[0] <= v <= MODERATE[1] for v in self.params)


# Rescaled parameters inside this range are far from every limit: such a fit is the answer
# without fitting the limits.
MODERATE = (1e-3, 1e3)
# Near a limit, a model is kept over it only when it raises the mean log-likelihood per
# customer by more than this; else its extra parameters are not identified by the data
# and the limit (fewer parameters) is the answer. Per customer, so ten copies of every
# customer give the same answer.
LIMIT_TOLERANCE = 1e-6


def _objectives(spec: _Spec, d: _Data) -> tuple[Callable, Callable]:
    """The objective (minus the mean log-likelihood per customer, over log-parameters) and
    the objective with its gradient, for L-BFGS-B. A value that is not finite counts as
    1e100: a wall the optimizer turns back from, and how `_maximise` tells a start or a run
    without a finite likelihood. A gradient entry that is not finite counts as 0. Without an
    analytic gradient, central differences stand in for it."""

    def objective(log_params: np.ndarray) -> float:
        with np.errstate(all="ignore"):
            value = -_weighted(d.weights, spec.log_likelihood(np.exp(log_params), d)) / d.total
        return float(value) if np.isfinite(value) else 1e100

    def objective_and_gradient(log_params: np.ndarray) -> tuple[float, np.ndarray]:
        if spec.value_and_gradient is None:
            value, step = objective(log_params), 1e-5
            grad = np.empty_like(log_params)
            for i in range(len(log_params)):
                up, down = log_params.copy(), log_params.copy()
                up[i] += step
                down[i] -= step
                grad[i] = (objective(up) - objective(down)) / (2 * step)
        else:
            params = np.exp(log_params)
            with np.errstate(all="ignore"):
                ll, per_row = spec.value_and_gradient(params, d)
                value = -_weighted(d.weights, ll) / d.total
                grad = -_weighted(d.weights, per_row) / d.total * params
            value = float(value) if np.isfinite(value) else 1e100
        return value, np.where(np.isfinite(grad), grad, 0.0)

    return objective, objective_and_gradient


def _judge_run(
    spec: _Spec,
    d: _Data,
    run: OptimizeResult,
    gradient: np.ndarray,
    bounds: list[tuple[float, float]],
) -> _Result:
    """One optimizer run as a result: converged when the gradient of every parameter that is
    not pressed against its box is within GRADIENT_TOLERANCE."""
    # A parameter pressed against its box has run off towards 0 or infinity (or to the edge
    # of a narrower box); its gradient there is not zero and does not count against
    # convergence.
    pressed = [
        min(v - lo, hi - v) < (1 if (lo, hi) == (-LOG_BOUND, LOG_BOUND) else 1e-6)
        for v, (lo, hi) in zip(run.x, bounds, strict=True)
    ]
    free = [abs(g) for g, p in zip(gradient, pressed, strict=True) if not p]
    slope = float(max(free, default=0.0))
    return _Result(
        spec,
        tuple(float(v) for v in np.exp(run.x)),
        -float(run.fun) * d.total,
        slope <= GRADIENT_TOLERANCE,
        tuple(n for n, p in zip(spec.names, pressed, strict=True) if p),
        int(run.nit),
        str(run.message),
        slope,
    )


def _maximise(spec: _Spec, d: _Data, starts: Sequence[tuple[float, ...]], max_iterations: int):
    """Maximise the mean log-likelihood per customer over log-parameters, boxed."""
    objective, objective_and_gradient = _objectives(spec, d)
    bounds = [spec.bounds.get(n, (-LOG_BOUND, LOG_BOUND)) for n in spec.names]
    best = None
    for start in starts:
        start = np.log(np.asarray(start, dtype=float))
        start = np.clip(start, [lo + 1 for lo, _ in bounds], [hi - 1e-9 for _, hi in bounds])
        if objective(start) >= 1e100:
            continue
        run = minimize(
            objective_and_gradient,
            start,
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options={"maxiter": max_iterations, "ftol": 1e-15, "gtol": 1e-10},
        )
        if run.fun >= 1e100:
            continue
        result = _judge_run(spec, d, run, objective_and_gradient(run.x)[1], bounds)
        if best is None or result.log_likelihood > best.log_likelihood:
            best = result
        if best.ok or best.at_bound:
            # The other starts are for a fit that fails from this one. A fit that ran to
            # the edge (towards a limit) is not helped by them: _settle compares it with
            # the limits, and refits it from next to them.
            break
    if best is None:
        return _Result(spec, (), -np.inf, False, (), 0, skipped="no finite likelihood")
    return best


def _refit_near_limits(
    spec: _Spec,
    d: _Data,
    own: _Result,
    limits: list[_Result],
    other_starts: list[tuple[float, ...]],
    max_iterations: int,
) -> _Result:
    """The better of `own` and a fit of the model from just off each usable limit's answer
    (then from its other default starts): the first start may have missed a maximum that
    lies next to a limit. Better is converged inside the space first, then the higher
    log-likelihood; a refit without an answer never replaces `own`."""
    if spec.from_limit is None and not other_starts:
        return own
    # just off each limit first, then the other default starts
    starts = [s for a in limits if spec.from_limit and (s := spec.from_limit(a))]
    starts += other_starts
    again = _maximise(spec, d, starts, max_iterations) if starts else None
    better = (
        again is not None
        and again.skipped is None
        and (
            own.skipped is not None
            or (again.ok, again.log_likelihood) > (own.ok, own.log_likelihood)
        )
    )
    return again if better else own


def _simplest(candidates: list[_Result], d: _Data) -> _Result | None:
    """The fewest parameters among the candidates within LIMIT_TOLERANCE per customer of the
    best log-likelihood (then the higher log-likelihood): extra parameters must earn their
    keep. None when there is no candidate."""
    if not candidates:
        return None
    best = max(c.log_likelihood for c in candidates)
    close = [c for c in candidates if c.log_likelihood >= best - LIMIT_TOLERANCE * d.total]
    return min(close, key=lambda c: (len(c.params), -c.log_likelihood))


def _why_no_answer(own: _Result) -> str:
    """Why a model that is not skipped yet has no answer: it ran to a boundary that no limit
    covers, or it did not converge (naming where it was heading, if far out)."""
    if own.at_bound:
        where = ", ".join(
            f"{n} -> {'0' if v < 1 else 'infinity'}"
            for n, v in own.named.items()
            if n in own.at_bound
        )
        return f"the fit runs to a boundary ({where}) that no limit model covers"
    heading = _extremes(own, MODERATE)
    why = f"the maximum-likelihood fit did not converge (gradient {own.gradient:.2g}"
    return why + (f"; heading for {heading}, which no limit model covers)" if heading else ")")


def _settle(spec: _Spec, d: _Data, max_iterations: int, memo: dict[str, _Result]) -> _Result:
    """The answer of `spec`'s tree of limits.

    A fit that converged with every parameter far from 0 and infinity is the answer. Else
    its limits are fitted too (each settled the same way, once per likelihood), the model
    is fitted again from just off each of them, and among the model (when it converged
    inside its space) and its limits the answer has the fewest parameters of those within
    LIMIT_TOLERANCE per customer of the best log-likelihood. A model pressed against a
    boundary that no limit matches has no answer.
    """
    if spec.key in memo:
        return memo[spec.key]
    first, *other_starts = spec.starts(d)
    own = _maximise(spec, d, [first], max_iterations)
    if own.ok and own.moderate:
        memo[spec.key] = own
        return own
    limits = [_settle(child, d, max_iterations, memo) for child in spec.children]
    usable = [a for a in limits if a.skipped is None]
    own = _refit_near_limits(spec, d, own, usable, other_starts, max_iterations)
    answer = _simplest(usable + ([own] if own.ok else []), d)
    unusable_but_better = (
        own.skipped is None
        and not own.ok
        and answer is not None
        and own.log_likelihood > answer.log_likelihood + LIMIT_TOLERANCE * d.total
    )
    if unusable_but_better:
        answer = None  # the model beats every limit, but could not be used
    if answer is own and spec.uncovered_edges and (heading := _extremes(own)):
        own.skipped = f"the fit heads for {heading}, which no limit model covers"
    if answer is None:
        if own.skipped is None:
            own.skipped = _why_no_answer(own)
        answer = own
    memo[spec.key] = answer
    return answer


def _extremes(result: _Result, bounds: tuple[float, float] = (1e-6, 1e6)) -> str:
    """The parameters (rescaled) outside `bounds`, as 'name -> 0' or 'name -> infinity'."""
    return ", ".join(
        f"{n} -> {'0' if v < 1 else 'infinity'}"
        for n, v in result.named.items()
        if not bounds[0] <= v <= bounds[1]
    )


def _cycle(*lists: Sequence[tuple[float, ...]]) -> list[tuple[float, ...]]:
    """Starts made of one entry of each list, three of them."""
    return [tuple(v for part in lists for v in part[i % len(part)]) for i in range(3)]


def _rate_starts(rate: str, d: _Data) -> list[tuple[float, ...]]:
    if rate == "gamma":
        return [(1.0, 1.0), (0.5, 0.5), (2.0, 2.0)]
    mean_rate = float(_weighted(d.weights, d.x)) / max(float(_weighted(d.weights, d.T)), 1e-12)
    return [(max(mean_rate, 1e-9),)]


_DROPOUT_STARTS = {
    "beta": [(1.0, 1.0), (0.5, 2.0), (2.0, 0.5)],
    "fixed": [(0.1,), (0.3,), (0.03,)],
    "none": [()],
}
_BG_STATUS = {
    ("gamma", "beta"): "fitted",
    ("gamma", "fixed"): "limit_no_dropout_heterogeneity",
    ("fixed", "beta"): "limit_no_rate_heterogeneity",
    ("fixed", "fixed"): "limit_no_rate_or_dropout_heterogeneity",
    ("gamma", "none"): "limit_no_dropout",
    ("fixed", "none"): "limit_no_dropout_no_rate_heterogeneity",
}
_BG_LIMITS = {  # the limits one step away
    ("gamma", "beta"): [("gamma", "fixed"), ("fixed", "beta"), ("gamma", "none")],
    ("gamma", "fixed"): [("fixed", "fixed"), ("gamma", "none")],
    ("fixed", "beta"): [("fixed", "fixed"), ("fixed", "none")],
    ("fixed", "fixed"): [("fixed", "none")],
    ("gamma", "none"): [("fixed", "none")],
    ("fixed", "none"): [],
}
# How far off a limit a start is placed: a large shape (1e3) for a heterogeneity that
# vanishes, a small dropout (1e-3) for dropout that vanishes.
_NEAR = 1e3


def _start_from(rate: str, dropout: str, answer: _Result) -> tuple[float, ...] | None:
    """A start of the (rate, dropout) member just off a limit's answer."""
    parts = getattr(answer.spec, "parts", None)
    if parts is None:
        return None
    limit_rate, limit_dropout = parts
    k = len(_RATE_PARAMS[limit_rate])
    have_rate, have_dropout = answer.params[:k], answer.params[k:]
    # gamma from one fixed rate: a large shape with the same mean
    start_rate = have_rate if limit_rate == rate else (_NEAR, _NEAR / have_rate[0])
    if limit_dropout == dropout:
        start_dropout = have_dropout
    elif dropout == "beta" and limit_dropout == "fixed":
        (p,) = have_dropout
        start_dropout = (_NEAR * p, _NEAR * (1 - p))
    elif dropout == "beta":
        start_dropout = (1 / _NEAR, 10.0)
    else:
        start_dropout = (1 / _NEAR,)
    return (*start_rate, *start_dropout)


@dataclass(frozen=True)
class _BgSpec(_Spec):
    parts: tuple[str, str] = ("gamma", "beta")


def _bg_spec(modified: bool, rate: str, dropout: str, cache: dict) -> _Spec:
    """The (rate, dropout) member of the BG (or MBG) family, with its tree of limits; the
    members without dropout are one likelihood for both (and for Pareto/NBD)."""
    family = "mbg" if modified and dropout != "none" else "bg" if dropout != "none" else "nbd"
    key = f"{family}:{rate}:{dropout}"
    if key not in cache:
        children = tuple(_bg_spec(modified, *child, cache) for child in _BG_LIMITS[rate, dropout])
        cache[key] = _BgSpec(
            key=key,
            status=_BG_STATUS[rate, dropout],
            names=_RATE_PARAMS[rate] + _DROPOUT_PARAMS[dropout],
            log_likelihood=_bg_family(modified, rate, dropout)[0],
            value_and_gradient=_bg_family(modified, rate, dropout)[1],
            starts=lambda d, rate=rate, dropout=dropout: _cycle(
                _rate_starts(rate, d), _DROPOUT_STARTS[dropout]
            ),
            children=children,
            from_limit=lambda a, rate=rate, dropout=dropout: _start_from(rate, dropout, a),
            bounds={"dropout_probability": (-LOG_BOUND, 0.0)},
            parts=(rate, dropout),
        )
    return cache[key]


_SPECS: dict[str, _Spec] = {}
_BGNBD = _bg_spec(False, "gamma", "beta", _SPECS)
_MBGNBD = _bg_spec(True, "gamma", "beta", _SPECS)
_NBD = _SPECS["nbd:gamma:none"]


def _pareto_from_no_dropout(answer: _Result) -> tuple[float, ...] | None:
    """A Pareto/NBD start just off the NBD limit: its (r, alpha) and rare dropout."""
    if answer.spec is not _NBD:
        return None
    return (*answer.params, 0.01, 100.0)


_PARETO_NBD = _Spec(
    key="pareto:gamma:gamma",
    status="fitted",
    names=("r", "alpha", "s", "beta_over_alpha"),
    log_likelihood=_pareto_ll_by_ratio,
    value_and_gradient=None,
    starts=lambda d: [(1.0, 1.0, 1.0, 1.0), (0.5, 0.5, 0.5, 4.0), (2.0, 2.0, 2.0, 0.25)],
    children=(_NBD,),
    from_limit=_pareto_from_no_dropout,
    uncovered_edges=True,
    public=lambda p: {
        "r": p["r"],
        "alpha": p["alpha"],
        "s": p["s"],
        "beta": p["beta_over_alpha"] * p["alpha"],
    },
)
_PURCHASE_SPECS = {"bgnbd": _BGNBD, "mbgnbd": _MBGNBD, "pareto_nbd": _PARETO_NBD}

_SAME_RATE = _Spec(
    key="gg:same_rate",
    status="limit_no_spend_heterogeneity",
    names=("p", "spend_rate"),
    log_likelihood=_same_rate_log_likelihood,
    value_and_gradient=_both(_same_rate_log_likelihood, _same_rate_gradient),
    starts=lambda d: [(1.0, 1.0), (5.0, 5.0), (0.5, 0.5)],
)
_NO_VARIATION = _Spec(
    key="gg:no_variation",
    status="limit_no_spend_variation",
    names=("q", "spend_scale"),
    log_likelihood=_no_variation_log_likelihood,
    value_and_gradient=_both(_no_variation_log_likelihood, _no_variation_gradient),
    starts=lambda d: [(2.0, 1.0), (5.0, 4.0), (1.5, 0.5)],
)


def _from_spend_limit(answer: _Result) -> tuple[float, ...] | None:
    """A start just off a spend limit: a large q (or p) with the same spend."""
    if answer.spec is _SAME_RATE:
        p, nu = answer.params
        return (p, _NEAR, _NEAR / nu)
    if answer.spec is _NO_VARIATION:
        q, g = answer.params
        return (_NEAR, q, g / _NEAR)
    return None


_GAMMA_GAMMA = _Spec(
    key="gg",
    status="fitted",
    names=("p", "q", "gamma"),
    log_likelihood=_gg_log_likelihood,
    value_and_gradient=_both(_gg_log_likelihood, _gg_gradient),
    starts=lambda d: [(1.0, 1.0, 1.0), (5.0, 3.0, 3.0), (2.0, 5.0, 5.0)],
    children=(_SAME_RATE, _NO_VARIATION),
    from_limit=_from_spend_limit,
)


def _in_units(names: Sequence[str], values: Sequence[float], time: float, money: float):
    factor = {_TIME: time, _MONEY: money, _PER_TIME: 1 / time, _PER_MONEY: 1 / money}
    pairs = zip(names, values, strict=True)
    return {n: float(v) * factor.get(_UNITS.get(n, ""), 1.0) for n, v in pairs}


def _answer(model: str, result: _Result, d: _Data, time: float, money: float) -> Fit:
    """The tree's answer in the data's own units, with its log-likelihood there."""
    n = round(d.total)
    if result.skipped is not None:
        return Fit(model, f"skipped: {result.skipped}", n_customers=n)
    internal = _in_units(result.spec.names, result.params, time, money)
    unscaled = d.scaled({"t_x": 1 / time, "T": 1 / time, "m_x": 1 / money})
    values = np.asarray(list(internal.values()))
    ll = float(_weighted(unscaled.weights, result.spec.log_likelihood(values, unscaled)))
    return Fit(model, result.spec.status, result.spec.public(internal), ll, n, result.iterations)


def _weighted(weights: np.ndarray, values: np.ndarray) -> np.ndarray:
    """`weights @ values` without BLAS. OpenBLAS splits a long dot product over its
    threads, so the last bits of the answer depend on how many it has: the dbt process on
    DuckDB and a Spark executor (or two machines) would fit slightly different parameters.
    numpy's own sums do not depend on threads."""
    if values.ndim == 1:
        return np.sum(weights * values)
    return np.sum(weights[:, None] * values, axis=0)


def _mean(values: np.ndarray) -> float:
    """The mean from a correctly rounded sum: the same whatever order the rows came in
    (DuckDB returns them in any order), so two builds of one date fit the same parameters
    to the last bit, not to the optimizer's tolerance."""
    return math.fsum(values) / len(values)


def fit_purchase_models(
    x: np.ndarray,
    t_x: np.ndarray,
    big_t: np.ndarray,
    models: Sequence[str] = PURCHASE_MODELS,
    max_iterations: int = 2000,
) -> dict[str, Fit]:
    """Fit each purchase model (bgnbd, mbgnbd, pareto_nbd) to every customer's (x, t_x, T);
    their common limits (NBD, Poisson) are fitted once."""
    unknown = sorted(set(models) - set(_PURCHASE_SPECS))
    if unknown:
        raise ValueError(f"unknown purchase model(s) {unknown}; known: {PURCHASE_MODELS}")
    x, t_x, big_t = (np.asarray(v, dtype=float) for v in (x, t_x, big_t))
    if x.size == 0:
        return {m: Fit(m, "skipped: no customers to fit") for m in models}
    if not (x > 0).any():
        why = (
            "skipped: no customer made a repeat purchase, so purchase rates and dropout "
            "cannot be told apart"
        )
        return {m: Fit(m, why, n_customers=int(x.size)) for m in models}
    time = _mean(big_t) or 1.0
    d = _Data.collapsed({"x": x, "t_x": t_x, "T": big_t}).scaled({"t_x": time, "T": time})
    memo: dict[str, _Result] = {}
    fits = {}
    for model in models:
        result = _settle(_PURCHASE_SPECS[model], d, max_iterations, memo)
        fits[model] = _answer(model, result, d, time, 1.0)
    return fits


def fit_purchases(model: str, x, t_x, big_t, max_iterations: int = 2000) -> Fit:
    """Fit one purchase model; see fit_purchase_models."""
    return fit_purchase_models(x, t_x, big_t, (model,), max_iterations)[model]


def fit_order_value(x: np.ndarray, m_x: np.ndarray, max_iterations: int = 2000) -> Fit:
    """Fit Gamma-Gamma (p, q, gamma) to the customers with repeat purchases of positive
    value (x > 0, m_x > 0), or the limit the data support."""
    x, m_x = np.asarray(x, dtype=float), np.asarray(m_x, dtype=float)
    keep = (x > 0) & (m_x > 0)
    if not keep.any():
        return Fit(ORDER_VALUE_MODEL, "skipped: no repeat purchase of positive value to fit")
    x, m_x = x[keep], m_x[keep]
    n = int(keep.sum())
    low, high = float(m_x.min()), float(m_x.max())
    if high - low <= CONSTANT_SPREAD * high:
        return Fit(
            ORDER_VALUE_MODEL,
            "limit_constant_spend",
            {"constant_value": _mean(m_x)},
            None,
            n,
        )
    money = _mean(m_x)
    d = _Data.collapsed({"x": x, "m_x": m_x}).scaled({"m_x": money})
    result = _settle(_GAMMA_GAMMA, d, max_iterations, {})
    return _answer(ORDER_VALUE_MODEL, result, d, 1.0, money)
