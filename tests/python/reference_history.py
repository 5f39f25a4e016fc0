"""Independent reference implementation of the tier-history marts, written from issue 12
and the seeds' documented meaning, never from the dbt SQL: the migration between
consecutive snapshots, the effect of each tier, the key customers at risk, the cohort
retention table, and each customer's latest tier change. Inputs are plain rows read from a
serving file (the history) or a work database (the accepted orders); every count is an int
and every sum a Decimal.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from decimal import Decimal
from itertools import pairwise
from pathlib import Path

SEEDS = Path(__file__).resolve().parents[2] / "seeds" / "value_model"
# The scheme -> the history column holding its tier (the schemes of the tier-strategy seed).
SCHEMES = {
    "abc": "abc_class",
    "pyramid": "pyramid_tier",
    "rfm8": "rfm8_segment",
    "rfm_segment": "rfm_segment",
    "loyalty_type": "loyalty_type",
    "lifecycle_stage": "lifecycle_stage",
    "quality": "quality_tier",
    "purchasing_power": "purchasing_power",
    "purchase_frequency": "purchase_frequency",
    "purchase_potential": "purchase_potential",
    "satisfaction": "satisfaction",
    "loyalty": "loyalty",
    "churn_risk": "churn_risk",
}
OUT = "not_in_scope"


def _seed(name: str) -> list[dict[str, str]]:
    with open(SEEDS / f"{name}.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def value_ranks() -> dict[tuple[str, str], int]:
    return {(r["scheme"], r["tier_code"]): int(r["value_rank"]) for r in _seed("tier_value_rank")}


def by_date(history: list[dict]) -> dict[dt.date, dict[str, dict]]:
    """{as_of_date: {customer_id: row}}."""
    snapshots: dict[dt.date, dict[str, dict]] = defaultdict(dict)
    for row in history:
        snapshots[row["as_of_date"]][row["customer_id"]] = row
    return dict(sorted(snapshots.items()))


def _tier(row: dict | None, column: str) -> str:
    return OUT if row is None or row[column] is None else row[column]


def _movement(scheme: str, before: str, after: str, ranks: dict) -> str:
    if before == OUT:
        return "entered"
    if after == OUT:
        return "exited"
    if before == after:
        return "stayed"
    low, high = ranks.get((scheme, before)), ranks.get((scheme, after))
    if low is None or high is None:
        return "changed"
    return "up" if high < low else "down"


def migration(history: list[dict]) -> dict[tuple, dict]:
    """{(scheme, from_date, to_date, from_tier, to_tier): {movement, customers,
    from_revenue, to_revenue, bought_again_customers}}."""
    ranks = value_ranks()
    snapshots = by_date(history)
    moves: dict[tuple, dict] = {}
    for (first, earlier), (second, later) in pairwise(snapshots.items()):
        for customer in set(earlier) | set(later):
            before, after = earlier.get(customer), later.get(customer)
            bought = (
                after is not None
                and after["last_order_date"] is not None
                and (after["last_order_date"] >= first)
            )
            for scheme, column in SCHEMES.items():
                a, b = _tier(before, column), _tier(after, column)
                if a == OUT and b == OUT:
                    continue
                key = (scheme, first, second, a, b)
                move = moves.setdefault(
                    key,
                    {
                        "movement": _movement(scheme, a, b, ranks),
                        "customers": 0,
                        "from_revenue": Decimal(0),
                        "to_revenue": Decimal(0),
                        "bought_again_customers": 0,
                    },
                )
                move["customers"] += 1
                move["from_revenue"] += before["value_window_revenue"] if before else 0
                move["to_revenue"] += after["value_window_revenue"] if after else 0
                move["bought_again_customers"] += int(bought)
    return moves


def tier_changes(history: list[dict], as_of: dt.date) -> dict[tuple, dict]:
    """{(customer_id, scheme): {current_tier, previous_tier, changed_on, tier_since,
    days_in_current_tier, snapshots}} for every customer of the snapshot at `as_of`, over
    the snapshots up to it. A snapshot without the customer, or without a tier in the
    scheme, is not_in_scope; the current run starts after the latest snapshot whose tier
    differs from today's (at the first snapshot when none does)."""
    snapshots = {day: rows for day, rows in by_date(history).items() if day <= as_of}
    dates = list(snapshots)
    changes: dict[tuple, dict] = {}
    for customer in snapshots.get(as_of, {}):
        for scheme, column in SCHEMES.items():
            tiers = [_tier(snapshots[day].get(customer), column) for day in dates]
            current = tiers[-1]
            differing = [i for i, tier in enumerate(tiers) if tier != current]
            start = differing[-1] + 1 if differing else 0
            changes[(customer, scheme)] = {
                "current_tier": current,
                "previous_tier": tiers[differing[-1]] if differing else None,
                "changed_on": dates[start] if differing else None,
                "tier_since": dates[start],
                "days_in_current_tier": (as_of - dates[start]).days,
                "snapshots": len(dates),
            }
    return changes


def at_risk(
    history: list[dict],
    current: dict[str, dict],
    as_of: dt.date,
    lookback_days: int | None = 365,
    flag_downgrades: bool = True,
) -> dict[str, dict]:
    """{customer_id: {key_scheme, key_tier, key_as_of_date, revenue_then, win_back_case,
    slipped_scheme, slipped_tier}} for the key customers at risk at `as_of`.

    Key: in a tier of a 'key' rule at a snapshot before as_of (and at most lookback_days
    before it); the latest such snapshot, and at it the key rule ranked first, name the key
    tier. At risk: a 'slipped' rule matches the customer's tiers at as_of (`current`, the
    labels of dim_customers), or, with flag_downgrades, it holds no key tier of the key
    scheme at as_of; the case is the first slip by rank, a downgrade last."""
    rules = _seed("key_customer_rules")
    keys = sorted(
        (int(r["rule_rank"]), r["scheme"], r["tier_code"]) for r in rules if r["rule"] == "key"
    )
    slips = sorted(
        (int(r["rule_rank"]), r["scheme"], r["tier_code"], r["win_back_case"])
        for r in rules
        if r["rule"] == "slipped"
    )
    key_tiers = {(scheme, tier) for _, scheme, tier in keys}
    found: dict[str, dict] = {}
    for customer, now in current.items():
        held = None
        for day, snapshot in sorted(by_date(history).items(), reverse=True):
            if day >= as_of or (
                lookback_days is not None and day < as_of - dt.timedelta(lookback_days)
            ):
                continue
            row = snapshot.get(customer)
            if row is None:
                continue
            matches = [(rank, s, t) for rank, s, t in keys if row[SCHEMES[s]] == t]
            if matches:
                _, scheme, tier = min(matches)
                held = (day, scheme, tier, row["value_window_revenue"])
                break
        if held is None:
            continue
        day, key_scheme, key_tier, revenue_then = held
        cases = [
            (rank, scheme, tier, case)
            for rank, scheme, tier, case in slips
            if now[SCHEMES[scheme]] == tier
        ]
        now_key_tier = now[SCHEMES[key_scheme]]
        if flag_downgrades and (key_scheme, now_key_tier) not in key_tiers:
            cases.append((10**9, key_scheme, now_key_tier or OUT, "downgraded"))
        if not cases:
            continue
        _, slip_scheme, slip_tier, case = min(cases)
        found[customer] = {
            "key_scheme": key_scheme,
            "key_tier": key_tier,
            "key_as_of_date": day,
            "revenue_then": revenue_then,
            "win_back_case": case,
            "slipped_scheme": slip_scheme,
            "slipped_tier": slip_tier,
        }
    return found


def _month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _months(first: dt.date, last: dt.date) -> int:
    return (last.year - first.year) * 12 + last.month - first.month


def cohorts(orders: list[tuple[str, dt.date, Decimal]], as_of: dt.date) -> dict[tuple, dict]:
    """{(cohort_month, months_since): {cohort_customers, active_customers, orders, revenue,
    cumulative_revenue}} from the valid orders (customer_id, order date, amount) before
    as_of; every cohort runs to the month of the day before as_of."""
    orders = [o for o in orders if o[1] < as_of]
    first: dict[str, dt.date] = {}
    for customer, day, _ in orders:
        first[customer] = min(day, first.get(customer, day))
    size: dict[dt.date, int] = defaultdict(int)
    for day in first.values():
        size[_month(day)] += 1
    active: dict[tuple, set] = defaultdict(set)
    counts: dict[tuple, int] = defaultdict(int)
    revenue: dict[tuple, Decimal] = defaultdict(Decimal)
    for customer, day, amount in orders:
        cohort = _month(first[customer])
        key = (cohort, _months(cohort, _month(day)))
        active[key].add(customer)
        counts[key] += 1
        revenue[key] += amount
    last = _month(as_of - dt.timedelta(days=1))
    table = {}
    for cohort, customers in size.items():
        running = Decimal(0)
        for since in range(_months(cohort, last) + 1):
            key = (cohort, since)
            running += revenue.get(key, Decimal(0))
            table[key] = {
                "cohort_customers": customers,
                "active_customers": len(active.get(key, ())),
                "orders": counts.get(key, 0),
                "revenue": revenue.get(key, Decimal(0)),
                "cumulative_revenue": running,
            }
    return table
