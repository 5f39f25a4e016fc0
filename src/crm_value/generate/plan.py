"""The global plan: one value per customer (life cycle and row counts), drawn before any
chunk, so counts and ids are known up front and chunks can be generated one at a time."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from crm_value.generate.arrays import BoolArray, FloatArray, IntArray
from crm_value.generate.reference import (
    _CNY_DAYS,
    _MONTH_WEIGHT,
    BUSINESS_SHARE,
    CHURNER_SHARE,
    DAY,
    END_TS,
    ORDER_END_DAY,
    ORDER_START_DAY,
    ORDER_STATUS_P,
    PRE_SPAN_SHARE,
    PRE_SPAN_START_DAY,
    PROSPECT_SHARE,
    RECEIVABLES_PER_ORDER,
    SURVEYS_PER_ORDER,
    TICKETS_PER_ORDER,
    TYPE_MISSING_SHARE,
)


@lru_cache(maxsize=1)
def _order_day_cdf() -> FloatArray:
    """Cumulative seasonal weight of every order day (length = days + 1).

    Monthly weights peak in Jan/Feb (Chinese New Year shopping), June (618),
    November (Double 11) and December; single days 6/18, 11/11 and 12/12 spike;
    weekends are busier; Chinese New Year week itself is quiet.
    """
    days = np.arange(ORDER_START_DAY, ORDER_END_DAY, dtype=np.int64)
    dt = days.astype("datetime64[D]")
    month_start = dt.astype("datetime64[M]")
    month = month_start.astype(np.int64) % 12 + 1
    dom = (dt - month_start.astype("datetime64[D]")).astype(np.int64) + 1
    weekday = (days + 3) % 7  # 0 = Monday (1970-01-01 was a Thursday)
    w = _MONTH_WEIGHT[month - 1].copy()
    w *= np.where(weekday >= 5, 1.2, 1.0)
    w *= np.where((month == 6) & (dom == 18), 3.0, 1.0)
    w *= np.where((month == 6) & (dom < 18), 1.2, 1.0)
    w *= np.where((month == 11) & (dom == 11), 4.0, 1.0)
    w *= np.where((month == 11) & (dom < 11), 1.3, 1.0)
    w *= np.where((month == 12) & (dom == 12), 2.0, 1.0)
    for cny in _CNY_DAYS:
        w *= np.where((days >= cny - 21) & (days < cny), 1.4, 1.0)
        w *= np.where((days >= cny) & (days < cny + 7), 0.5, 1.0)
    cdf = np.concatenate([[0.0], np.cumsum(w)])
    return cdf / cdf[-1]


# --------------------------------------------------------------------------- #
# Global plan (one value per customer, cheap even for millions of customers)  #
# --------------------------------------------------------------------------- #


@dataclass(frozen=True)
class _Plan:
    """Per-customer skeleton shared by all chunks.

    Everything that fixes row counts lives here, so counts and ids are known
    before any chunk is generated.
    """

    n_customers: int
    n_orders: int
    is_business: BoolArray
    type_missing: BoolArray
    created_ts: IntArray
    start_day: IntArray
    end_day: IntArray
    order_counts: IntArray
    ticket_counts: IntArray
    survey_counts: IntArray
    invoice_prob: float
    # Every order's amount in cents, one order per customer and day; None: drawn.
    constant_cents: int | None = None

    def id_total(self, entity: str) -> int:
        """Upper bound of the id numbers of ``entity`` (fixes the id width)."""
        if entity == "customers":
            return self.n_customers + 100
        if entity == "service_tickets":
            return int(self.ticket_counts.sum()) + 100
        if entity == "surveys":
            return int(self.survey_counts.sum()) + 100
        return self.n_orders + 100  # orders and receivables


def _spread(rng: np.random.Generator, total: int, weights: FloatArray) -> IntArray:
    """Split ``total`` into per-customer counts proportional to ``weights``."""
    s = float(weights.sum())
    if total <= 0 or s <= 0:
        return np.zeros(weights.size, dtype=np.int64)
    return rng.multinomial(total, weights / s).astype(np.int64)


def _make_plan(
    n_customers: int, n_orders: int, seed: int, constant_amount: float | None = None
) -> _Plan:
    """Draw the customer life cycles and the number of rows per customer.

    * ``created_at``: 15% before the order span (2020-2022), the rest spread
      over the span with a growing acquisition rate.
    * Activity window: the first order comes a few days after creation; 45% of
      customers churn after an exponential lifetime; 10% are prospects.
    * Orders: one per active customer plus a Poisson-like (multinomial) split
      of the rest of exactly ``n_orders`` with weight = lognormal rate x window
      length, i.e. a heavy-tailed mixed Poisson process.
    """
    rng = np.random.default_rng([seed, 0])
    n = n_customers
    is_business = rng.random(n) < BUSINESS_SHARE
    type_missing = rng.random(n) < TYPE_MISSING_SHARE

    created = _created_ts(rng, n)

    delay = rng.geometric(1.0 / 8.0, n).astype(np.int64) - 1
    start = np.maximum(created // DAY + 1 + delay, ORDER_START_DAY)
    churner = rng.random(n) < CHURNER_SHARE
    lifetime = (30.0 + rng.exponential(420.0, n)).astype(np.int64)
    end = np.where(churner, np.minimum(start + lifetime, ORDER_END_DAY), ORDER_END_DAY)
    prospect = rng.random(n) < PROSPECT_SHARE
    active = ~prospect & (end > start)
    rate = rng.lognormal(0.0, 0.75, n) * np.where(is_business, 1.3, 1.0)
    weight = np.where(active, rate * np.maximum(end - start, 0), 0.0)
    # Every active customer orders at least once (when there are enough orders),
    # so prospects stay at about PROSPECT_SHARE.
    floor = active.astype(np.int64) if n_orders >= int(active.sum()) else 0
    order_counts = floor + _spread(rng, n_orders - int(np.sum(floor)), weight)

    has_orders = order_counts > 0
    ticket_w = np.where(has_orders, (order_counts + 0.5) ** 0.8, 0.15)
    ticket_counts = _spread(rng, round(n_orders * TICKETS_PER_ORDER), ticket_w)
    survey_w = np.where(has_orders, order_counts.astype(np.float64) ** 0.6, 0.0)
    survey_counts = _spread(rng, round(n_orders * SURVEYS_PER_ORDER), survey_w)

    return _Plan(
        n_customers=n,
        n_orders=n_orders,
        is_business=is_business,
        type_missing=type_missing,
        created_ts=created,
        start_day=start,
        end_day=end,
        order_counts=order_counts,
        ticket_counts=ticket_counts,
        survey_counts=survey_counts,
        invoice_prob=_invoice_prob(n_orders, order_counts[is_business & ~type_missing]),
        constant_cents=None if constant_amount is None else round(constant_amount * 100),
    )


def _created_ts(rng: np.random.Generator, n: int) -> IntArray:
    """``created_at`` (epoch seconds): PRE_SPAN_SHARE before the order span, the rest
    over the span with an acquisition rate growing linearly (inverse CDF)."""
    pre = rng.random(n) < PRE_SPAN_SHARE
    u = rng.random(n)
    growth = 0.4  # acquisition rate at the end of the span is 1.4x the start
    t = (np.sqrt(1.0 + 2.0 * growth * u * (1.0 + growth / 2.0)) - 1.0) / growth
    span_lo, span_hi = ORDER_START_DAY * DAY, END_TS - 1
    pre_lo, pre_hi = PRE_SPAN_START_DAY * DAY, ORDER_START_DAY * DAY
    return np.where(
        pre,
        pre_lo + np.floor(rng.random(n) * (pre_hi - pre_lo)),
        span_lo + np.floor(t * (span_hi - span_lo)),
    ).astype(np.int64)


def _invoice_prob(n_orders: int, invoiceable_counts: IntArray) -> float:
    """The share of invoiceable completed orders to invoice so that receivables come to
    about RECEIVABLES_PER_ORDER of all orders."""
    expected = ORDER_STATUS_P[0] * float(invoiceable_counts.sum())
    target = n_orders * RECEIVABLES_PER_ORDER
    return min(1.0, target / expected) if expected > 0 else 0.0


@dataclass
class _Counters:
    """Number of rows written so far (the next id is ``value + 1``)."""

    orders: int = 0
    receivables: int = 0
    service_tickets: int = 0
    surveys: int = 0
