"""The planted contract-breaking rows: a fixed, documented set interleaved into the last
chunk at seed-determined positions (see :data:`ANOMALY_KINDS`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from crm_value.generate.arrays import IntArray, _id_str
from crm_value.generate.entities import _CITY_COUNT, _REGION_NAMES
from crm_value.generate.plan import _Counters, _Plan
from crm_value.generate.reference import DAY, ENTITIES, REFERENCE_DATE, REGIONS, SCHEMAS
from crm_value.generate.writers import Overrides

ANOMALY_KINDS: dict[str, dict[str, tuple[int, bool, str]]] = {
    "customers": {
        "exact_duplicate": (5, True, "existing customer row repeated verbatim"),
        "older_version": (
            10,
            False,
            "legitimate extra version of an existing customer: same customer_id, "
            "earlier updated_at (>= created_at), different city of the same region",
        ),
        "conflicting_version": (
            2,
            True,
            "one new customer_id with two rows tying on updated_at but differing "
            "in phone and email (rows counts both rows)",
        ),
        "updated_before_created": (
            2,
            True,
            "new customer_id whose updated_at is earlier than its created_at",
        ),
        "invalid_customer_type": (1, True, "new customer_id with customer_type 'vip'"),
    },
    "orders": {
        "exact_duplicate": (8, True, "existing order row repeated verbatim"),
        "conflicting_duplicate": (
            4,
            True,
            "two existing order_ids repeated with a different amount "
            "(rows counts both rows of each id)",
        ),
        "orphan_customer": (
            3,
            True,
            "new order_id whose customer_id is not in customers (C999999nX)",
        ),
        "negative_amount": (2, True, "new order_id with a negative amount"),
        "invalid_status": (1, True, "new order_id with status 'shipped'"),
        "unparseable_amount": (
            1,
            True,
            "CSV only: new order_id whose amount is the text '12,50'",
        ),
        "negative_quantity": (
            1,
            True,
            "Parquet only (replaces unparseable_amount): new order_id with a negative quantity",
        ),
        "future_ordered_at": (1, True, "new order_id with ordered_at in 2099"),
    },
    "receivables": {
        "paid_exceeds_amount": (1, True, "new invoice_id with paid_amount > amount"),
        "due_before_issued": (1, True, "new invoice_id with due_at < issued_at"),
    },
    "service_tickets": {
        "closed_before_opened": (1, True, "new ticket_id with closed_at < opened_at"),
        "invalid_ticket_type": (1, True, "new ticket_id with ticket_type 'praise'"),
    },
    "surveys": {
        "score_out_of_range": (1, True, "new response_id with expectation_score 11"),
        "exact_duplicate": (1, True, "existing survey row repeated verbatim"),
    },
}
"""entity -> kind -> (rows in the file, is a contract error, description)."""

Row = dict[str, Any]


@dataclass
class _AnomalyBuilder:
    """Collects anomaly rows of one entity and their documentation."""

    entity: str
    extra: list[Row]
    report: dict[str, dict[str, Any]]
    csv_text: dict[int, tuple[str, str]]  # extra row index -> (column, text)

    def add(self, kind: str, rows: list[Row], ids: list[str], file_rows: int | None = None) -> None:
        """Append ``rows`` (already modified) as anomaly ``kind``.

        ``file_rows`` is the number of rows of the file that belong to the
        anomaly (default: the appended rows; e.g. 4 for two conflicting order
        duplicates, which involve the two original rows too).
        """
        if not rows:
            return
        _, is_error, description = ANOMALY_KINDS[self.entity][kind]
        self.report[kind] = {
            "rows": len(rows) if file_rows is None else file_rows,
            "ids": ids,
            "is_error": is_error,
            "description": description,
        }
        self.extra.extend(rows)


def _sample(rng: np.random.Generator, candidates: IntArray, size: int) -> list[int]:
    """Up to ``size`` distinct, seed-determined picks from ``candidates``."""
    size = min(size, candidates.size)
    if size == 0:
        return []
    return [int(i) for i in np.sort(rng.choice(candidates, size=size, replace=False))]


def _rows(table: pa.Table, idx: list[int]) -> list[Row]:
    """Python dict copies of the rows at ``idx``."""
    if not idx:
        return []
    return table.take(pa.array(idx, type=pa.int64())).to_pylist()


def _customer_anomalies(
    table: pa.Table, rng: np.random.Generator, plan: _Plan, b: _AnomalyBuilder
) -> None:
    """Customer duplicates, versions and invalid rows."""
    n = table.num_rows
    all_rows = np.arange(n, dtype=np.int64)
    created = table["created_at"].to_numpy().astype("datetime64[s]").astype(np.int64)
    updated = table["updated_at"].to_numpy().astype("datetime64[s]").astype(np.int64)
    region_of = pc.index_in(table["region"], value_set=_REGION_NAMES)
    region_idx = pc.fill_null(region_of, 0).to_numpy().astype(np.int64)
    has_city = pc.is_valid(table["city"]).to_numpy(zero_copy_only=False)
    multi_city = has_city & (_CITY_COUNT[region_idx] > 1)
    region_pos = {r[0]: i for i, r in enumerate(REGIONS)}
    eligible = np.flatnonzero(multi_city & (updated - created >= 2 * DAY))
    versioned = _sample(rng, eligible, 10)
    rest = np.setdiff1d(all_rows, np.asarray(versioned, dtype=np.int64))
    duplicated = _sample(rng, rest, 5)

    rows = _rows(table, duplicated)
    b.add("exact_duplicate", rows, [r["customer_id"] for r in rows])

    rows = _rows(table, versioned)
    for r, i in zip(rows, versioned, strict=True):
        cities = REGIONS[region_pos[r["region"]]][2]
        others = [c for c in cities if c != r["city"]]
        r["city"] = others[int(rng.integers(0, len(others)))]
        frac = float(rng.uniform(0.2, 0.8))
        r["updated_at"] = _dt(int(created[i] + frac * (updated[i] - created[i])))
    b.add("older_version", rows, [r["customer_id"] for r in rows])

    new_id = plan.n_customers
    bases = _rows(table, _sample(rng, all_rows, 4))
    if len(bases) == 4:
        new_id += 1
        cid = _id_str("customers", new_id, plan.id_total("customers"))
        first = dict(bases[0], customer_id=cid)
        second = dict(first)
        second["phone"] = f"139{int(rng.integers(0, 100_000_000)):08d}"
        second["email"] = f"new.{cid.lower()}@163.com"
        b.add("conflicting_version", [first, second], [cid], file_rows=2)

        ids = []
        rows = []
        for base in bases[1:3]:
            new_id += 1
            cid = _id_str("customers", new_id, plan.id_total("customers"))
            lag = timedelta(days=int(rng.integers(1, 400)))
            rows.append(dict(base, customer_id=cid, updated_at=base["created_at"] - lag))
            ids.append(cid)
        b.add("updated_before_created", rows, ids)

        new_id += 1
        cid = _id_str("customers", new_id, plan.id_total("customers"))
        b.add(
            "invalid_customer_type", [dict(bases[3], customer_id=cid, customer_type="vip")], [cid]
        )


def _dt(seconds: int) -> datetime:
    """Naive datetime from epoch seconds."""
    return datetime(1970, 1, 1) + timedelta(seconds=seconds)


def _order_anomalies(
    table: pa.Table,
    rng: np.random.Generator,
    plan: _Plan,
    counters: _Counters,
    fmt: str,
    b: _AnomalyBuilder,
) -> None:
    """Order duplicates, orphans and invalid values (new ids continue the sequence)."""
    n = table.num_rows
    picks = _sample(rng, np.arange(n, dtype=np.int64), 8 + 2 + 8)
    if len(picks) < 18:
        return
    picks = [picks[i] for i in rng.permutation(len(picks))]
    total = plan.id_total("orders")
    next_id = counters.orders

    def fresh(row: Row) -> Row:
        nonlocal next_id
        next_id += 1
        return dict(row, order_id=_id_str("orders", next_id, total))

    rows = _rows(table, picks[:8])
    b.add("exact_duplicate", rows, [r["order_id"] for r in rows])

    rows = _rows(table, picks[8:10])
    for r in rows:
        r["amount"] = (r["amount"] * Decimal("1.3") + Decimal("1.00")).quantize(Decimal("0.01"))
    b.add("conflicting_duplicate", rows, [r["order_id"] for r in rows], 2 * len(rows))

    src = _rows(table, picks[10:])
    rows = [fresh(dict(r, customer_id=f"C{9_999_999 - j}X")) for j, r in enumerate(src[0:3])]
    b.add("orphan_customer", rows, [r["order_id"] for r in rows])

    rows = [fresh(dict(r, amount=-r["amount"])) for r in src[3:5]]
    b.add("negative_amount", rows, [r["order_id"] for r in rows])

    rows = [fresh(dict(src[5], status="shipped"))]
    b.add("invalid_status", rows, [rows[0]["order_id"]])

    if fmt == "csv":
        row = fresh(dict(src[6], amount=Decimal("12.50")))
        b.csv_text[len(b.extra)] = ("amount", "12,50")
        b.add("unparseable_amount", [row], [row["order_id"]])
    else:
        row = fresh(dict(src[6], quantity=-int(src[6]["quantity"])))
        b.add("negative_quantity", [row], [row["order_id"]])

    when: datetime = src[7]["ordered_at"]
    future = when.replace(year=2099, day=min(when.day, 28))  # 2099 has no Feb 29
    row = fresh(dict(src[7], ordered_at=future))
    b.add("future_ordered_at", [row], [row["order_id"]])


def _simple_anomalies(
    entity: str,
    table: pa.Table,
    rng: np.random.Generator,
    plan: _Plan,
    first_new: int,
    b: _AnomalyBuilder,
) -> None:
    """Anomalies of receivables, service tickets and surveys."""
    picks = _sample(rng, np.arange(table.num_rows, dtype=np.int64), 2)
    if len(picks) < 2:
        return
    first, second = _rows(table, picks)
    key = SCHEMAS[entity].names[0]
    total = plan.id_total(entity)

    def new_id(offset: int) -> str:
        return _id_str(entity, first_new + offset, total)

    if entity == "receivables":
        amount = first["amount"]
        paid_at = first["issued_at"] + timedelta(days=20)
        row = dict(
            first,
            invoice_id=new_id(0),
            paid_amount=amount + Decimal("25.00"),
            paid_at=min(paid_at, REFERENCE_DATE - timedelta(days=1)),
        )
        b.add("paid_exceeds_amount", [row], [row[key]])
        row = dict(second, invoice_id=new_id(1), due_at=second["issued_at"] - timedelta(days=15))
        b.add("due_before_issued", [row], [row[key]])
    elif entity == "service_tickets":
        row = dict(first, ticket_id=new_id(0), closed_at=first["opened_at"] - timedelta(hours=2))
        b.add("closed_before_opened", [row], [row[key]])
        row = dict(second, ticket_id=new_id(1), ticket_type="praise")
        b.add("invalid_ticket_type", [row], [row[key]])
    else:
        row = dict(first, response_id=new_id(0), expectation_score=11)
        b.add("score_out_of_range", [row], [row[key]])
        b.add("exact_duplicate", [second], [second[key]])


def _interleave(
    clean: pa.Table, extra: pa.Table, rng: np.random.Generator
) -> tuple[pa.Table, IntArray]:
    """Insert ``extra`` rows at seed-determined positions of ``clean``.

    Returns the combined table and the final row index of every extra row.
    """
    n, k = clean.num_rows, extra.num_rows
    pos = rng.integers(0, n + 1, k)
    keys = np.concatenate([2 * np.arange(n, dtype=np.int64) + 1, 2 * pos])
    order = np.argsort(keys, kind="stable")
    combined = pa.concat_tables([clean, extra]).take(pa.array(order))
    where = np.empty(n + k, dtype=np.int64)
    where[order] = np.arange(n + k)
    return combined, where[n:]


def _inject_anomalies(
    tables: dict[str, pa.Table],
    plan: _Plan,
    counters: _Counters,
    seed: int,
    fmt: str,
) -> tuple[dict[str, pa.Table], dict[str, Overrides], dict[str, dict[str, Any]]]:
    """Interleave the documented anomaly rows into the (last) chunk's tables."""
    rng = np.random.default_rng([seed, 2])
    builders = {e: _AnomalyBuilder(entity=e, extra=[], report={}, csv_text={}) for e in ENTITIES}
    _customer_anomalies(tables["customers"], rng, plan, builders["customers"])
    _order_anomalies(tables["orders"], rng, plan, counters, fmt, builders["orders"])
    for entity in ("receivables", "service_tickets", "surveys"):
        first_new = getattr(counters, entity) + 1
        _simple_anomalies(entity, tables[entity], rng, plan, first_new, builders[entity])

    out: dict[str, pa.Table] = {}
    overrides: dict[str, Overrides] = {}
    reports: dict[str, dict[str, Any]] = {}
    for entity, b in builders.items():
        clean = tables[entity]
        if b.extra:
            extra = pa.Table.from_pylist(b.extra, schema=SCHEMAS[entity])
            out[entity], where = _interleave(clean, extra, rng)
        else:
            out[entity], where = clean, np.empty(0, dtype=np.int64)
        overrides[entity] = [(col, int(where[i]), text) for i, (col, text) in b.csv_text.items()]
        reports[entity] = {"extra_rows": len(b.extra), "anomalies": b.report}
    return out, overrides, reports
