"""Order histories of the shapes real data takes and the project's generator never makes,
for the CLV models' limits: identical spend, nobody dropping out, one-time buyers only,
one customer, every purchase on one day, one purchase rate for everyone.

`simulate(shape)` gives transactions (customer_id, date, amount); `inputs(...)` turns them
into the models' per-customer inputs (purchase days, as the value model counts them);
`write_raw(...)` writes them as the contract's raw files for a whole build.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from pathlib import Path

import numpy as np

START = dt.date(2023, 1, 1)
DAYS = 730  # two years of history; customers arrive in the first year
AS_OF = START + dt.timedelta(days=DAYS)

SHAPES = (
    "heterogeneous",
    "identical_spend",
    "constant_per_order",
    "no_dropout",
    "same_rate_no_dropout",
    "one_time_buyers",
    "one_customer",
    "one_day",
)


def simulate(shape: str, customers: int = 2000, seed: int = 7) -> list[tuple[str, dt.date, float]]:
    """Transactions of `customers` customers over DAYS days in the given shape.

    The base process is BG/NBD's: each customer buys at her own gamma-distributed daily
    rate and, after each repeat purchase, drops out with her own beta-distributed
    probability; each purchase's amount is gamma-distributed around her own mean. The
    shapes switch parts of it off.
    """
    if shape not in SHAPES:
        raise ValueError(shape)
    rng = np.random.default_rng(seed)
    if shape == "one_customer":
        days = sorted({int(d) for d in rng.integers(0, DAYS, 120)})
        return [("C00000", START + dt.timedelta(days=d), 100.0) for d in days]
    if shape == "one_day":
        day = START + dt.timedelta(days=DAYS - 1)
        return [
            (f"C{i:05d}", day, float(round(rng.gamma(3.0, 30.0), 2)))
            for i in range(customers)
            for _ in range(1 + int(rng.integers(0, 3)))
        ]
    transactions = []
    for i in range(customers):
        customer = f"C{i:05d}"
        first = int(rng.integers(0, DAYS // 2))
        rate = 0.05 if shape == "same_rate_no_dropout" else rng.gamma(0.9, 0.05 / 0.9)
        dropout = 0.0 if shape in {"no_dropout", "same_rate_no_dropout"} else rng.beta(0.8, 6.0)
        mean_amount = rng.gamma(4.0, 25.0)
        day, days = first, [first]
        while shape != "one_time_buyers":
            day += max(1, int(np.ceil(rng.exponential(1 / rate))))
            if day >= DAYS:
                break
            days.append(day)
            if rng.random() < dropout:
                break
        for d in days:
            date = START + dt.timedelta(days=d)
            if shape == "identical_spend":
                transactions.append((customer, date, 100.0))
            elif shape == "constant_per_order":
                # list prices and a fixed basket: one order, then two, then one ...
                for _ in range(1 + days.index(d) % 2):
                    transactions.append((customer, date, 100.0))
            else:
                amount = round(rng.gamma(6.0, mean_amount / 6.0), 2)
                transactions.append((customer, date, max(amount, 0.01)))
    return transactions


def simulate_pareto(
    customers: int = 1000,
    r: float = 1.0,
    alpha: float = 1.0,
    s: float = 0.8,
    beta: float = 300.0,
    seed: int = 7,
) -> list[tuple[str, dt.date, float]]:
    """Transactions of the Pareto/NBD process (rates in weeks): purchases at a gamma(r,
    alpha) rate until an exponential lifetime with a gamma(s, beta) rate ends. The
    defaults are frequent buyers with long lives (beta / alpha = 300), where P(alive)'s
    hypergeometric series converges slowly."""
    rng = np.random.default_rng(seed)
    transactions = []
    for i in range(customers):
        first = int(rng.integers(0, DAYS // 2))
        rate = rng.gamma(r, 1 / alpha) / 7  # per day
        death = first + 7 * rng.exponential(1 / rng.gamma(s, 1 / beta))
        day, days = float(first), {first}
        while True:
            day += rng.exponential(1 / rate)
            if day >= min(death, DAYS):
                break
            days.add(int(day))
        for d in sorted(days):
            transactions.append((f"C{i:05d}", START + dt.timedelta(days=d), 50.0))
    return transactions


def cdnow_transactions(lines: list[str]) -> list[tuple[str, dt.date, float]]:
    """The CDNOW sample's lines ("id customer YYYYMMDD quantity amount") as transactions."""
    return [
        (customer, dt.datetime.strptime(day, "%Y%m%d").date(), float(amount))
        for _, customer, day, _, amount in (line.split() for line in lines)
    ]


def inputs(
    transactions, as_of: dt.date = AS_OF, unit: int = 7
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """x, t_x, T (time units) and m_x (0 when x = 0) per customer, from purchase days
    before `as_of` (orders on one date are one purchase of their summed value)."""
    by_day: dict[str, dict[dt.date, float]] = defaultdict(lambda: defaultdict(float))
    for customer, date, amount in transactions:
        if date < as_of:
            by_day[customer][date] += amount
    end = as_of - dt.timedelta(days=1)
    rows = []
    for days in by_day.values():
        dates = sorted(days)
        repeat = [days[d] for d in dates[1:]]
        rows.append(
            (
                len(dates) - 1,
                (dates[-1] - dates[0]).days / unit,
                (end - dates[0]).days / unit,
                float(np.mean(repeat)) if repeat else 0.0,
            )
        )
    return tuple(np.array(column, dtype=float) for column in zip(*rows, strict=True))


RAW_HEADERS = {
    "customers": ["customer_id", "customer_name", "created_at", "updated_at"],
    "orders": ["order_id", "customer_id", "ordered_at", "status", "quantity", "amount"],
    "receivables": ["invoice_id", "customer_id", "issued_at", "due_at", "amount", "paid_amount"],
    "service_tickets": ["ticket_id", "customer_id", "opened_at", "ticket_type"],
    "surveys": [
        "response_id",
        "customer_id",
        "responded_at",
        "expectation_score",
        "perception_score",
    ],
}


def write_entities(folder: Path, customers: list[dict], orders: list[dict]) -> Path:
    """The contract's five raw files with these customers and orders, the other three
    header-only."""
    folder.mkdir(parents=True, exist_ok=True)
    for entity, header in RAW_HEADERS.items():
        rows = {"customers": customers, "orders": orders}.get(entity, [])
        with open(folder / f"{entity}.csv", "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=header)
            writer.writeheader()
            writer.writerows(rows)
    return folder


def write_raw(folder: Path, transactions, created: dict[str, dt.date] | None = None) -> Path:
    """The transactions as the contract's raw files: one completed order each, customers
    opened on their first purchase day (or `created`), the other entities empty."""
    first: dict[str, dt.date] = {}
    for customer, date, _ in transactions:
        first[customer] = min(first.get(customer, date), date)
    opened = {**first, **(created or {})}
    customers = [
        {
            "customer_id": c,
            "customer_name": f"Customer {c}",
            "created_at": d.isoformat(),
            "updated_at": d.isoformat(),
        }
        for c, d in sorted(opened.items())
    ]
    orders = [
        {
            "order_id": f"T{n:07d}",
            "customer_id": customer,
            "ordered_at": f"{date.isoformat()}T12:00:00",
            "status": "completed",
            "quantity": "1",
            "amount": f"{amount:.2f}",
        }
        for n, (customer, date, amount) in enumerate(transactions)
    ]
    return write_entities(folder, customers, orders)
