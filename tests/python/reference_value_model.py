"""Independent reference implementation of the customer-value rules (RFM, ABC, pyramid).

Written from the value-model spec and the issue-3 interface rulings only, never from the
dbt SQL, so that comparing the marts against it catches mistakes in either. Every
comparison that decides a score, class or tier uses integers, ``Decimal`` or ``Fraction``;
floats appear only in the reported ``cum_share_before`` and ``pyramid_position``.

Input conventions (mirroring the staging models):

* ``customers``: iterable of ``(customer_id, created_at)``; ``created_at`` is a
  ``datetime`` (naive, as DuckDB returns a ``TIMESTAMP``) or a ``date``.
* ``orders``: iterable of ``(customer_id, ordered_at, status, amount, cost)``; a *valid
  order* has ``status == "completed"``; ``amount`` and ``cost`` are ``Decimal`` (``cost``
  may be ``None``).

A timestamp ``t`` is compared with a date ``d`` as ``t < d 00:00``, which for a naive
timestamp is the same as ``t.date() < d``; the implementation compares calendar dates.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from itertools import pairwise
from pathlib import Path
from typing import Any

__all__ = [
    "DEFAULT_SEGMENT_GRID",
    "RFM8_CODES",
    "Customer",
    "Order",
    "compute",
    "grid_problems",
    "load_from_duckdb",
    "quantile_score",
]

Customer = tuple[str, dt.datetime | dt.date | None]
Order = tuple[str, dt.datetime | dt.date, str, Decimal | None, Decimal | None]
Number = int | Decimal | Fraction | float | str

VALID_STATUS = "completed"
ZERO = Decimal("0")


def _grid_from_spec(spec: Mapping[str, str]) -> dict[tuple[int, int], str]:
    """Expand ``{segment: "55 54 45"}`` (cells written R then FM) into ``{(r, fm): segment}``."""
    grid: dict[tuple[int, int], str] = {}
    for segment, cells in spec.items():
        for cell in cells.split():
            key = (int(cell[0]), int(cell[1]))
            if key in grid:
                raise ValueError(f"cell {cell} is listed twice")
            grid[key] = segment
    return grid


#: The spec's default ``(r_score, fm_score) -> rfm_segment`` grid, 25 cells.
DEFAULT_SEGMENT_GRID: dict[tuple[int, int], str] = _grid_from_spec(
    {
        "champions": "55 54 45",
        "loyal": "53 44 35 34",
        "potential_loyalist": "52 42 43 33",
        "new_customers": "51",
        "promising": "41 31",
        "need_attention": "32 23 22",
        "about_to_sleep": "21",
        "at_risk": "25 24 13",
        "cant_lose_them": "15 14",
        "hibernating": "12",
        "lost": "11",
    }
)

#: ``(R high, F high, M high) -> rfm8_segment`` per the spec's eight-type table.
RFM8_CODES: dict[tuple[bool, bool, bool], str] = {
    (True, True, True): "important_value",
    (True, False, True): "important_development",
    (False, True, True): "important_retention",
    (False, False, True): "important_winback",
    (True, True, False): "general_value",
    (True, False, False): "general_development",
    (False, True, False): "general_retention",
    (False, False, False): "general_winback",
}


def grid_problems(grid: Mapping[tuple[int, int], str]) -> list[str]:
    """Return what keeps ``grid`` from covering the 25 ``(r, fm)`` pairs exactly once."""
    wanted = {(r, fm) for r in range(1, 6) for fm in range(1, 6)}
    problems = [f"missing cell {r}{fm}" for r, fm in sorted(wanted - set(grid))]
    problems += [f"unexpected cell {key!r}" for key in grid if key not in wanted]
    return problems


def quantile_score(rank: int, n: int) -> int:
    """Spec score ``least(5, 1 + (5 * (rank - 1)) / (n - 1))`` in integer division; 1 if n = 1."""
    if n < 1 or not 1 <= rank <= n:
        raise ValueError(f"rank {rank} out of range for n = {n}")
    if n == 1:
        return 1
    return min(5, 1 + (5 * (rank - 1)) // (n - 1))


def _exact(value: Number) -> Fraction:
    """An exact rational for ``value``; a float is read through its shortest decimal repr."""
    if isinstance(value, float):
        return Fraction(Decimal(repr(value)))
    if isinstance(value, str):
        return Fraction(Decimal(value))
    return Fraction(value)


def _as_date(value: dt.date | str) -> dt.date:
    """Accept a ``date``, a ``datetime`` (its date) or a ``'YYYY-MM-DD'`` string."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(value)


def _day(value: dt.datetime | dt.date) -> dt.date:
    """The calendar date of a timestamp (or the date itself)."""
    return value.date() if isinstance(value, dt.datetime) else value


def _rank_ascending(values: Mapping[str, Fraction]) -> dict[str, int]:
    """SQL ``rank()`` ordered ascending: 1 + number of rows with a strictly smaller value."""
    ordered = sorted(values.values())
    # bisect_left on the sorted values = the count of strictly smaller values
    return {key: bisect_left(ordered, value) + 1 for key, value in values.items()}


def _median(values: Sequence[Fraction]) -> Fraction:
    """Median; for an even count the mean of the two middle values (``quantile_cont(0.5)``)."""
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[mid]
    return (ordered[mid - 1] + ordered[mid]) / 2


def _check_edges(name: str, edges: Sequence[Number] | None) -> list[Fraction]:
    """Validate four ascending (non-decreasing) bin edges and return them as exact rationals."""
    if edges is None:
        raise ValueError(f"{name} is required when rfm_score_method = 'fixed'")
    exact = [_exact(e) for e in edges]
    if len(exact) != 4:
        raise ValueError(f"{name} must hold 4 edges, got {len(exact)}")
    if any(a > b for a, b in pairwise(exact)):
        raise ValueError(f"{name} must be ascending, got {list(edges)}")
    return exact


@dataclass
class _Facts:
    """Per in-scope customer aggregates the three marts are built from."""

    last_order_day: dt.date | None = None
    rfm_frequency: int = 0
    rfm_monetary: Decimal = ZERO
    window_amount: Decimal = ZERO
    window_margin: Decimal = ZERO


def compute(
    customers: Iterable[Customer],
    orders: Iterable[Order],
    *,
    as_of_date: dt.date | str | None = None,
    value_window_days: int = 365,
    rfm_window_days: int | None = None,
    abc_measure: str = "amount",
    abc_a_share: Number = Decimal("0.70"),
    abc_b_share: Number = Decimal("0.90"),
    pyramid_cuts: Sequence[Number] = (Decimal("0.01"), Decimal("0.05"), Decimal("0.20")),
    rfm8_baseline: str = "mean",
    segment_grid: Mapping[tuple[int, int], str] | None = None,
    rfm_score_method: str = "quantile",
    rfm_recency_edges: Sequence[Number] | None = None,
    rfm_frequency_edges: Sequence[Number] | None = None,
    rfm_monetary_edges: Sequence[Number] | None = None,
) -> dict[str, Any]:
    """Compute the RFM, ABC and pyramid marts for ``customers`` and ``orders``.

    Returns ``{"as_of_date": date | None, "rfm": {...}, "abc": {...}, "pyramid": {...}}``
    where each mart maps ``customer_id`` to a dict of its columns (without ``customer_id``
    and ``as_of_date``):

    * ``rfm``: last_order_date, recency_days, frequency, monetary, r_score, f_score,
      m_score, fm_score, rfm_cell, rfm8_segment, rfm_segment.
    * ``abc``: abc_measure_value, abc_rank, cum_share_before (float), abc_class.
    * ``pyramid``: value_window_revenue, pyramid_rank, pyramid_position (float or None),
      pyramid_tier.

    ``as_of_date`` defaults to the day after the latest ``ordered_at`` of a valid order;
    with no valid order and no explicit date it is ``None`` and every mart is empty (as
    SQL comparisons against a NULL date keep no row).
    """
    # ---- parameters ----------------------------------------------------------------
    if abc_measure not in ("amount", "margin"):
        raise ValueError(f"abc_measure must be 'amount' or 'margin', got {abc_measure!r}")
    if rfm8_baseline not in ("mean", "median"):
        raise ValueError(f"rfm8_baseline must be 'mean' or 'median', got {rfm8_baseline!r}")
    if rfm_score_method not in ("quantile", "fixed"):
        raise ValueError(
            f"rfm_score_method must be 'quantile' or 'fixed', got {rfm_score_method!r}"
        )
    if isinstance(value_window_days, bool) or value_window_days < 1:
        raise ValueError(f"value_window_days must be a positive integer, got {value_window_days}")
    if rfm_window_days is not None and (isinstance(rfm_window_days, bool) or rfm_window_days < 1):
        raise ValueError(f"rfm_window_days must be null or positive, got {rfm_window_days}")
    a_share, b_share = _exact(abc_a_share), _exact(abc_b_share)
    if not 0 < a_share <= b_share <= 1:
        raise ValueError(f"need 0 < abc_a_share <= abc_b_share <= 1, got {a_share}, {b_share}")
    cuts = [_exact(c) for c in pyramid_cuts]
    if len(cuts) != 3 or not 0 < cuts[0] <= cuts[1] <= cuts[2] <= 1:
        raise ValueError(f"pyramid_cuts must be 3 ascending shares in (0, 1], got {cuts}")
    grid = DEFAULT_SEGMENT_GRID if segment_grid is None else segment_grid
    if rfm_score_method == "fixed":
        r_edges = _check_edges("rfm_recency_edges", rfm_recency_edges)
        f_edges = _check_edges("rfm_frequency_edges", rfm_frequency_edges)
        m_edges = _check_edges("rfm_monetary_edges", rfm_monetary_edges)

    customer_rows = list(customers)
    order_rows = list(orders)

    # ---- analysis date and scope ---------------------------------------------------
    if as_of_date is not None:
        as_of: dt.date | None = _as_date(as_of_date)
    else:
        valid_days = [_day(o[1]) for o in order_rows if o[2] == VALID_STATUS and o[1] is not None]
        as_of = max(valid_days) + dt.timedelta(days=1) if valid_days else None
    result: dict[str, Any] = {"as_of_date": as_of, "rfm": {}, "abc": {}, "pyramid": {}}
    if as_of is None:
        return result

    value_start = as_of - dt.timedelta(days=value_window_days)
    rfm_start = None if rfm_window_days is None else as_of - dt.timedelta(days=rfm_window_days)

    facts: dict[str, _Facts] = {}
    for customer_id, created_at in customer_rows:
        # created_at NULL compares unknown in SQL, so such a customer is out of scope
        if created_at is None or _day(created_at) >= as_of:
            continue
        if customer_id in facts:
            raise ValueError(f"customer_id {customer_id!r} appears twice")
        facts[customer_id] = _Facts()

    for customer_id, ordered_at, status, amount, cost in order_rows:
        if status != VALID_STATUS or ordered_at is None or customer_id not in facts:
            continue
        day = _day(ordered_at)
        if day >= as_of:
            continue
        f = facts[customer_id]
        amount_value = ZERO if amount is None else amount
        if f.last_order_day is None or day > f.last_order_day:
            f.last_order_day = day
        if rfm_start is None or day >= rfm_start:
            f.rfm_frequency += 1
            f.rfm_monetary += amount_value
        if day >= value_start:
            f.window_amount += amount_value
            # an order with unknown cost (or amount) contributes nothing to the margin
            if cost is not None and amount is not None:
                f.window_margin += amount - cost

    # ---- RFM -----------------------------------------------------------------------
    last_day = {cid: f.last_order_day for cid, f in facts.items() if f.last_order_day is not None}
    rfm_ids = list(last_day)
    recency = {cid: (as_of - day).days for cid, day in last_day.items()}
    frequency = {cid: facts[cid].rfm_frequency for cid in rfm_ids}
    monetary = {cid: facts[cid].rfm_monetary for cid in rfm_ids}
    n = len(rfm_ids)

    if rfm_score_method == "quantile":
        # recency ranked descending: rank by the negated value ascending
        r_rank = _rank_ascending({cid: Fraction(-v) for cid, v in recency.items()})
        f_rank = _rank_ascending({cid: Fraction(v) for cid, v in frequency.items()})
        m_rank = _rank_ascending({cid: Fraction(v) for cid, v in monetary.items()})
        r_score = {cid: quantile_score(r_rank[cid], n) for cid in rfm_ids}
        f_score = {cid: quantile_score(f_rank[cid], n) for cid in rfm_ids}
        m_score = {cid: quantile_score(m_rank[cid], n) for cid in rfm_ids}
    else:
        r_score = {cid: 5 - sum(recency[cid] > e for e in r_edges) for cid in rfm_ids}
        f_score = {cid: 1 + sum(frequency[cid] >= e for e in f_edges) for cid in rfm_ids}
        m_score = {cid: 1 + sum(Fraction(monetary[cid]) >= e for e in m_edges) for cid in rfm_ids}

    r_base = f_base = m_base = Fraction(0)
    if n:
        r_vals = [Fraction(v) for v in recency.values()]
        f_vals = [Fraction(v) for v in frequency.values()]
        m_vals = [Fraction(v) for v in monetary.values()]
        if rfm8_baseline == "mean":
            r_base, f_base, m_base = (sum(v, Fraction(0)) / n for v in (r_vals, f_vals, m_vals))
        else:
            r_base, f_base, m_base = (_median(v) for v in (r_vals, f_vals, m_vals))

    for cid in sorted(rfm_ids):
        fm = (f_score[cid] + m_score[cid] + 1) // 2  # ceil((f + m) / 2)
        key = (
            recency[cid] < r_base,
            frequency[cid] > f_base,
            Fraction(monetary[cid]) > m_base,
        )
        result["rfm"][cid] = {
            "last_order_date": last_day[cid],
            "recency_days": recency[cid],
            "frequency": frequency[cid],
            "monetary": monetary[cid],
            "r_score": r_score[cid],
            "f_score": f_score[cid],
            "m_score": m_score[cid],
            "fm_score": fm,
            "rfm_cell": f"{r_score[cid]}{f_score[cid]}{m_score[cid]}",
            "rfm8_segment": RFM8_CODES[key],
            "rfm_segment": grid.get((r_score[cid], fm)),
        }

    # ---- ABC -----------------------------------------------------------------------
    def measure(cid: str) -> Decimal:
        f = facts[cid]
        return f.window_amount if abc_measure == "amount" else f.window_margin

    abc_ids = sorted((cid for cid in facts if measure(cid) > 0), key=lambda c: (-measure(c), c))
    total = sum((measure(cid) for cid in abc_ids), ZERO)
    cum_before = ZERO
    for rank, cid in enumerate(abc_ids, start=1):
        before = Fraction(cum_before)
        if before < a_share * Fraction(total):
            abc_class = "A"
        elif before < b_share * Fraction(total):
            abc_class = "B"
        else:
            abc_class = "C"
        result["abc"][cid] = {
            "abc_measure_value": measure(cid),
            "abc_rank": rank,
            "cum_share_before": float(before / Fraction(total)),
            "abc_class": abc_class,
        }
        cum_before += measure(cid)

    # ---- pyramid -------------------------------------------------------------------
    # paying = positive amount in the value window; ordered by the ABC measure desc,
    # then customer_id (with margin, non-positive margins naturally sort after positive)
    paying = sorted(
        (cid for cid, f in facts.items() if f.window_amount > 0),
        key=lambda c: (-measure(c), c),
    )
    count = len(paying)
    for rank, cid in enumerate(paying, start=1):
        if rank <= cuts[0] * count:
            tier = "top"
        elif rank <= cuts[1] * count:
            tier = "big"
        elif rank <= cuts[2] * count:
            tier = "medium"
        else:
            tier = "small"
        result["pyramid"][cid] = {
            "value_window_revenue": facts[cid].window_amount,
            "pyramid_rank": rank,
            "pyramid_position": rank / count,
            "pyramid_tier": tier,
        }
    for cid in sorted(facts):
        if cid in result["pyramid"]:
            continue
        f = facts[cid]
        result["pyramid"][cid] = {
            "value_window_revenue": f.window_amount,
            "pyramid_rank": None,
            "pyramid_position": None,
            "pyramid_tier": "inactive" if f.last_order_day is not None else "prospect",
        }
    result["pyramid"] = dict(sorted(result["pyramid"].items()))
    return result


def _to_decimal(value: Any) -> Decimal | None:
    """Read a DuckDB numeric as ``Decimal`` (a float through its shortest repr)."""
    if value is None or isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def load_from_duckdb(path: str | Path) -> tuple[list[Customer], list[Order]]:
    """Read the staging customers and orders of the warehouse at ``path`` (read-only)."""
    import duckdb  # local import: the pure computation needs no DuckDB

    with duckdb.connect(str(path), read_only=True) as con:
        customers: list[Customer] = [
            (row[0], row[1])
            for row in con.execute(
                "select customer_id, created_at from staging.stg_crm__customers"
            ).fetchall()
        ]
        orders: list[Order] = [
            (row[0], row[1], row[2], _to_decimal(row[3]), _to_decimal(row[4]))
            for row in con.execute(
                "select customer_id, ordered_at, status, amount, cost from staging.stg_crm__orders"
            ).fetchall()
        ]
    return customers, orders
