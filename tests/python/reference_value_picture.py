"""Independent reference implementation of the value dimensions, lifecycle and quality score.

Written from the value-model spec ("Six value dimensions" .. "Quality-customer score") and
the issue-5 interface rulings only, never from the dbt SQL, so that comparing
``marts.fct_customer_value_dimensions``, ``marts.fct_customer_lifecycle`` and
``marts.fct_customer_quality`` against it catches mistakes in either. Every comparison
that decides a level, class, stage, type or tier uses integers, ``Decimal`` or
``Fraction``; floats appear only in the reported ``satisfaction_ratio``,
``purchase_cycle_days``, ``*_percent_rank`` and ``quality_score`` (and in ``p_alive``,
which is read as served and compared through its shortest decimal repr).

Input conventions (``inputs`` as returned by :func:`load_picture_inputs`):

* ``customers``: list of ``(customer_id, created_at)``.
* ``orders``: list of ``(customer_id, ordered_at, status, quantity, amount, cost)``;
  ``quantity`` is an ``int`` or ``Decimal`` or ``None``, ``amount`` a ``Decimal``,
  ``cost`` a ``Decimal`` or ``None``. A *valid order* has ``status == "completed"``.
* ``receivables``: list of ``(customer_id, issued_at, due_at, amount, paid_amount,
  paid_at)``; ``paid_at`` may be ``None``.
* ``service_tickets``: list of ``(customer_id, opened_at, ticket_type,
  handling_minutes)``; ``handling_minutes`` may be ``None``.
* ``surveys``: list of ``(response_id, customer_id, responded_at, expectation_score,
  perception_score, recommend_score)``; ``recommend_score`` may be ``None``.
* ``pyramid``: ``{customer_id: pyramid_tier}`` from ``marts.fct_customer_pyramid``.
* ``clv``: ``{customer_id: {"p_alive": float | None, "clv": Decimal | None}}`` from
  ``marts.fct_customer_clv``.

Timestamps are compared with dates by their calendar date: ``t`` is in ``[d1, d2)`` when
``d1 <= t.date() < d2``. "Half-up" rounding is ``ROUND_HALF_UP`` of the ``decimal``
module, i.e. half away from zero, which is also what DuckDB's ``round`` does on decimals.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from itertools import pairwise
from pathlib import Path
from types import MappingProxyType
from typing import Any

from reference_value_model import _as_date, _day

try:  # dateutil ships with pandas; fall back to the same clamped arithmetic without it
    from dateutil.relativedelta import relativedelta
except ImportError:  # pragma: no cover - the project venv has it
    relativedelta = None

__all__ = [
    "DEFAULT_QUALITY_WEIGHTS",
    "QUALITY_MEASURES",
    "compute_picture",
    "load_picture_inputs",
    "months_before",
    "round_half_up",
    "tercile_level",
]

Number = int | Decimal | Fraction | float | str

VALID_STATUS = "completed"
COMPLAINT = "complaint"
ZERO = Decimal("0")

#: The six quality measures, in the order of the spec.
QUALITY_MEASURES: tuple[str, ...] = (
    "revenue",
    "volume",
    "margin",
    "overdue_debt",
    "purchase_cycle",
    "cost_to_serve",
)

#: The rulings' default ``quality_weights`` (they sum to 1).
DEFAULT_QUALITY_WEIGHTS: Mapping[str, Decimal] = MappingProxyType(
    {
        "revenue": Decimal("0.25"),
        "volume": Decimal("0.15"),
        "margin": Decimal("0.20"),
        "overdue_debt": Decimal("0.15"),
        "purchase_cycle": Decimal("0.15"),
        "cost_to_serve": Decimal("0.10"),
    }
)

#: Pyramid tiers that, with high loyalty, make a customer ``loyal``.
LOYAL_TIERS = frozenset({"top", "big", "medium"})


# ------------------------------------------------------------------------------ helpers


def _exact(value: Number) -> Fraction:
    """An exact rational for ``value``; a float is read through its shortest decimal repr."""
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number here")
    if isinstance(value, float):
        return Fraction(Decimal(repr(value)))
    if isinstance(value, str):
        return Fraction(Decimal(value))
    return Fraction(value)


def _exact_decimal(value: Number) -> Decimal:
    """``value`` as a ``Decimal`` without rounding (a float through its shortest repr)."""
    return _fraction_to_decimal(_exact(value))


def _fraction_to_decimal(value: Fraction) -> Decimal:
    """The ``Decimal`` equal to ``value``; raises if ``value`` has no finite decimal form."""
    den, twos, fives = value.denominator, 0, 0
    while den % 2 == 0:
        den, twos = den // 2, twos + 1
    while den % 5 == 0:
        den, fives = den // 5, fives + 1
    if den != 1:
        raise ValueError(f"{value} has no finite decimal expansion")
    places = max(twos, fives)
    units = value.numerator * 10**places // value.denominator  # exact: den divides 10**places
    return Decimal(f"{units}E-{places}")  # built from a string: no context rounding


def round_half_up(value: Number, places: int) -> Decimal:
    """``value`` rounded to ``places`` decimals, ties away from zero, exactly."""
    exact = _exact(value)
    magnitude = abs(exact) * 10**places
    units = (2 * magnitude.numerator + magnitude.denominator) // (2 * magnitude.denominator)
    if exact < 0:
        units = -units
    return Decimal(f"{units}E-{places}")


def months_before(day: dt.date, months: int) -> dt.date:
    """``day`` minus ``months`` calendar months, the day clamped to the month's end.

    Same as DuckDB's ``day - interval (months) month`` and dateutil's ``relativedelta``:
    2024-05-31 minus 3 months is 2024-02-29.
    """
    if relativedelta is not None:
        return day - relativedelta(months=months)
    index = day.year * 12 + (day.month - 1) - months  # pragma: no cover
    year, month = divmod(index, 12)  # pragma: no cover
    month += 1  # pragma: no cover
    next_first = dt.date(year + (month == 12), month % 12 + 1, 1)  # pragma: no cover
    last = (next_first - dt.timedelta(days=1)).day  # pragma: no cover
    return dt.date(year, month, min(day.day, last))  # pragma: no cover


def tercile_level(rank: int, n: int) -> str:
    """Tercile of SQL ``rank()`` (ascending, 1-based) among ``n`` rows, in integers.

    ``percent_rank = (rank - 1) / (n - 1)``: high when >= 2/3, medium when >= 1/3, else
    low; a lone row (n = 1) is low.
    """
    if n < 1 or not 1 <= rank <= n:
        raise ValueError(f"rank {rank} out of range for n = {n}")
    if n == 1:
        return "low"
    if 3 * (rank - 1) >= 2 * (n - 1):
        return "high"
    if 3 * (rank - 1) >= n - 1:
        return "medium"
    return "low"


def _rank_ascending(values: Mapping[str, Any]) -> dict[str, int]:
    """SQL ``rank()`` ordered ascending: 1 + number of rows with a strictly smaller value."""
    ordered = sorted(values.values())
    return {key: bisect_left(ordered, value) + 1 for key, value in values.items()}


def _terciles(values: Mapping[str, Any]) -> dict[str, str]:
    """Tercile level of each key, ranked ascending on its (exactly comparable) value."""
    ranks = _rank_ascending(values)
    n = len(values)
    return {key: tercile_level(rank, n) for key, rank in ranks.items()}


def _rank_nulls_worst(values: Mapping[str, Any], *, descending: bool) -> dict[str, int]:
    """SQL ``rank()`` where a higher rank is better and ``None`` ranks worst (rank 1).

    Ascending: ``order by value asc nulls first``; descending (an inverted measure, where
    less is better): ``order by value desc nulls first``. Ties share the lowest rank.
    """
    present = sorted(v for v in values.values() if v is not None)
    nulls = len(values) - len(present)
    ranks: dict[str, int] = {}
    for key, value in values.items():
        if value is None:
            ranks[key] = 1
        elif descending:
            # rows before it: the nulls and every strictly greater value
            ranks[key] = 1 + nulls + (len(present) - bisect_right(present, value))
        else:
            ranks[key] = 1 + nulls + bisect_left(present, value)
    return ranks


def _median(values: Sequence[Fraction]) -> Fraction:
    """Median; for an even count the mean of the two middle values (``quantile_cont(0.5)``)."""
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[mid]
    return (ordered[mid - 1] + ordered[mid]) / 2


def _level_at_least(value: Fraction, high_min: Fraction, medium_min: Fraction) -> str:
    if value >= high_min:
        return "high"
    if value >= medium_min:
        return "medium"
    return "low"


def _check_count(name: str, value: int, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return value


# ------------------------------------------------------------------------------ facts


@dataclass
class _Facts:
    """What the three marts need to know of one in-scope customer."""

    purchase_days: set[dt.date] = field(default_factory=set)
    all_amounts: list[Decimal] = field(default_factory=list)
    window_amounts: list[Decimal] = field(default_factory=list)
    window_quantities: list[Decimal] = field(default_factory=list)
    window_margins: list[Decimal] = field(default_factory=list)
    window_days: set[dt.date] = field(default_factory=set)
    window_ratios: list[Fraction] = field(default_factory=list)
    surveys_in_window: int = 0
    latest_recommend: tuple[Any, Any, int] | None = None  # (responded_at, response_id, score)
    complaints: int = 0
    service_minutes: Decimal = ZERO
    overdue_debt: Decimal = ZERO


def compute_picture(
    inputs: Mapping[str, Any],
    as_of_date: dt.date | str,
    *,
    value_window_days: int = 365,
    new_customer_days: int = 90,
    loyalty_min_tenure_days: int = 365,
    loyalty_min_active_quarters: int = 3,
    loyalty_medium_min_orders: int = 2,
    satisfaction_medium_min: Number = Decimal("0.8"),
    satisfaction_high_min: Number = Decimal("1.0"),
    churn_risk_high_below: Number = Decimal("0.3"),
    churn_risk_medium_below: Number = Decimal("0.7"),
    nps_promoter_min: int = 9,
    nps_detractor_max: int = 6,
    quality_weights: Mapping[str, Number] = DEFAULT_QUALITY_WEIGHTS,
    quality_top_share: Number = Decimal("0.20"),
    cost_per_service_minute: Number = Decimal("1.0"),
    default_margin_rate: Number = Decimal("0.30"),
) -> dict[str, dict[str, dict[str, Any]]]:
    """Compute the value dimensions, lifecycle and quality marts as of ``as_of_date``.

    Returns ``{"dimensions": {...}, "lifecycle": {...}, "quality": {...}}``, each mapping
    ``customer_id`` to a dict of the mart's columns (without ``customer_id`` and
    ``as_of_date``), customers sorted by id, columns in this order:

    * ``dimensions`` (every customer in scope): has_valid_order, mean_order_amount,
      purchasing_power, value_window_orders, purchase_frequency, clv, purchase_potential,
      surveys_in_window, satisfaction_ratio, satisfaction, active_quarters, tenure_days,
      loyalty, p_alive, churn_risk, complaints, latest_recommend_score, nps_class.
    * ``lifecycle`` (every customer in scope): first_order_date, last_order_date,
      previous_order_date, lifecycle_stage, loyalty_type.
    * ``quality`` (every paying customer, i.e. a valid order in the value window): revenue,
      volume, margin, overdue_debt, purchase_cycle_days, service_minutes, cost_to_serve,
      the six ``*_percent_rank``, quality_points, quality_score, quality_rank,
      is_quality_customer, net_value, is_unprofitable, quality_tier.
    """
    # ---- parameters ----------------------------------------------------------------
    as_of = _as_date(as_of_date)
    _check_count("value_window_days", value_window_days, 1)
    _check_count("new_customer_days", new_customer_days)
    _check_count("loyalty_min_tenure_days", loyalty_min_tenure_days)
    _check_count("loyalty_min_active_quarters", loyalty_min_active_quarters)
    _check_count("loyalty_medium_min_orders", loyalty_medium_min_orders)
    sat_medium, sat_high = _exact(satisfaction_medium_min), _exact(satisfaction_high_min)
    if sat_medium > sat_high:
        raise ValueError("satisfaction_medium_min must not exceed satisfaction_high_min")
    churn_high, churn_medium = _exact(churn_risk_high_below), _exact(churn_risk_medium_below)
    if churn_high > churn_medium:
        raise ValueError("churn_risk_high_below must not exceed churn_risk_medium_below")
    promoter_min = _exact(nps_promoter_min)
    detractor_max = _exact(nps_detractor_max)
    if detractor_max >= promoter_min:
        raise ValueError("nps_detractor_max must be below nps_promoter_min")
    if set(quality_weights) != set(QUALITY_MEASURES):
        raise ValueError(f"quality_weights must have exactly the keys {QUALITY_MEASURES}")
    weights = {key: _exact_decimal(quality_weights[key]) for key in QUALITY_MEASURES}
    if any(w < 0 for w in weights.values()) or sum(weights.values(), ZERO) != 1:
        raise ValueError(f"quality_weights must be >= 0 and sum to 1, got {weights}")
    top_share = _exact(quality_top_share)
    if not 0 <= top_share <= 1:
        raise ValueError(f"quality_top_share must be in [0, 1], got {top_share}")
    minute_cost = _exact(cost_per_service_minute)
    margin_rate = _exact(default_margin_rate)
    if minute_cost < 0 or margin_rate < 0:
        raise ValueError("cost_per_service_minute and default_margin_rate must be >= 0")

    window_start = as_of - dt.timedelta(days=value_window_days)

    def in_window(day: dt.date) -> bool:
        return window_start <= day < as_of

    # quarter q (1..4) covers [as_of - 3q months, as_of - 3(q-1) months)
    quarter_edges = [months_before(as_of, 3 * q) for q in range(5)]

    # ---- scope and per-customer facts ----------------------------------------------
    facts: dict[str, _Facts] = {}
    for customer_id, created_at in inputs["customers"]:
        # a NULL created_at compares unknown in SQL: out of scope
        if created_at is None or _day(created_at) >= as_of:
            continue
        if customer_id in facts:
            raise ValueError(f"customer_id {customer_id!r} appears twice")
        facts[customer_id] = _Facts()

    window_orders: dict[str, int] = dict.fromkeys(facts, 0)
    for customer_id, ordered_at, status, quantity, amount, cost in inputs["orders"]:
        if customer_id not in facts or status != VALID_STATUS or ordered_at is None:
            continue
        day = _day(ordered_at)
        if day >= as_of:
            continue
        f = facts[customer_id]
        f.purchase_days.add(day)
        f.all_amounts.append(amount)
        if in_window(day):
            window_orders[customer_id] += 1
            f.window_days.add(day)
            f.window_amounts.append(amount)
            if quantity is not None:
                f.window_quantities.append(_exact_decimal(quantity))
            if cost is not None:
                f.window_margins.append(amount - cost)

    for customer_id, issued_at, due_at, amount, paid_amount, paid_at in inputs["receivables"]:
        if customer_id not in facts or issued_at is None or due_at is None:
            continue
        if _day(issued_at) >= as_of or _day(due_at) >= as_of:
            continue
        if paid_at is None:
            facts[customer_id].overdue_debt += amount - paid_amount
        elif _day(paid_at) >= as_of:
            facts[customer_id].overdue_debt += amount  # still wholly open on as_of_date

    for customer_id, opened_at, ticket_type, handling_minutes in inputs["service_tickets"]:
        if customer_id not in facts or opened_at is None or not in_window(_day(opened_at)):
            continue
        f = facts[customer_id]
        if ticket_type == COMPLAINT:
            f.complaints += 1
        if handling_minutes is not None:
            f.service_minutes += _exact_decimal(handling_minutes)

    for response_id, customer_id, responded_at, expectation, perception, recommend in inputs[
        "surveys"
    ]:
        if customer_id not in facts or responded_at is None:
            continue
        if not in_window(_day(responded_at)):
            continue
        f = facts[customer_id]
        f.surveys_in_window += 1
        if expectation is not None and perception is not None and expectation != 0:
            f.window_ratios.append(_exact(perception) / _exact(expectation))
        if recommend is not None:
            candidate = (responded_at, response_id, int(recommend))
            if f.latest_recommend is None or candidate[:2] > f.latest_recommend[:2]:
                f.latest_recommend = candidate

    pyramid: Mapping[str, str] = inputs.get("pyramid", {})
    clv_rows: Mapping[str, Mapping[str, Any]] = inputs.get("clv", {})

    # ---- value dimensions ----------------------------------------------------------
    buyers = sorted(cid for cid, f in facts.items() if f.purchase_days)

    mean_amount: dict[str, Decimal] = {}
    for cid in buyers:
        f = facts[cid]
        amounts = f.window_amounts or f.all_amounts
        total = sum((_exact(a) for a in amounts), Fraction(0))
        mean_amount[cid] = round_half_up(total / len(amounts), 6)
    power = _terciles(mean_amount)
    frequency = _terciles({cid: window_orders[cid] for cid in buyers})

    clv_value: dict[str, Decimal | None] = {}
    p_alive: dict[str, float | None] = {}
    for cid in facts:
        row = clv_rows.get(cid)
        clv_value[cid] = None if row is None else row.get("clv")
        p_alive[cid] = None if row is None else row.get("p_alive")
    potential = _terciles({cid: clv_value[cid] for cid in buyers if clv_value[cid] is not None})

    dimensions: dict[str, dict[str, Any]] = {}
    for cid in sorted(facts):
        f = facts[cid]
        has_order = bool(f.purchase_days)
        first_day = min(f.purchase_days) if has_order else None
        orders_in_window = window_orders[cid]

        if f.window_ratios:
            ratio = sum(f.window_ratios, Fraction(0)) / len(f.window_ratios)
            satisfaction = _level_at_least(ratio, sat_high, sat_medium)
            satisfaction_ratio: float | None = float(ratio)
        else:
            satisfaction, satisfaction_ratio = "unknown", None

        active_quarters = sum(
            1
            for q in range(1, 5)
            if any(quarter_edges[q] <= d < quarter_edges[q - 1] for d in f.purchase_days)
        )
        tenure = (as_of - first_day).days if first_day is not None else None
        if (
            tenure is not None
            and tenure >= loyalty_min_tenure_days
            and active_quarters >= loyalty_min_active_quarters
        ):
            loyalty = "high"
        elif orders_in_window >= loyalty_medium_min_orders:
            loyalty = "medium"
        else:
            loyalty = "low"

        alive = p_alive[cid]
        if alive is None:
            churn_risk = "unknown"
        elif _exact(alive) < churn_high:
            churn_risk = "high"
        elif _exact(alive) < churn_medium:
            churn_risk = "medium"
        else:
            churn_risk = "low"

        score = None if f.latest_recommend is None else f.latest_recommend[2]
        if score is None:
            nps_class = None
        elif score >= promoter_min:
            nps_class = "promoter"
        elif score <= detractor_max:
            nps_class = "detractor"
        else:
            nps_class = "passive"

        dimensions[cid] = {
            "has_valid_order": has_order,
            "mean_order_amount": mean_amount.get(cid),
            "purchasing_power": power.get(cid, "unknown"),
            "value_window_orders": orders_in_window,
            "purchase_frequency": ("low" if orders_in_window == 0 else frequency.get(cid, "low")),
            "clv": clv_value[cid],
            "purchase_potential": potential.get(cid, "unknown") if has_order else "unknown",
            "surveys_in_window": f.surveys_in_window,
            "satisfaction_ratio": satisfaction_ratio,
            "satisfaction": satisfaction,
            "active_quarters": active_quarters,
            "tenure_days": tenure,
            "loyalty": loyalty,
            "p_alive": alive,
            "churn_risk": churn_risk,
            "complaints": f.complaints,
            "latest_recommend_score": score,
            "nps_class": nps_class,
        }

    # ---- lifecycle -----------------------------------------------------------------
    lifecycle: dict[str, dict[str, Any]] = {}
    for cid in sorted(facts):
        days = sorted(facts[cid].purchase_days)
        dim = dimensions[cid]
        first = days[0] if days else None
        last = days[-1] if days else None
        previous = days[-2] if len(days) >= 2 else None
        orders_in_window = dim["value_window_orders"]
        if first is None:
            stage = "prospect"
        elif (as_of - first).days <= new_customer_days:
            stage = "new"
        elif (
            orders_in_window > 0
            and previous is not None
            and (last - previous).days >= value_window_days
        ):
            stage = "reactivated"
        elif orders_in_window > 0:
            stage = "mature"
        else:
            stage = "lost"

        if first is not None and (orders_in_window == 0 or dim["churn_risk"] == "high"):
            loyalty_type = "lost"
        elif dim["loyalty"] == "high" and pyramid.get(cid) in LOYAL_TIERS:
            loyalty_type = "loyal"
        elif first is None or stage == "new" or dim["purchase_potential"] == "high":
            loyalty_type = "potential"
        else:
            loyalty_type = "marginal"

        lifecycle[cid] = {
            "first_order_date": first,
            "last_order_date": last,
            "previous_order_date": previous,
            "lifecycle_stage": stage,
            "loyalty_type": loyalty_type,
        }

    # ---- quality score -------------------------------------------------------------
    paying = sorted(cid for cid in facts if window_orders[cid] > 0)
    n = len(paying)
    measures: dict[str, dict[str, Any]] = {m: {} for m in QUALITY_MEASURES}
    quality: dict[str, dict[str, Any]] = {}
    exact_cost: dict[str, Fraction] = {}
    for cid in paying:
        f = facts[cid]
        revenue = sum(f.window_amounts, ZERO)
        volume_total = sum(f.window_quantities, ZERO) if f.window_quantities else None
        volume: int | Decimal | None = volume_total
        if volume_total is not None and volume_total == volume_total.to_integral_value():
            volume = int(volume_total)
        margin = sum(f.window_margins, ZERO) if f.window_margins else None
        window_days = sorted(f.window_days)
        gaps = [Fraction((b - a).days) for a, b in pairwise(window_days)]
        cycle = _median(gaps) if gaps else None
        exact_cost[cid] = _exact(f.service_minutes) * minute_cost

        measures["revenue"][cid] = revenue
        measures["volume"][cid] = volume
        measures["margin"][cid] = margin
        measures["overdue_debt"][cid] = f.overdue_debt
        measures["purchase_cycle"][cid] = cycle
        measures["cost_to_serve"][cid] = exact_cost[cid]
        quality[cid] = {
            "revenue": revenue,
            "volume": volume,
            "margin": margin,
            "overdue_debt": f.overdue_debt,
            "purchase_cycle_days": None if cycle is None else float(cycle),
            "service_minutes": f.service_minutes,
            "cost_to_serve": round_half_up(exact_cost[cid], 2),
        }

    inverted = {"overdue_debt", "purchase_cycle", "cost_to_serve"}
    ranks = {m: _rank_nulls_worst(measures[m], descending=m in inverted) for m in QUALITY_MEASURES}
    points: dict[str, Decimal] = {}
    for cid in paying:
        total_points = sum(
            (Fraction(weights[m]) * (ranks[m][cid] - 1) for m in QUALITY_MEASURES), Fraction(0)
        )
        points[cid] = _fraction_to_decimal(total_points)
        row = quality[cid]
        for m in QUALITY_MEASURES:
            row[f"{m}_percent_rank"] = 0.0 if n == 1 else (ranks[m][cid] - 1) / (n - 1)
        row["quality_points"] = points[cid]
        row["quality_score"] = 0.0 if n == 1 else float(Fraction(points[cid]) / (n - 1))

    for position, cid in enumerate(sorted(paying, key=lambda c: (-points[c], c)), start=1):
        row = quality[cid]
        margin = row["margin"]
        base = _exact(margin) if margin is not None else _exact(row["revenue"]) * margin_rate
        net = base - exact_cost[cid] - _exact(row["overdue_debt"])
        is_quality = position <= n * top_share
        row["quality_rank"] = position
        row["is_quality_customer"] = is_quality
        row["net_value"] = round_half_up(net, 2)
        row["is_unprofitable"] = net < 0
        if is_quality:
            row["quality_tier"] = "quality"
        elif net < 0:
            row["quality_tier"] = "unprofitable"
        else:
            row["quality_tier"] = "standard"

    return {
        "dimensions": dimensions,
        "lifecycle": lifecycle,
        "quality": {cid: quality[cid] for cid in paying},
    }


# ------------------------------------------------------------------------------ loading


def _to_decimal(value: Any) -> Decimal | None:
    """Read a DuckDB numeric as ``Decimal`` (a float through its shortest repr)."""
    if value is None or isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def _rows(con: Any, sql: str) -> Iterable[tuple]:
    return con.execute(sql).fetchall()


def load_picture_inputs(path: str | Path) -> dict[str, Any]:
    """Read the staging tables and the pyramid and CLV marts of the warehouse at ``path``.

    Opens the DuckDB file read-only and returns the ``inputs`` mapping that
    :func:`compute_picture` takes (see the module docstring for its shape).
    """
    import duckdb  # local import: the pure computation needs no DuckDB

    with duckdb.connect(str(path), read_only=True) as con:
        customers = [
            (cid, created_at)
            for cid, created_at in _rows(
                con, "select customer_id, created_at from staging.stg_crm__customers"
            )
        ]
        orders = [
            (cid, ordered_at, status, _to_decimal(quantity), _to_decimal(amount), _to_decimal(cost))
            for cid, ordered_at, status, quantity, amount, cost in _rows(
                con,
                "select customer_id, ordered_at, status, quantity, amount, cost"
                " from staging.stg_crm__orders",
            )
        ]
        receivables = [
            (cid, issued_at, due_at, _to_decimal(amount), _to_decimal(paid), paid_at)
            for cid, issued_at, due_at, amount, paid, paid_at in _rows(
                con,
                "select customer_id, issued_at, due_at, amount, paid_amount, paid_at"
                " from staging.stg_crm__receivables",
            )
        ]
        tickets = [
            (cid, opened_at, ticket_type, _to_decimal(minutes))
            for cid, opened_at, ticket_type, minutes in _rows(
                con,
                "select customer_id, opened_at, ticket_type, handling_minutes"
                " from staging.stg_crm__service_tickets",
            )
        ]
        surveys = [
            (
                response_id,
                cid,
                responded_at,
                _to_decimal(expectation),
                _to_decimal(perception),
                None if recommend is None else int(recommend),
            )
            for response_id, cid, responded_at, expectation, perception, recommend in _rows(
                con,
                "select response_id, customer_id, responded_at, expectation_score,"
                " perception_score, recommend_score from staging.stg_crm__surveys",
            )
        ]
        pyramid: dict[str, str] = {}
        for cid, tier in _rows(
            con, "select customer_id, pyramid_tier from marts.fct_customer_pyramid"
        ):
            if cid in pyramid:
                raise ValueError(f"fct_customer_pyramid has customer_id {cid!r} twice")
            pyramid[cid] = tier
        clv: dict[str, dict[str, Any]] = {}
        for cid, alive, value in _rows(
            con, "select customer_id, p_alive, clv from marts.fct_customer_clv"
        ):
            if cid in clv:
                raise ValueError(f"fct_customer_clv has customer_id {cid!r} twice")
            clv[cid] = {
                "p_alive": None if alive is None else float(alive),
                "clv": _to_decimal(value),
            }
    return {
        "customers": customers,
        "orders": orders,
        "receivables": receivables,
        "service_tickets": tickets,
        "surveys": surveys,
        "pyramid": pyramid,
        "clv": clv,
    }
