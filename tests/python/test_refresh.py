"""Write-audit-publish: `crm-value refresh` publishes only what passed every guard.

A clean refresh of the clean fixture is published once per worker; each guard case then
works on a copy of that serving folder, breaks the raw files in the one way the guard
exists to catch, and checks that the refresh stops at that guard, says why, records the
run in the history, and leaves the published serving file byte-identical.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from conftest import (
    AS_OF,
    CLEAN,
    CRM_VALUE,
    PROJECT_DIR,
    RawFolder,
    dbt_children_of,
    fingerprint,
    history,
    refresh_args,
    refresh_env,
    run_refresh,
    serving_file,
    signal_mid_build,
)
from test_raw_rows import ORDER

from crm_value.publish import BY_DATE


def test_a_clean_refresh_publishes_the_marts_and_records_the_run(published):
    with duckdb.connect(str(serving_file(published)), read_only=True) as con:
        assert con.execute("select as_of_date from ops.release").fetchone()[0] == dt.date(
            2025, 7, 1
        )
        assert con.execute("select count(*) from marts.dim_customers").fetchone()[0] == 6
        runs = con.execute(
            "select outcome, failed_stage, customers_raw_rows, orders_raw_rows, "
            "orders_accepted_rows, orders_rejected_rows, as_of_date, expectations_failed "
            "from ops.run_history"
        ).fetchall()
        assert runs == [("passed", None, 6, 10, 10, 0, dt.date(2025, 7, 1), 0)]
        comment = con.execute(
            "select comment from duckdb_columns() where schema_name = 'marts' "
            "and table_name = 'dim_customers' and column_name = 'customer_id'"
        ).fetchone()[0]
        assert comment, "column descriptions are carried into the serving file"
        tables = con.execute(
            "select schema_name, table_name, estimated_size from duckdb_tables() "
            "where schema_name in ('marts', 'audit') order by all"
        ).fetchall()
        assert {t[1] for t in tables} >= {"dim_customers", "fct_customer_rfm", "rejected_orders"}
        release = Path(os.path.realpath(published / "current"))
        for schema, table, _ in tables:
            expected = con.execute(f"select count(*) from {schema}.{table}").fetchone()[0]
            if (schema, table) in BY_DATE:  # one file per date
                files = sorted((release / "parquet" / schema / table).glob("*.parquet"))
                assert files, table
                assert sum(pq.read_metadata(f).num_rows for f in files) == expected, table
                continue
            parquet = release / "parquet" / schema / f"{table}.parquet"
            assert pq.read_metadata(parquet).num_rows == expected, parquet
    last = history(published)[-1]
    report = Path(last["report_dir"])
    door = json.loads((report / "expectations.json").read_text(encoding="utf-8"))
    assert (door["success"], door["as_of_date"]) == (True, "2025-07-01")
    assert door["input_rows"] == {e: last[f"{e}_raw_rows"] for e in door["input_rows"]}
    assert sum(len(s["expectations"]) for s in door["suites"]) == last["expectations_evaluated"]
    assert "customer_files" in (report / "expectations.html").read_text(encoding="utf-8")
    results = json.loads((report / "run_results.json").read_text(encoding="utf-8"))["results"]
    assert len(results) == last["dbt_nodes_passed"] + last["dbt_nodes_warned"]


def break_completeness_field(raw: RawFolder) -> None:
    """Half the customer files lack a city: the field's completeness fails at the door."""
    raw.write(
        "customers",
        [
            {**r, "city": ""} if r["customer_id"] in {"C001", "C002", "C003"} else r
            for r in raw.rows("customers")
        ],
    )


def break_completeness_per_customer(raw: RawFolder) -> None:
    """Three customers each lack a different field: every field is 5/6 filled, but only
    half the files are complete."""
    missing = {"C001": "city", "C002": "region", "C004": "customer_name"}
    raw.write(
        "customers",
        [
            {**r, missing[r["customer_id"]]: ""} if r["customer_id"] in missing else r
            for r in raw.rows("customers")
        ],
    )


def break_completeness_behind_a_rejected_version(raw: RawFolder) -> None:
    """Three customers lack a city in their valid file but have a newer, complete version
    with an unknown customer_type. The door judges the newest version (complete); dbt
    rejects it and keeps the valid one (incomplete), so its audit fails the build."""
    rows = []
    for row in raw.rows("customers"):
        if row["customer_id"] in {"C001", "C002", "C003"}:
            rows.append({**row, "city": ""})
            rows.append({**row, "customer_type": "vip", "updated_at": "2025-06-25 00:00:00"})
        else:
            rows.append(row)
    raw.write("customers", rows)


def break_timeliness(raw: RawFolder) -> None:
    raw.write(
        "customers",
        [
            {**r, "created_at": "2021-01-01 00:00:00", "updated_at": "2022-01-01 00:00:00"}
            if r["customer_id"] in {"C001", "C002", "C003"}
            else r
            for r in raw.rows("customers")
        ],
    )


def break_status(raw: RawFolder) -> None:
    raw.write(
        "orders",
        [{**r, "status": "shipped"} for r in raw.rows("orders")[:3]] + raw.rows("orders")[3:],
    )


def break_file(raw: RawFolder) -> None:
    raw.drop_column("orders", "amount")


def break_rejected_share(raw: RawFolder) -> None:
    """Orders of an unknown customer: well-formed (the door passes), rejected by dbt."""
    raw.append(
        "orders",
        {**ORDER, "order_id": "O901", "customer_id": "C999"},
        {**ORDER, "order_id": "O902", "customer_id": "C999"},
    )


SKIP_TESTS = {"DBT_EXCLUDE_RESOURCE_TYPES": "test unit_test"}

GUARDS = [
    # damage, the stage that stops the refresh, text its reason must hold
    (
        break_completeness_field,
        AS_OF,
        "expectations",
        r"customer_files: city .*min_profile_completeness",
    ),
    (
        break_completeness_per_customer,
        AS_OF,
        "expectations",
        r"every profile field filled in 50\.0%",
    ),
    (
        break_completeness_behind_a_rejected_version,
        {**AS_OF, "max_rejected_share": 1},
        "build",
        r"test audit_profile_completeness failed",
    ),
    (break_timeliness, AS_OF, "expectations", r"updated_at.*min_profile_timeliness"),
    (break_status, AS_OF, "expectations", r"orders: status"),
    (break_file, AS_OF, "input", r"orders\.csv \(entity orders\) lacks required column 'amount'"),
    (break_rejected_share, AS_OF, "build", r"crm_rejected_share_within_bound_orders"),
    # No explicit as_of_date: the export's freshness is checked, and the 2025 fixture is
    # far older than the error age.
    (lambda raw: None, None, "freshness", r"source orders: newest row .* error after 7 days"),
]


@pytest.mark.parametrize(
    ("damage", "dbt_vars", "stage", "reason"),
    GUARDS,
    ids=[
        "completeness_field",
        "completeness_customer",
        "completeness_audit",
        "timeliness",
        "expectation",
        "broken_file",
        "dbt_test_with_skip_flags_in_env",
        "freshness",
    ],
)
def test_each_guard_stops_the_refresh_and_leaves_the_serving_file_byte_identical(
    copy_of, damage, dbt_vars, stage, reason
):
    raw, serve = copy_of
    damage(raw)
    before = fingerprint(serve)
    # The failing dbt test runs with a dbt flag left in the environment that would skip
    # every test (a scheduler's leftover): the refresh's dbt gets no DBT_ variable but its
    # own, so the test still runs and stops the refresh.
    env = SKIP_TESTS if damage is break_rejected_share else None
    run = run_refresh(raw.path, serve, dbt_vars, env=env)
    assert run.returncode == 1, run.output[-4000:]
    assert f"FAILED at stage '{stage}'" in run.output
    assert "the published marts are unchanged" in run.output
    assert fingerprint(serve) == before
    last = history(serve)[-1]
    assert (last["outcome"], last["failed_stage"], last["release_id"]) == ("failed", stage, None)
    assert re.search(reason, last["failure_reason"]), last["failure_reason"]
    assert last["ended_at"] is not None
    if stage != "input":  # the door counts the rows of files it could read
        assert (last["customers_raw_rows"], last["orders_raw_rows"]) == (
            len(raw.rows("customers")),
            len(raw.rows("orders")),
        )


def test_a_reader_holding_the_old_file_keeps_reading_while_a_new_release_is_published(copy_of):
    raw, serve = copy_of
    reader = duckdb.connect(str(serving_file(serve)), read_only=True)
    old_as_of = reader.execute("select as_of_date from ops.release").fetchone()[0]
    errors: list[BaseException] = []
    reads = 0
    stop = threading.Event()

    def keep_reading() -> None:
        nonlocal reads
        cursor = reader.cursor()
        while not stop.is_set():
            try:
                n = cursor.execute("select count(*) from marts.fct_customer_rfm").fetchone()[0]
                assert n > 0
                reads += 1
            except BaseException as exc:  # recorded, then reported by the test
                errors.append(exc)
                return
            time.sleep(0.05)

    thread = threading.Thread(target=keep_reading)
    thread.start()
    try:
        # Keep one release: the one the reader holds is deleted after the switch.
        run = run_refresh(raw.path, serve, {"as_of_date": "2025-06-01"}, "--keep-releases", "1")
    finally:
        stop.set()
        thread.join()
    assert run.returncode == 0, run.output[-4000:]
    assert not errors, errors
    assert reads > 10
    assert len(list((serve / "releases").iterdir())) == 1  # the held release is gone
    # The held connection still reads the release it opened ...
    assert reader.execute("select as_of_date from ops.release").fetchone()[0] == old_as_of
    reader.close()
    # ... and a new connection sees the new one.
    with duckdb.connect(str(serving_file(serve)), read_only=True) as con:
        assert con.execute("select as_of_date from ops.release").fetchone()[0] == dt.date(
            2025, 6, 1
        )
        outcomes = [r[0] for r in con.execute("select outcome from ops.run_history").fetchall()]
    assert outcomes == ["passed", "passed"]


def test_a_refresh_killed_mid_build_changes_nothing_and_the_next_one_records_it(copy_of):
    raw, serve = copy_of
    before = fingerprint(serve)
    killed = signal_mid_build(raw.path, serve, signal.SIGKILL)  # the refresh, not its child
    assert killed.returncode == -signal.SIGKILL, killed.output[-3000:]
    # The dbt child dies with its parent: no orphan keeps writing the work database. A
    # process leaves /proc's command lines before it has closed its files, so the lock
    # on the work database may outlive it by a moment; an orphan would hold it for good.
    work_db = serve.parent / "work.duckdb"
    assert wait_for(lambda: not dbt_children_of(serve)), dbt_children_of(serve)
    assert wait_for(lambda: lock_is_free(work_db)), "the work database is still locked"
    assert fingerprint(serve) == before
    assert history(serve)[-1]["outcome"] == "running"
    # A table no model builds any more, left in the work database: never published.
    with duckdb.connect(str(work_db)) as con:
        con.execute("create schema if not exists marts")
        con.execute("create table marts.fct_retired_model as select 42 as answer")

    run = run_refresh(raw.path, serve, AS_OF)
    assert run.returncode == 0, run.output[-4000:]
    assert "died without finishing; marked crashed" in run.output
    outcomes = [r["outcome"] for r in history(serve)]
    assert outcomes == ["passed", "crashed", "passed"]
    assert fingerprint(serve)["current"] != before["current"]
    with duckdb.connect(str(serving_file(serve)), read_only=True) as con:
        served = {r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()}
    assert "fct_retired_model" not in served
    assert "dim_customers" in served


def lock_is_free(database: Path) -> bool:
    """Whether a writer could open `database` now (no other process holds its lock)."""
    try:
        duckdb.connect(str(database)).close()
    except duckdb.IOException:
        return False
    return True


def wait_for(condition, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def test_a_second_refresh_is_refused_while_the_lock_is_held(copy_of):
    raw, serve = copy_of
    before = fingerprint(serve)
    with open(serve / ".refresh.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        run = run_refresh(raw.path, serve, AS_OF)
    assert run.returncode == 3
    assert "another refresh is running" in run.output
    assert fingerprint(serve) == before


def shift_dates(raw: RawFolder, days: int) -> None:
    """Move every date and timestamp in the raw files `days` days later."""
    stamp = re.compile(r"^(\d{4}-\d{2}-\d{2})(.*)$")
    for entity in ("customers", "orders", "receivables", "service_tickets", "surveys"):
        rows = []
        for row in raw.rows(entity):
            for key, value in row.items():
                match = stamp.match(value or "")
                if match:
                    day = dt.date.fromisoformat(match.group(1)) + dt.timedelta(days=days)
                    row[key] = day.isoformat() + match.group(2)
            rows.append(row)
        raw.write(entity, rows)


def test_a_current_export_passes_freshness_and_publishes(tmp_path):
    raw = RawFolder(tmp_path / "raw")
    shutil.copytree(CLEAN, raw.path)
    # The newest row of any file (a survey of 2025-07-05) moves to yesterday, the newest
    # order (2025-06-30) to six days ago: within the error age, past the warn age. The
    # one later date, a payment on 2025-07-15, moves back so it is not in the future.
    raw.write(
        "receivables",
        [{**r, "paid_at": "2025-07-05"} if r["paid_at"] else r for r in raw.rows("receivables")],
    )
    shift = (dt.datetime.now(dt.UTC).date() - dt.date(2025, 7, 6)).days
    shift_dates(raw, shift)
    serve = tmp_path / "serve"
    run = run_refresh(raw.path, serve)
    assert run.returncode == 0, run.output[-4000:]
    last = history(serve)[-1]
    assert last["outcome"] == "passed"
    assert last["freshness"].startswith("warn: "), last["freshness"]
    assert "source orders: newest row" in last["freshness"]
    assert last["as_of_date"] == dt.date(2025, 7, 1) + dt.timedelta(days=shift)


def test_a_failed_publish_changes_nothing_and_a_failed_tidy_up_is_still_a_publish(
    copy_of, monkeypatch, capsys
):
    from crm_value import publish as publish_module
    from crm_value import refresh as refresh_module
    from crm_value.inputs import RawInput

    raw, serve = copy_of
    before = fingerprint(serve)
    write_release = publish_module._write_release

    def half_written(*args):
        write_release(*args)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(publish_module, "_write_release", half_written)
    result = refresh_module.refresh(RawInput(raw.path), serve, serve.parent / "work.duckdb", AS_OF)
    assert (result.outcome, result.failed_stage) == ("failed", "publish")
    assert result.failure_reason.startswith("the disk is full: "), result.failure_reason
    assert "No space left on device" in result.failure_reason
    assert fingerprint(serve) == before
    assert not list((serve / "releases").glob(".tmp-*"))
    monkeypatch.undo()

    def tidy_fails(serve_dir, keep):
        raise OSError(13, "Permission denied")

    monkeypatch.setattr(refresh_module, "tidy_releases", tidy_fails)
    result = refresh_module.refresh(RawInput(raw.path), serve, serve.parent / "work.duckdb", AS_OF)
    assert result.outcome == "passed"
    assert os.readlink(serve / "current") != before["current"]
    assert "old releases were not all removed" in capsys.readouterr().out
    assert [r["outcome"] for r in history(serve)] == ["passed", "failed", "passed"]


@pytest.mark.parametrize(
    ("dbt_vars", "message"),
    [
        ('{as_of_date: "2025-13-01"}', "Invalid var 'as_of_date'"),
        ("{max_rejected_share: lots}", "Invalid var 'max_rejected_share'"),
        ("{min_profile_completeness: 2}", "Invalid var 'min_profile_completeness' = 2"),
    ],
)
def test_bad_vars_stop_the_refresh_before_the_door(copy_of, dbt_vars, message):
    raw, serve = copy_of
    before = fingerprint(serve)
    proc = subprocess.run(
        [*refresh_args(raw.path, serve, None), "--vars", dbt_vars],
        cwd=PROJECT_DIR,
        env=refresh_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1, proc.stdout[-3000:]
    last = history(serve)[-1]
    assert (last["outcome"], last["failed_stage"]) == ("failed", "vars")
    assert message in last["failure_reason"]
    assert last["expectations_evaluated"] is None  # the door never ran
    assert fingerprint(serve) == before


def test_vars_that_are_not_yaml_are_refused_before_anything_runs(tmp_path):
    serve = tmp_path / "serve"
    proc = subprocess.run(
        [str(CRM_VALUE), "refresh", "--serve-dir", str(serve), "--vars", "[1, 2]"],
        cwd=PROJECT_DIR,
        env=refresh_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "--vars must be a mapping" in proc.stderr
    assert not serve.exists()


def test_a_door_that_reads_other_rows_than_the_build_stops_the_refresh(copy_of, monkeypatch):
    from crm_value import refresh as refresh_module
    from crm_value.inputs import RawInput

    raw, serve = copy_of
    before = fingerprint(serve)
    reader_sql = RawInput.reader_sql

    def one_order_short(self, entity, only=None):
        sql = reader_sql(self, entity, only)
        return f"(select * from {sql} limit 9)" if entity == "orders" else sql

    monkeypatch.setattr(RawInput, "reader_sql", one_order_short)
    result = refresh_module.refresh(RawInput(raw.path), serve, serve.parent / "work.duckdb", AS_OF)
    assert (result.outcome, result.failed_stage) == ("failed", "input")
    assert "orders: the door read 9, the build 10" in result.failure_reason
    assert fingerprint(serve) == before
