"""Publish by difference: a release starts from the current one, and a BY_DATE table
(the tier history) writes only the dates that differ, yet every release holds exactly
the tables a release written from nothing holds, and no earlier release changes."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from crm_value.publish import BY_DATE, SERVING_FILE, publish

DAY = dt.date(2025, 6, 1)
MART = "fct_customer_tier_history"
assert ("marts", MART) in BY_DATE


def _work(path: Path, days: list[dt.date], change: dict | None = None) -> Path:
    """A work database with the served schemas: the history mart (three customers per
    date), another mart and an audit table. `change`: {date: new tier for C1}."""
    path.unlink(missing_ok=True)
    rows = []
    for day in days:
        for customer in ("C1", "C2", "C3"):
            tier = (change or {}).get(day, "A") if customer == "C1" else "B"
            rows.append((day, customer, tier, 1.5))
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts; create schema audit")
        con.execute(
            f"create table marts.{MART} (as_of_date date, customer_id varchar, "
            "tier varchar, clv double)"
        )
        con.executemany(f"insert into marts.{MART} values (?, ?, ?, ?)", rows)
        con.execute(f"comment on table marts.{MART} is 'every tier at every snapshot'")
        con.execute(f"comment on column marts.{MART}.tier is 'the tier then'")
        con.execute(
            "create table marts.dim_customers as select 'C' || i as customer_id, "
            f"date '{days[-1]}' as as_of_date from range(3) t(i)"
        )
        con.execute("create table audit.rejected_orders as select 'O1' as order_id")
    return path


def _publish(work: Path, serve: Path, release: str, say=print) -> Path:
    (serve / "run_history.parquet").parent.mkdir(parents=True, exist_ok=True)
    if not (serve / "run_history.parquet").exists():
        duckdb.execute(f"copy (select 1 as run) to '{serve / 'run_history.parquet'}'")
    meta = {"run_id": release, "as_of_date": DAY, "raw_input": "-", "dbt_vars": "{}"}
    built = {MART, "dim_customers", "rejected_orders"}
    final, _ = publish(work, serve, release, meta, built, say)
    return final


def _tables(release: Path) -> dict[str, list]:
    with duckdb.connect(str(release / SERVING_FILE), read_only=True) as con:
        names = con.execute(
            "select schema_name || '.' || table_name from duckdb_tables() "
            "where schema_name <> 'ops' order by 1"
        ).fetchall()
        comment = con.execute(
            f"select comment from duckdb_tables() where table_name = '{MART}' union all "
            f"select comment from duckdb_columns() where table_name = '{MART}' "
            "and column_name = 'tier'"
        ).fetchall()
        return {
            "_comment": comment,
            **{n: sorted(con.execute(f"select * from {n}").fetchall()) for (n,) in names},
        }


def _parts(release: Path) -> dict[str, Path]:
    folder = release / "parquet" / "marts" / MART
    return {p.stem: p for p in sorted(folder.iterdir())}


def _inode(path: Path) -> int:
    return os.stat(path).st_ino


@pytest.mark.parametrize("backfilled", [False, True])
def test_a_release_from_the_current_one_writes_only_the_dates_that_differ(tmp_path, backfilled):
    days = [DAY, DAY + dt.timedelta(days=1)]
    serve = tmp_path / "serve"
    first = _publish(_work(tmp_path / "work.duckdb", days), serve, "20250601T000000Z-a")
    first_bytes = (first / SERVING_FILE).read_bytes()
    first_parts = {name: (_inode(p), p.read_bytes()) for name, p in _parts(first).items()}

    # The next day: one more date; a backfill also rewrote the first date (same rows,
    # another tier for C1, so only the hash tells); and the second date was dropped.
    later = [DAY, DAY + dt.timedelta(days=2)]
    change = {DAY: "C"} if backfilled else None
    work = _work(tmp_path / "work.duckdb", later, change)
    second = _publish(work, serve, "20250602T000000Z-b")

    # The same tables as a release written from nothing.
    scratch = _publish(work, tmp_path / "scratch", "20250602T000000Z-c")
    assert _tables(second) == _tables(scratch)
    assert {r[2] for r in _tables(second)[f"marts.{MART}"] if r[0] == DAY and r[1] == "C1"} == {
        "C" if backfilled else "A"
    }

    parts = _parts(second)
    assert list(parts) == [str(d) for d in later]
    unchanged = str(DAY)
    linked = _inode(parts[unchanged]) == first_parts[unchanged][0]
    assert linked is not backfilled, "an unchanged date is linked, a changed one written"
    for name, path in parts.items():
        day = dt.date.fromisoformat(name)
        rows = pq.read_table(path).to_pylist()
        assert {r["as_of_date"] for r in rows} == {day}
        assert sorted((r["customer_id"], r["tier"]) for r in rows) == sorted(
            (r[1], r[2]) for r in _tables(second)[f"marts.{MART}"] if r[0] == day
        )

    # pyarrow (and pandas) read the folder as one table, the date a column of the files.
    folder = pq.read_table(second / "parquet" / "marts" / MART)
    assert folder.num_rows == len(_tables(second)[f"marts.{MART}"])

    # The earlier release is as it was (readers of it see no change).
    assert (first / SERVING_FILE).read_bytes() == first_bytes
    assert {n: (_inode(p), p.read_bytes()) for n, p in _parts(first).items()} == first_parts


def test_a_kept_table_carries_only_this_builds_descriptions(tmp_path):
    serve = tmp_path / "serve"
    _publish(_work(tmp_path / "work.duckdb", [DAY]), serve, "20250601T000000Z-a")
    work = _work(tmp_path / "work.duckdb", [DAY, DAY + dt.timedelta(days=1)])
    with duckdb.connect(str(work)) as con:
        con.execute(f"comment on table marts.{MART} is null")
        con.execute(f"comment on column marts.{MART}.tier is null")
    second = _publish(work, serve, "20250602T000000Z-b")
    assert _tables(second)["_comment"] == [(None,), (None,)]


def test_other_columns_write_the_table_whole(tmp_path):
    serve = tmp_path / "serve"
    first = _publish(_work(tmp_path / "work.duckdb", [DAY]), serve, "20250601T000000Z-a")
    work = _work(tmp_path / "work.duckdb", [DAY])
    with duckdb.connect(str(work)) as con:
        con.execute(f"alter table marts.{MART} add column segment varchar default 's'")
    second = _publish(work, serve, "20250602T000000Z-b")
    assert _tables(second) == _tables(_publish(work, tmp_path / "scratch", "20250602T000000Z-c"))
    only = str(DAY)
    assert _inode(_parts(second)[only]) != _inode(_parts(first)[only])
    assert "segment" in pq.read_table(_parts(second)[only]).column_names


def test_an_earlier_file_something_wrote_to_is_not_the_starting_point(tmp_path):
    """A write-ahead log beside the current release's file: a writer touched a published
    file, so the new release is written from nothing (no date linked)."""
    serve = tmp_path / "serve"
    first = _publish(_work(tmp_path / "work.duckdb", [DAY]), serve, "20250601T000000Z-a")
    (first / f"{SERVING_FILE}.wal").write_bytes(b"")
    work = _work(tmp_path / "work.duckdb", [DAY])
    second = _publish(work, serve, "20250602T000000Z-b")
    only = str(DAY)
    assert _inode(_parts(second)[only]) != _inode(_parts(first)[only])
    assert _tables(second) == _tables(_publish(work, tmp_path / "scratch", "20250602T000000Z-c"))


@pytest.mark.parametrize("damage", ["not a database", "truncated", "a block overwritten"])
def test_a_current_file_that_cannot_be_read_is_not_the_starting_point(tmp_path, damage):
    """The current release's file is damaged (by hand, a disk, a restore): the publish says
    so and writes the release from nothing, instead of failing every refresh."""
    serve = tmp_path / "serve"
    first = _publish(_work(tmp_path / "work.duckdb", [DAY]), serve, "20250601T000000Z-a")
    damaged = first / SERVING_FILE
    size = damaged.stat().st_size
    with open(damaged, "r+b") as f:
        if damage == "not a database":
            f.write(b"not a database" * 1000)
        elif damage == "truncated":
            f.truncate(size // 2)
        else:  # every block after the headers
            f.seek(3 * 4096)
            f.write(os.urandom(size - 3 * 4096))
    work = _work(tmp_path / "work.duckdb", [DAY, DAY + dt.timedelta(days=1)])
    said: list[str] = []
    second = _publish(work, serve, "20250602T000000Z-b", said.append)
    assert any("is not the starting point" in line for line in said), said
    assert _tables(second) == _tables(_publish(work, tmp_path / "scratch", "20250602T000000Z-c"))
    assert not (second / f"{SERVING_FILE}.wal").exists()
