"""The BG/NBD and Gamma-Gamma fits reproduce the published CDNOW estimates.

The yardstick is the CDNOW sample (2,357 customers) that ships inside the `lifetimes`
wheel on PyPI: the `cdnow_lines` fixture (conftest) downloads the wheel (no install) and
reads the file from it; none of it is committed. With as_of_date 1997-10-01 and weeks,
Fader, Hardie & Lee (2005) report r = 0.243, alpha = 4.414, a = 0.793, b = 2.426
(log-likelihood -9582.4) and p = 6.25, q = 3.74, gamma = 15.44.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import numpy as np
import pytest

from crm_value.clv import (
    FitError,
    bgnbd_log_likelihood,
    fit_bgnbd,
    fit_gamma_gamma,
    gamma_gamma_log_likelihood,
)

AS_OF = dt.date(1997, 10, 1)


def cdnow_inputs(lines: list[str]) -> tuple[np.ndarray, ...]:
    """x, t_x, T (weeks) and m_x per customer, from purchase days before AS_OF."""
    days: dict[str, dict[dt.date, float]] = defaultdict(lambda: defaultdict(float))
    for line in lines:
        _, customer, day, _, amount = line.split()
        date = dt.datetime.strptime(day, "%Y%m%d").date()
        if date < AS_OF:
            days[customer][date] += float(amount)
    end = AS_OF - dt.timedelta(days=1)
    rows = []
    for by_day in days.values():
        dates = sorted(by_day)
        repeat = [by_day[d] for d in dates[1:]]
        rows.append(
            (
                len(dates) - 1,
                (dates[-1] - dates[0]).days / 7,
                (end - dates[0]).days / 7,
                float(np.mean(repeat)) if repeat else 0.0,
            )
        )
    return tuple(np.array(column) for column in zip(*rows, strict=True))


def test_bgnbd_reproduces_the_published_cdnow_estimates(cdnow_lines):
    x, t_x, big_t, _ = cdnow_inputs(cdnow_lines)
    assert len(x) == 2357
    fit = fit_bgnbd(x, t_x, big_t)
    published = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    for name, value in published.items():
        assert fit.params[name] == pytest.approx(value, rel=0.01), name
    assert fit.log_likelihood == pytest.approx(-9582.4, abs=0.5)
    assert fit.n_customers == 2357


def test_gamma_gamma_reproduces_the_published_cdnow_estimates(cdnow_lines):
    x, _, _, m_x = cdnow_inputs(cdnow_lines)
    fit = fit_gamma_gamma(x, m_x)
    published = {"p": 6.25, "q": 3.74, "gamma": 15.44}
    for name, value in published.items():
        assert fit.params[name] == pytest.approx(value, rel=0.01), name
    assert fit.n_customers == int((x > 0).sum())


def test_the_bgnbd_likelihood_matches_a_hand_computed_value():
    # One customer, x = 2, t_x = 4, T = 10, params (r, alpha, a, b) = (1, 2, 1, 3):
    # A1 = G(3) 2^1 / G(1) = 4; A2 = G(4) G(5) / (G(3) G(6)) = 6*24/(2*120) = 0.6;
    # A3 = 12^-3; A4 = (1/4) * 6^-3; L = 4 * 0.6 * (12^-3 + 6^-3 / 4).
    expected = np.log(4 * 0.6 * (12.0**-3 + 6.0**-3 / 4))
    got = bgnbd_log_likelihood(
        np.array([1.0, 2.0, 1.0, 3.0]), np.array([2.0]), np.array([4.0]), np.array([10.0])
    )
    assert got[0] == pytest.approx(expected, rel=1e-12)
    # x = 0: only A3 counts; A1 = 2, A2 = 1, A3 = 1/12.
    got = bgnbd_log_likelihood(
        np.array([1.0, 2.0, 1.0, 3.0]), np.array([0.0]), np.array([0.0]), np.array([10.0])
    )
    assert got[0] == pytest.approx(np.log(2 / 12), rel=1e-12)


def test_the_gamma_gamma_likelihood_matches_a_hand_computed_value():
    # p = q = 1, gamma = 2, x = 1, m = 3: G(2)/(G(1)G(1)) 2^1 3^0 1^1 (2+3)^-2 = 2/25.
    got = gamma_gamma_log_likelihood(np.array([1.0, 1.0, 2.0]), np.array([1.0]), np.array([3.0]))
    assert got[0] == pytest.approx(np.log(2 / 25), rel=1e-12)


def test_a_fit_without_customers_or_without_repeat_buyers_raises():
    with pytest.raises(FitError, match="BG/NBD: no customers to fit"):
        fit_bgnbd(np.array([]), np.array([]), np.array([]))
    with pytest.raises(FitError, match="Gamma-Gamma: no customers"):
        fit_gamma_gamma(np.array([0.0, 0.0]), np.array([0.0, 0.0]))


def test_a_fit_that_cannot_identify_or_does_not_converge_raises(cdnow_lines):
    # No one bought twice: a and b are not identified.
    with pytest.raises(FitError, match="no customer made a repeat purchase"):
        fit_bgnbd(np.zeros(50), np.zeros(50), np.full(50, 10.0))
    # The optimiser stopped before it converged.
    x, t_x, big_t, m_x = cdnow_inputs(cdnow_lines)
    with pytest.raises(FitError, match="BG/NBD: the maximum-likelihood fit did not converge"):
        fit_bgnbd(x, t_x, big_t, max_iterations=2)
    with pytest.raises(FitError, match="Gamma-Gamma: the maximum-likelihood fit did not converge"):
        fit_gamma_gamma(x, m_x, max_iterations=2)
