"""How a day's history work grows with the history.

    python benchmarks/bench_history.py [--customers 1500000] [--dates 3,30] [--dir DIR]

For each number of stored dates N, on a synthetic tier history shaped like
`marts.fct_customer_tier_history` (N dates x customers rows, its 25 columns) beside a
customers mart of the same size, it times, in one process:

- build, whole: the history copied from N stored Parquet files into one table, as the
  mart was built before it was incremental;
- build, by date: what the incremental mart does on a day: the per-date row count and
  hash sum of the store against the table, then one new date inserted;
- publish, whole: a release of N + 1 dates written from nothing (every publish before);
- publish, by date: the release of N + 1 dates written from the release of N dates
  (`crm_value.publish`, as a daily refresh does).

It prints seconds; the ratios are what to quote (shared machines are noisy).
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from crm_value import contract
from crm_value.publish import _write_release

FIRST = dt.date(2025, 1, 1)
# The mart's tier columns: the macro crm_tier_scheme_columns, rendered without dbt (the
# bench times the table's shape, not the rules that fill it).
SCHEMES = list(contract.tier_scheme_columns().values())


def _snapshot(day: dt.date, customers: int) -> str:
    """One date's rows: every customer, tiers and values that vary with the date."""
    shift = (day - FIRST).days
    tiers = ", ".join(
        f"(['A', 'B', 'C', 'D', 'E'])[1 + (hash(i, {k}, {shift // 7}) % 5)::int] as {s}"
        for k, s in enumerate(SCHEMES)
    )
    return (
        f"select date '{day}' as as_of_date, 'C' || lpad(i::varchar, 8, '0') as customer_id, "
        f"cast((hash(i, {shift}) % 1000000) / 100 as decimal(18, 2)) as value_window_revenue, "
        f"(hash(i) % 40)::integer as valid_orders, "
        f"date '{day}' - (hash(i, {shift}, 1) % 700)::integer as last_order_date, "
        "(1 + hash(i, 2) % 5)::integer as r_score, (1 + hash(i, 3) % 5)::integer as f_score, "
        "(1 + hash(i, 4) % 5)::integer as m_score, "
        "((1 + hash(i, 2) % 5) * 100 + (1 + hash(i, 3) % 5) * 10 + (1 + hash(i, 4) % 5))"
        "::varchar as rfm_cell, hash(i, 5) % 3 = 0 as is_quality_customer, "
        f"(hash(i, {shift}, 6) % 100000) / 10.0 as clv, "
        f"(hash(i, {shift}, 7) % 1000) / 1000.0 as p_alive, {tiers} "
        f"from range({customers}) as t(i)"
    )


def _quiet(_message: str) -> None:
    """The publish's progress lines would break the bench's table."""


def _timed(function, *args) -> float:
    start = time.perf_counter()
    function(*args)
    return time.perf_counter() - start


def _work(path: Path, customers: int, days: list[dt.date], store: Path) -> None:
    """The work database (history of `days`, a customers mart, an audit table) and the
    store: one Parquet file per date."""
    store.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists marts; create schema if not exists audit")
        con.execute(
            "create or replace table marts.fct_customer_tier_history as "
            + _snapshot(days[0], customers)
        )
        for day in days[1:]:
            con.execute("insert into marts.fct_customer_tier_history " + _snapshot(day, customers))
        con.execute(
            "create or replace table marts.dim_customers as select * exclude (as_of_date) "
            f"from ({_snapshot(days[-1], customers)})"
        )
        con.execute("create or replace table audit.rejected_orders as select 'O1' as order_id")
        for day in days:
            con.execute(
                f"copy (select * from marts.fct_customer_tier_history where as_of_date = "
                f"date '{day}') to '{store / f'{day}.parquet'}' (format parquet, compression zstd)"
            )


def _build_whole(work: Path, store: Path) -> None:
    with duckdb.connect(str(work)) as con:
        con.execute(
            "create or replace table marts.history_rebuilt as "
            f"select * from read_parquet('{store}/*.parquet')"
        )
        con.execute("drop table marts.history_rebuilt")


def _build_by_date(work: Path, store: Path, day: dt.date, customers: int) -> None:
    """The incremental mart's day: compare the store with the table per date, then
    delete and insert the new date (in a copy of the table's state: rolled back)."""
    with duckdb.connect(str(work)) as con:
        columns = [
            row[0]
            for row in con.execute(
                "select column_name from duckdb_columns() where table_name = "
                "'fct_customer_tier_history' order by column_index"
            ).fetchall()
        ]
        row_hash = f"sum(hash({', '.join(columns)}))"
        con.execute(
            f"with stored as (select as_of_date, count(*) n, {row_hash} h "
            f"from read_parquet('{store}/*.parquet') group by all), "
            f"held as (select as_of_date, count(*) n, {row_hash} h "
            "from marts.fct_customer_tier_history group by all) "
            "select stored.as_of_date from stored left join held using (as_of_date) "
            "where held.as_of_date is null or held.n <> stored.n or held.h <> stored.h"
        ).fetchall()
        con.execute("begin")
        con.execute(f"delete from marts.fct_customer_tier_history where as_of_date = '{day}'")
        con.execute("insert into marts.fct_customer_tier_history " + _snapshot(day, customers))
        con.execute("rollback")


def run(customers: int, stored: int, folder: Path) -> dict[str, float]:
    days = [FIRST + dt.timedelta(days=i) for i in range(stored + 1)]
    work, store = folder / "work.duckdb", folder / "history"
    _work(work, customers, days[:-1], store)
    built = {"fct_customer_tier_history", "dim_customers", "rejected_orders"}
    meta = {
        "release_id": "bench",
        "run_id": "bench",
        "as_of_date": days[-1],
        "published_at": dt.datetime(2026, 1, 1),
        "raw_input": "bench",
        "dbt_vars": "{}",
    }
    run_history = folder / "run_history.parquet"
    duckdb.execute(f"copy (select 1 as run) to '{run_history}'")
    figures = {
        "build, whole": _timed(_build_whole, work, store),
        "build, by date": _timed(_build_by_date, work, store, days[-1], customers),
    }
    earlier = folder / "release_n"
    earlier.mkdir()
    _write_release(work, earlier, run_history, meta, built, None, _quiet)  # the release of N
    with duckdb.connect(str(work)) as con:  # the next day: N + 1 dates
        con.execute("insert into marts.fct_customer_tier_history " + _snapshot(days[-1], customers))
    whole, by_date = folder / "release_whole", folder / "release_by_date"
    whole.mkdir()
    by_date.mkdir()
    figures["publish, whole"] = _timed(
        _write_release, work, whole, run_history, meta, built, None, _quiet
    )
    figures["publish, by date"] = _timed(
        _write_release, work, by_date, run_history, meta, built, earlier, _quiet
    )
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="benchmarks/bench_history.py", description=__doc__)
    parser.add_argument("--customers", type=int, default=1_500_000)
    parser.add_argument("--dates", default="3,30", help="stored dates to try, comma-separated")
    parser.add_argument("--dir", type=Path, help="scratch folder (default: a temporary one)")
    args = parser.parse_args(argv)
    counts = [int(n) for n in args.dates.split(",")]
    print(f"{args.customers:,} customers a date; seconds, one run each")
    header = ["stored dates", "build, whole", "build, by date"]
    header += ["publish, whole", "publish, by date"]
    print("  ".join(f"{h:>16}" for h in header))
    for stored in counts:
        folder = Path(tempfile.mkdtemp(prefix="crm_bench_history_", dir=args.dir))
        try:
            figures = run(args.customers, stored, folder)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        values = [f"{stored:>16}"] + [f"{figures[h]:>16.1f}" for h in header[1:]]
        print("  ".join(values), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
