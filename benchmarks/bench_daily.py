"""The data side of the daily benchmark (`benchmarks/bench_value_model.py --daily N`).

Run as a child process (`python benchmarks/bench_daily.py <command> ...`) so the measuring
parent stays small:

- `layout <generated dir> <daily dir>`: the generated Parquet files as a nightly export
  would arrive incrementally: `customers/` and `orders/` folders whose first file is the
  whole generated file (`0000-base.parquet`); the other entities stay single files.
- `increment <daily dir> <day number> <day>`: one day's delivery, `<day>` being the
  day the new orders are dated: about 14,000 orders (12,000 new orders of existing
  customers, 200 of 200 new customers who arrive in the same delivery, 1,500 status
  changes of earlier completed orders to `returned`, 300 late-arriving orders dated up to
  a year back, 1 row with a negative amount) and the 200 new customers.
- `compare <warehouse a> <warehouse b>`: every table of the marts schema but those that
  read the tier-history store, row for row (doubles to 9 significant digits: sums in
  another order), prints the differing rows per table and exits 1 when any differ.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import duckdb

NEW_ORDERS = 12_000
NEW_CUSTOMERS = 200
STATUS_CHANGES = 1_500
LATE_ORDERS = 300
# Marts that read the tier-history store: the incremental serving folder holds a snapshot
# per refresh, the full refresh's only its own date.
HISTORY_TABLES = {
    "fct_customer_tier_history",
    "fct_customer_tier_changes",
    "fct_tier_migration",
    "fct_tier_effect",
    "fct_key_customers_at_risk",
}


def layout(generated: Path, daily: Path) -> None:
    shutil.rmtree(daily, ignore_errors=True)
    daily.mkdir(parents=True)
    for entity in ("receivables", "service_tickets", "surveys"):
        shutil.copy(generated / f"{entity}.parquet", daily / f"{entity}.parquet")
    for entity in ("customers", "orders"):
        (daily / entity).mkdir()
        shutil.copy(generated / f"{entity}.parquet", daily / entity / "0000-base.parquet")


def increment(daily: Path, number: int, day: str) -> None:
    con = duckdb.connect()
    con.execute("set threads = 2")
    tag = f"{number:04d}"
    _deliver_customers(con, daily, number, tag, day)
    _deliver_orders(con, daily, number, tag, day)
    rows = con.execute(
        f"select count(*) from read_parquet('{daily}/orders/day-{tag}.parquet')"
    ).fetchall()[0][0]
    print(f"delivered day {number} ({day}): {rows:,} orders, {NEW_CUSTOMERS} new customers")


def _deliver_customers(
    con: duckdb.DuckDBPyConnection, daily: Path, number: int, tag: str, day: str
) -> None:
    """The day's new customers: a sample of the base file under new ids, created on `day`."""
    customers = f"read_parquet('{daily}/customers/0000-base.parquet')"
    new_customers = f"""
        select
            'N{tag}-' || lpad(cast(i as varchar), 5, '0') as customer_id,
            * exclude (customer_id, created_at, updated_at, i),
            cast(timestamp '{day} 08:00:00' as {_type(con, customers, "created_at")}) as created_at,
            cast(timestamp '{day} 08:00:00' as {_type(con, customers, "updated_at")}) as updated_at
        from (
            select *, row_number() over () as i
            from {customers} using sample {NEW_CUSTOMERS} rows (reservoir, {number})
        )
    """
    con.execute(f"copy ({new_customers}) to '{daily}/customers/day-{tag}.parquet' (format parquet)")


def _deliver_orders(
    con: duckdb.DuckDBPyConnection, daily: Path, number: int, tag: str, day: str
) -> None:
    """The day's order file: new orders of existing and of the day's new customers, status
    changes, late arrivals and one negative amount, each sampled from the orders so far."""
    orders = f"read_parquet('{daily}/orders/**/*.parquet', union_by_name = true)"
    stamp = _type(con, orders, "ordered_at")
    sample = (
        f"(select * from {orders} where status = 'completed' and amount >= 0 "
        f"using sample {{n}} rows (reservoir, {{seed}}))"
    )
    con.execute(
        f"""
        copy (
            select
                'D{tag}-' || lpad(cast(row_number() over () as varchar), 6, '0') as order_id,
                * exclude (order_id, ordered_at),
                cast(timestamp '{day} 00:00:00' + to_seconds(row_number() over () % 86000)
                    as {stamp}) as ordered_at
            from {sample.format(n=NEW_ORDERS, seed=number)}
            union all by name
            select
                'E{tag}-' || lpad(cast(row_number() over () as varchar), 6, '0') as order_id,
                'N{tag}-' || lpad(cast(row_number() over () as varchar), 5, '0') as customer_id,
                * exclude (order_id, customer_id, ordered_at),
                cast(timestamp '{day} 12:00:00' as {stamp}) as ordered_at
            from {sample.format(n=NEW_CUSTOMERS, seed=number + 1)}
            union all by name
            select * replace ('returned' as status)
            from {sample.format(n=STATUS_CHANGES, seed=number + 2)}
            union all by name
            select
                'L{tag}-' || lpad(cast(row_number() over () as varchar), 6, '0') as order_id,
                * exclude (order_id, ordered_at),
                cast(timestamp '{day} 10:00:00' - to_days(1 + row_number() over () % 365)
                    as {stamp}) as ordered_at
            from {sample.format(n=LATE_ORDERS, seed=number + 3)}
            union all by name
            select
                'B{tag}-000001' as order_id,
                * exclude (order_id, amount, ordered_at),
                cast(-1 as {_type(con, orders, "amount")}) as amount,
                cast(timestamp '{day} 09:00:00' as {stamp}) as ordered_at
            from {sample.format(n=1, seed=number + 4)}
        ) to '{daily}/orders/day-{tag}.parquet' (format parquet)
        """
    )


def _type(con: duckdb.DuckDBPyConnection, relation: str, column: str) -> str:
    rows = con.execute(f"describe select {column} from {relation}").fetchall()
    return rows[0][1]


def compare(left: Path, right: Path) -> int:
    con = duckdb.connect()
    con.execute(f"attach '{left}' as a (read_only)")
    con.execute(f"attach '{right}' as b (read_only)")
    tables = con.execute(
        "select table_name from duckdb_tables() where database_name = 'a' "
        "and schema_name = 'marts' order by 1"
    ).fetchall()
    differing = 0
    for (table,) in tables:
        if table in HISTORY_TABLES:
            print(f"{table}: skipped (reads the tier-history store, which differs by design)")
            continue
        columns = con.execute(
            "select column_name, data_type from duckdb_columns() where database_name = 'a' "
            "and schema_name = 'marts' and table_name = ? order by column_index",
            [table],
        ).fetchall()
        kept = ", ".join(
            f'round("{name}" / pow(10, floor(log10(abs("{name}") + 1e-300)) - 8)) as "{name}"'
            if kind == "DOUBLE"
            else f'"{name}"'
            for name, kind in columns
        )
        counts = [
            con.execute(
                f"select count(*) from (select {kept} from {x}.marts.{table} "
                f"except all select {kept} from {y}.marts.{table})"
            ).fetchall()[0][0]
            for x, y in (("a", "b"), ("b", "a"))
        ]
        rows = con.execute(f"select count(*) from a.marts.{table}").fetchall()[0][0]
        print(f"{table}: {rows:,} rows, {counts[0]:,} / {counts[1]:,} differ")
        differing += sum(counts)
    return 1 if differing else 0


def main(argv: list[str]) -> int:
    command, *args = argv
    if command == "layout":
        layout(Path(args[0]), Path(args[1]))
        return 0
    if command == "increment":
        increment(Path(args[0]), int(args[1]), args[2])
        return 0
    if command == "compare":
        return compare(Path(args[0]), Path(args[1]))
    raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
