"""Raw folders of increments: each file is read once, its rows kept in the batch store, and
what every file held is in the ledger (`audit.crm_input_ledger`).

Every case starts from the clean fixture with `orders` (and in some cases `customers`) as a
folder holding the fixture's file as its first increment, builds the staging and audit
layers, delivers more files, and builds again. The last case runs a series of deliveries
through the whole project and checks that the warehouse equals a `--full-refresh` of the
same files, table by table.
"""

from __future__ import annotations

import csv
import json
import math
import os
from pathlib import Path

import duckdb
from conftest import RawFolder, run_dbt, run_refresh

RAW_LAYERS = ["--select", "path:models/staging", "path:models/audit", "path:seeds/reference"]
NO_BOUND = {"max_rejected_share": 1}
HEADER = [
    "order_id",
    "customer_id",
    "ordered_at",
    "status",
    "quantity",
    "amount",
    "cost",
    "channel",
]


def order(order_id: str, **values: str) -> dict[str, str]:
    row = {
        "order_id": order_id,
        "customer_id": "C001",
        "ordered_at": "2025-04-01 10:00:00",
        "status": "completed",
        "quantity": "1",
        "amount": "100.00",
        "cost": "60.00",
        "channel": "web",
    }
    row.update(values)
    return row


def as_folder(raw: RawFolder, entity: str) -> Path:
    """Turn `<entity>.csv` into the folder `<entity>/` holding it as `0001.csv`."""
    folder = raw.path / entity
    folder.mkdir()
    (raw.path / f"{entity}.csv").rename(folder / "0001.csv")
    return folder


def deliver(folder: Path, name: str, rows: list[dict[str, str]], header=HEADER) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return path


def rows_of(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def header_of(path: Path) -> list[str]:
    with open(path, newline="", encoding="utf-8") as handle:
        return next(csv.reader(handle))


def build(raw: RawFolder, work: Path, select=RAW_LAYERS, dbt_vars=None, expect_ok=True, extra=()):
    args = ["build", *select, *extra]
    run = run_dbt(args, work, raw_dir=raw.path, dbt_vars=dbt_vars or NO_BOUND)
    if expect_ok:
        assert run.returncode == 0, run.output[-4000:]
    return run


def ledger(run, entity: str = "orders") -> dict[str, dict]:
    cols = [
        "batch_file",
        "status",
        "raw_rows",
        "accepted_raw_rows",
        "superseded_raw_rows",
        "rejected_raw_rows",
        "loaded_by",
        "file_hash",
        "file_size",
    ]
    rows = run.query(
        f"select {', '.join(cols)} from audit.crm_input_ledger where entity = ? order by 1",
        [entity],
    )
    return {Path(r[0]).name: dict(zip(cols, r, strict=True)) for r in rows}


def reconciles(run, entity: str = "orders") -> dict:
    cols = ["raw_rows", "accepted_rows", "collapsed_rows", "rejected_rows"]
    row = run.query(
        f"select {', '.join(cols)} from audit.crm_row_reconciliation where entity = ?", [entity]
    )[0]
    counts = dict(zip(cols, row, strict=True))
    assert counts["raw_rows"] == (
        counts["accepted_rows"] + counts["collapsed_rows"] + counts["rejected_rows"]
    ), counts
    for name, batch in ledger(run, entity).items():
        kept = batch["accepted_raw_rows"] + batch["superseded_raw_rows"]
        assert batch["raw_rows"] == kept + batch["rejected_raw_rows"], (name, batch)
    return counts


def staged(run, order_id: str) -> list[tuple]:
    return run.query(
        "select status, amount from staging.stg_crm__orders where order_id = ?", [order_id]
    )


def test_a_new_file_is_read_once_and_recorded(raw, work):
    folder = as_folder(raw, "orders")
    first = build(raw, work)
    before = ledger(first)
    assert list(before) == ["0001.csv"]
    assert before["0001.csv"]["raw_rows"] == len(rows_of(folder / "0001.csv"))
    assert before["0001.csv"]["file_size"] == (folder / "0001.csv").stat().st_size
    assert len(before["0001.csv"]["file_hash"]) == 32

    deliver(folder, "0002.csv", [order("O900"), order("O901", customer_id="C002")])
    second = build(raw, work)
    after = ledger(second)
    assert list(after) == ["0001.csv", "0002.csv"]
    # The first file was not read again: the invocation that read it is the first one.
    assert after["0001.csv"]["loaded_by"] == before["0001.csv"]["loaded_by"]
    assert after["0002.csv"]["loaded_by"] != before["0001.csv"]["loaded_by"]
    assert after["0002.csv"]["raw_rows"] == 2
    assert staged(second, "O900") == [("completed", 100)]
    assert reconciles(second)["raw_rows"] == before["0001.csv"]["raw_rows"] + 2

    # Nothing new: nothing is read, and every count stays.
    third = build(raw, work)
    assert ledger(third) == after
    assert reconciles(third) == reconciles(second)


def test_a_later_file_replaces_an_order_late_orders_count_bad_rows_are_rejected(raw, work):
    folder = as_folder(raw, "orders")
    build(raw, work)
    returned = order("O001", ordered_at="2024-01-10 10:00:00", status="returned")
    returned.update(quantity="2", amount="199.00", cost="120.00", channel="store")
    late = order("O950", ordered_at="2024-02-02 09:00:00", amount="42.00")
    bad = order("O951", amount="-1")
    deliver(folder, "0002.csv", [returned, late, bad])
    run = build(raw, work)
    assert staged(run, "O001") == [("returned", 199)]
    assert staged(run, "O950") == [("completed", 42)]
    assert run.query(
        "select reject_reasons from audit.rejected_orders where order_id = 'O951'"
    ) == [("negative_amount",)]
    books = ledger(run)
    assert books["0001.csv"]["superseded_raw_rows"] == 1
    assert books["0002.csv"]["accepted_raw_rows"] == 2
    assert books["0002.csv"]["rejected_raw_rows"] == 1
    reconciles(run)
    # Within one file the contract's rule stands: two rows of one key are both rejected.
    # A later row that is itself invalid (here by a rule of other rows: its customer is
    # unknown) is rejected, and the key's earlier row stays accepted.
    before = staged(run, "O002")
    assert before
    deliver(
        folder,
        "0003.csv",
        [order("O960"), order("O960", amount="7.00"), order("O002", customer_id="C999")],
    )
    run = build(raw, work)
    assert staged(run, "O002") == before
    assert run.query(
        "select reject_reasons from audit.rejected_orders where order_id = 'O002'"
    ) == [("unknown_customer",)]
    assert sorted(
        run.query("select reject_reasons from audit.rejected_orders where order_id = 'O960'")
    ) == [
        ("conflicting_duplicate",),
        ("conflicting_duplicate",),
    ]
    reconciles(run)


def test_a_file_delivered_again_counts_once(raw, work):
    folder = as_folder(raw, "orders")
    first = build(raw, work)
    accepted = reconciles(first)["accepted_rows"]
    (folder / "0002.csv").write_bytes((folder / "0001.csv").read_bytes())
    run = build(raw, work)
    counts = reconciles(run)
    assert counts["accepted_rows"] == accepted
    books = ledger(run)
    assert books["0001.csv"]["file_hash"] == books["0002.csv"]["file_hash"]
    assert books["0002.csv"]["accepted_raw_rows"] == books["0001.csv"]["superseded_raw_rows"]


def test_a_changed_or_removed_file_stops_the_build_until_reprocessed(raw, work):
    folder = as_folder(raw, "orders")
    deliver(folder, "0002.csv", [order("O900"), order("O901")])
    build(raw, work)
    deliver(folder, "0002.csv", [order("O900", amount="5.00")])
    os.utime(folder / "0002.csv", ns=(1, 1))
    stopped = build(raw, work, expect_ok=False)
    assert stopped.returncode != 0
    assert "0002.csv" in stopped.output and "changed" in stopped.output
    assert "changed_raw_files: reprocess" in stopped.output
    run = build(raw, work, dbt_vars={**NO_BOUND, "changed_raw_files": "reprocess"})
    assert staged(run, "O900") == [("completed", 5)]
    assert staged(run, "O901") == []
    assert ledger(run)["0002.csv"]["raw_rows"] == 1
    reconciles(run)

    (folder / "0002.csv").unlink()
    stopped = build(raw, work, expect_ok=False)
    assert "0002.csv" in stopped.output and "gone" in stopped.output
    run = build(raw, work, dbt_vars={**NO_BOUND, "changed_raw_files": "reprocess"})
    assert staged(run, "O900") == []
    assert list(ledger(run)) == ["0001.csv"]
    reconciles(run)
    # Forgotten for good: the next build without the var passes.
    build(raw, work)


def test_a_crash_after_the_store_was_written_counts_nothing_twice(raw, work):
    folder = as_folder(raw, "orders")
    build(raw, work)
    deliver(folder, "0002.csv", [order("O900"), order("O901")])
    # The build stops right after the batch store committed the new file (here: only the
    # store was selected), before anything downstream ran; then the full rerun.
    partial = build(raw, work, ["--select", "base_crm__orders_batches"])
    stored = partial.scalar(
        "select count(*) from staging.base_crm__orders_batches where batch_file like '%0002.csv'"
    )
    assert stored == 2
    run = build(raw, work)
    books = ledger(run)
    assert books["0002.csv"]["raw_rows"] == 2
    assert (
        run.scalar("select count(*) from staging.stg_crm__orders where order_id like 'O90%'") == 2
    )
    reconciles(run)


def _tables(path: Path) -> dict[str, list[str]]:
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute(
            "select schema_name || '.' || table_name, list(column_name order by column_index) "
            "from duckdb_columns() where schema_name in ('staging', 'intermediate', 'marts', "
            "'audit') and not internal group by all order by 1"
        ).fetchall()
    return dict(rows)


# Columns that name the build, not the data.
RUN_COLUMNS = {"invocation_id", "loaded_by", "checked_at", "rejected_at", "built_at"}


def _rows(path: Path, table: str, columns: list[str]) -> list[tuple]:
    kept = ", ".join(f'"{c}"' for c in columns)
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(f"select {kept} from {table} order by all").fetchall()


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9) or (math.isnan(a) and math.isnan(b))
    return a == b


def test_increments_give_the_warehouse_a_full_refresh_gives(raw, work, tmp_path):
    """New files, a new customer whose orders came first, a status change, a late order,
    bad rows and a file delivered twice, each built as it lands; then the same files built
    from nothing. Every table of staging, intermediate, marts and audit is the same, row
    for row (floats to 1e-9: sums in another order)."""
    orders = as_folder(raw, "orders")
    customers = as_folder(raw, "customers")
    customer_header = header_of(customers / "0001.csv")
    whole = ["--exclude", "path:models/marts/history", "path:models/intermediate/history"]
    build(raw, work)
    deliver(orders, "0002.csv", [order("O900", customer_id="C900"), order("O901")])
    build(raw, work)
    newcomer = dict.fromkeys(customer_header, "")
    newcomer.update(
        customer_id="C900",
        customer_type="individual",
        created_at="2025-03-01 00:00:00",
        updated_at="2025-03-01 00:00:00",
    )
    deliver(customers, "day=2025-04-02/0002.csv", [newcomer], header=customer_header)
    returned = order("O002", ordered_at="2025-03-02 15:30:00", status="returned")
    returned.update(amount="89.50", cost="50.00")
    deliver(
        orders,
        "day=2025-04-02/0003.csv",
        [returned, order("O902", ordered_at="2024-06-01 08:00:00"), order("O903", amount="x")],
    )
    build(raw, work)
    (orders / "0004.csv").write_bytes((orders / "0002.csv").read_bytes())
    incremental = build(raw, work, whole)
    assert staged(incremental, "O900") == [("completed", 100)]
    assert staged(incremental, "O002") == [("returned", 89.5)]

    full_work = tmp_path / "full"
    full_work.mkdir()
    full = build(raw, full_work, whole, extra=["--full-refresh"])
    left, right = _tables(incremental.warehouse), _tables(full.warehouse)
    assert left == right
    differing = []
    for table, columns in left.items():
        kept = [c for c in columns if c not in RUN_COLUMNS]
        a, b = _rows(incremental.warehouse, table, kept), _rows(full.warehouse, table, kept)
        same = len(a) == len(b) and all(
            all(_same(x, y) for x, y in zip(ra, rb, strict=True))
            for ra, rb in zip(a, b, strict=True)
        )
        if not same:
            differing.append(table)
    assert differing == []
    assert len(left) > 40
    reconciles(full)


def test_a_daily_refresh_judges_only_the_new_files_at_the_door(raw, tmp_path):
    """`crm-value refresh` on a folder: the second refresh's door reads only the day's file
    (the first was passed by the first door and is unchanged), still counts every raw
    row, and the build agrees with that count before anything is published."""
    folder = as_folder(raw, "orders")
    serve = tmp_path / "serve"
    first = run_refresh(raw.path, serve, {"as_of_date": "2025-07-01"})
    assert first.returncode == 0, first.output[-4000:]
    deliver(folder, "0002.csv", [order("N1", ordered_at="2025-06-30 09:00:00")])
    second = run_refresh(raw.path, serve, {"as_of_date": "2025-07-01"})
    assert second.returncode == 0, second.output[-4000:]
    assert "orders: 1 files (10 rows) passed an earlier door and are unchanged" in second.output
    with duckdb.connect(str(serve / "current" / "crm_value.duckdb"), read_only=True) as con:
        rows = con.execute(
            "select report_dir, orders_raw_rows from ops.run_history order by started_at"
        ).fetchall()
    assert [n for _, n in rows] == [10, 11]
    reports = [json.loads((Path(d) / "expectations.json").read_text()) for d, _ in rows]
    assert [s["rows"] for r in reports for s in r["suites"] if s["name"] == "orders"] == [10, 1]
    assert reports[1]["already_judged"] == {"orders": {"files": 1, "raw_rows": 10}}
