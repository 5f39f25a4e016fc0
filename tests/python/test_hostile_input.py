"""Hostile input and faults: the table "Hostile input and faults" of docs/testing.md row by row.

Each row of that table has an id (H01, H02, ...) and at least one test here marked with
it (`@row("H01")`); `test_every_row_of_the_table_has_a_test` holds the two together. A
test checks what the user meets: the exit code, the one line that says why, the run
history's row, and, where the refresh stops, a serving folder byte-identical to before.

The file rules are checked where they are written once (crm_value.raw_files, which the
door and dbt's on-run-start check both run); refresh-level cases stop as early as their
rule allows, so most cost no dbt build.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import duckdb
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
    run_dbt,
    run_refresh,
    serving_file,
    signal_mid_build,
)
from test_raw_rows import CUSTOMER, ORDER, build, rejected
from test_refresh import wait_for

from crm_value.door import BadRawFile, probe_files
from crm_value.inputs import RawInput
from crm_value.raw_files import csv_diagnosis

TESTING_DOC = PROJECT_DIR / "docs" / "testing.md"
ROWS: dict[str, list[str]] = {}


def row(*ids: str) -> Callable:
    """Mark a test as holding the docs table's rows `ids` true."""

    def mark(test: Callable) -> Callable:
        for case_id in ids:
            ROWS.setdefault(case_id, []).append(test.__name__)
        return test

    return mark


def table_ids() -> list[str]:
    text = TESTING_DOC.read_text(encoding="utf-8")
    section = text.split("\n## Hostile input and faults\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| (H\d\d) \|", section, flags=re.M)


# Rows held true by tests of other files, which already pay for the build they need.
ROWS["H12"] = [
    "test_refresh.py::test_a_failed_publish_changes_nothing_and_a_failed_tidy_up_is_still_a_publish"
]
ROWS["H13"] = [
    "test_refresh.py::test_a_refresh_killed_mid_build_changes_nothing_and_the_next_one_records_it"
]


def test_every_row_of_the_table_has_a_test():
    ids = table_ids()
    assert len(ids) == len(set(ids)) >= 16, ids
    assert sorted(ids) == sorted(ROWS), {
        "untested": set(ids) - set(ROWS),
        "unlisted": set(ROWS) - set(ids),
    }


# --- helpers ---------------------------------------------------------------------------


def refresh(serve: Path, *args: str, raw_dir: Path | None = None, env: dict | None = None):
    """`crm-value refresh` with `args` as typed (e.g. `--vars` as YAML): exit code, output."""
    run = run_refresh(raw_dir, serve, None, *args, env=env)
    return run.returncode, run.output


def no_traceback(output: str) -> None:
    assert "Traceback (most recent call last)" not in output, output[-3000:]


def stopped(serve: Path, before: dict, stage: str, code: int, output: str) -> dict:
    """The refresh stopped at `stage` with exit 1, said so in a line, recorded the run, and
    changed no published file; returns the history row."""
    no_traceback(output)
    assert code == 1, output[-3000:]
    assert f"FAILED at stage '{stage}'" in output, output[-3000:]
    last = history(serve)[-1]
    assert (last["outcome"], last["failed_stage"]) == ("failed", stage), last
    assert fingerprint(serve) == before
    return last


def door(raw: RawInput) -> list[str]:
    """The problems the file rules find (empty when the files pass)."""
    try:
        probe_files(raw)
    except BadRawFile as exc:
        return exc.problems
    return []


def to_parquet(raw: RawFolder, change: dict[str, str] | None = None) -> Path:
    """The raw folder as Parquet files (text columns), with `change` applied to orders:
    column -> a SQL expression over the text columns."""
    out = raw.path.parent / "parquet"
    out.mkdir(exist_ok=True)
    with duckdb.connect() as con:
        for entity in ("customers", "orders", "receivables", "service_tickets", "surveys"):
            select = "*"
            if entity == "orders" and change:
                select = "* replace (" + ", ".join(f"{e} as {c}" for c, e in change.items()) + ")"
            con.execute(
                f"copy (select {select} from read_csv('{raw.path}/{entity}.csv', "
                f"all_varchar = true)) to '{out}/{entity}.parquet'"
            )
    return out


# --- paths, folders and the serving folder's memory ----------------------------------


@row("H01")
def test_an_empty_raw_dir_variable_is_an_error_not_the_demo(copy_of):
    _, serve = copy_of
    before = fingerprint(serve)
    code, output = refresh(serve, env={"CRM_RAW_DIR": ""})
    assert code == 2, output
    assert "CRM_RAW_DIR is set but empty" in output
    no_traceback(output)
    assert fingerprint(serve) == before
    assert len(history(serve)) == 1  # nothing ran


def test_a_refresh_on_another_target_is_refused_before_anything_runs(tmp_path):
    serve = tmp_path / "serve"
    for target in ("spark_thrift", ""):
        code, output = refresh(serve, env={"CRM_TARGET": target})
        assert code == 2, output
        assert (
            f"CRM_TARGET is {target!r}: `crm-value refresh` runs on 'duckdb' or 'spark'" in output
        )
        no_traceback(output)
    code, output = refresh(serve, "--target", "spark_thrift")
    assert code == 2 and "invalid choice: 'spark_thrift'" in output, output
    backfill = subprocess.run(
        [str(CRM_VALUE), "backfill", "--serve-dir", str(serve), "--last", "2", "--every", "month"],
        env={**refresh_env(), "CRM_TARGET": "spark"},
        capture_output=True,
        text=True,
    )
    output = backfill.stdout + backfill.stderr
    assert backfill.returncode == 2, output
    assert "CRM_TARGET is 'spark': `crm-value backfill` runs on 'duckdb'" in output
    no_traceback(output)
    assert not serve.exists()  # nothing ran, nothing was recorded


def test_the_spark_target_without_its_packages_says_how_to_add_them(tmp_path, monkeypatch, capsys):
    from crm_value import refresh as refresh_module

    monkeypatch.delenv("CRM_TARGET", raising=False)
    monkeypatch.setattr(refresh_module, "_has", lambda module: module != "pyspark")
    with pytest.raises(SystemExit) as stop:
        refresh_module.main(["--serve-dir", str(tmp_path / "serve"), "--target", "spark"])
    assert stop.value.code == 2
    said = capsys.readouterr().err
    assert "the spark target needs pyspark, which `make setup` leaves out" in said
    assert "run `make setup-spark`" in said
    assert not (tmp_path / "serve").exists()


def test_a_work_database_given_on_the_spark_target_is_refused(tmp_path, monkeypatch, capsys):
    """--warehouse names the DuckDB work database; on Spark the build goes to Spark's own
    warehouse folder, so the flag would be silently ignored."""
    from crm_value import refresh as refresh_module

    monkeypatch.delenv("CRM_TARGET", raising=False)
    args = ["--serve-dir", str(tmp_path / "serve"), "--warehouse", str(tmp_path / "w.duckdb")]
    with pytest.raises(SystemExit) as stop:
        refresh_module.main([*args, "--target", "spark"])
    assert stop.value.code == 2
    said = capsys.readouterr().err
    assert "--warehouse names the DuckDB work database, which the spark target does not use" in said
    assert "CRM_SPARK_WAREHOUSE" in said
    assert not (tmp_path / "serve").exists()


@row("H02")
def test_a_refresh_from_another_input_is_refused_unless_told(copy_of, tmp_path):
    raw, serve = copy_of
    before = fingerprint(serve)
    code, output = refresh(serve, "--vars", json.dumps(AS_OF))  # the demo, over files
    last = stopped(serve, before, "input", code, output)
    assert f"publishes {raw.path.resolve()} (csv)" in last["failure_reason"]
    assert "reads demo seeds" in last["failure_reason"]
    assert "--new-source" in last["failure_reason"]
    other = tmp_path / "other"
    shutil.copytree(raw.path, other)
    code, output = refresh(serve, "--vars", json.dumps(AS_OF), raw_dir=other)
    assert f"reads {other} (csv)" in stopped(serve, before, "input", code, output)["failure_reason"]


@row("H03")
@pytest.mark.parametrize("inside", ["current/crm_value.duckdb", "work.duckdb"])
def test_a_work_database_inside_the_serving_folder_is_refused(copy_of, inside):
    raw, serve = copy_of
    before = fingerprint(serve)
    code, output = refresh(serve, "--warehouse", str(serve / inside), raw_dir=raw.path)
    assert code == 2, output
    assert "lies inside the serving folder" in output
    assert fingerprint(serve) == before
    assert len(history(serve)) == 1


@row("H04", "H06")
def test_a_folder_named_like_a_pattern_is_read_literally(tmp_path):
    """`export[1]` beside `export1`, with braces and a quote in its name too: the refresh
    reads that folder and no other. Its customers file also has a misspelt optional
    column and a header with spaces: a warning, and the spaced header still reads."""
    parent = tmp_path / "data"
    parent.mkdir()
    folder = parent / "export[1]_{date}_{name}_o'neil"
    shutil.copytree(CLEAN, folder)
    shutil.copytree(CLEAN, parent / "export1_{date}_{name}_o'neil")  # what a glob would add
    raw = RawFolder(folder)
    rows = [{**r, "e-mail": r["email"], " city ": r["city"]} for r in raw.rows("customers")]
    header = [{"email": "e-mail", "city": " city "}.get(c, c) for c in raw.header("customers")]
    raw.write("customers", rows, header)
    serve = tmp_path / "serve"
    run = run_refresh(folder, serve, AS_OF)
    no_traceback(run.output)
    assert run.returncode == 0, run.output[-4000:]
    last = history(serve)[-1]
    assert last["orders_raw_rows"] == last["orders_accepted_rows"] == 10
    assert last["raw_input"] == f"{folder} (csv)"
    assert "has column 'e-mail' but no 'email'" in last["warnings"], last["warnings"]
    assert "did you mean 'email'?" in run.output
    report = json.loads((Path(last["report_dir"]) / "expectations.json").read_text())
    assert any("e-mail" in line for line in report["file_warnings"])
    assert "e-mail" in (Path(last["report_dir"]) / "expectations.html").read_text()
    with duckdb.connect(str(serving_file(serve)), read_only=True) as con:
        ((cities,),) = con.execute("select count(city) from marts.dim_customers").fetchall()
    # ` city ` was read as city: every customer of the fixture has one.
    assert cities == last["customers_accepted_rows"] == len(rows)


@row("H04")
def test_plain_dbt_refuses_a_folder_duckdb_would_read_as_a_pattern(tmp_path):
    folder = tmp_path / "export*"
    shutil.copytree(CLEAN, folder)
    work = tmp_path / "work"
    run = run_dbt(["run-operation", "crm_check_raw_files"], work, raw_dir=folder)
    assert run.returncode != 0
    assert "holds '*', which DuckDB reads as a pattern" in run.output


# --- files the door refuses -----------------------------------------------------------


@row("H05")
def test_a_column_named_twice_is_a_bad_file(raw):
    rows = raw.rows("orders")
    header = [*raw.header("orders"), " AMOUNT"]
    raw.write("orders", [{**r, " AMOUNT": "1.00"} for r in rows], header)
    problems = door(RawInput(raw.path))
    assert problems == [
        f"raw file {raw.path}/orders.csv (entity orders) has column 'AMOUNT' twice (columns 6 "
        "and 9, compared trimmed and case-folded): which one holds the data is ambiguous"
    ]


@row("H05")
def test_dbt_runs_the_same_file_rules(raw, work):
    header = [*raw.header("orders"), "Amount"]
    raw.write("orders", raw.rows("orders"), header)
    run = run_dbt(["build", "--select", "stg_crm__orders"], work, raw_dir=raw.path)
    assert run.returncode != 0
    assert "has column 'Amount' twice" in run.output


@row("H07")
def test_a_misspelt_var_stops_at_vars_with_the_closest_name(copy_of):
    raw, serve = copy_of
    before = fingerprint(serve)
    code, output = refresh(serve, "--vars", "{max_rejected_shar: 0.5}", raw_dir=raw.path)
    last = stopped(serve, before, "vars", code, output)
    assert (
        last["failure_reason"]
        == "Unknown var 'max_rejected_shar'; did you mean 'max_rejected_share'?"
    )


@row("H08")
def test_money_in_a_32_bit_float_is_refused_with_the_column(raw):
    folder = to_parquet(raw, {"amount": "cast(amount as float)"})
    problems = door(RawInput(folder, "parquet"))
    assert len(problems) == 1 and "column 'amount' is FLOAT" in problems[0], problems
    assert "cannot hold amounts to the cent" in problems[0]
    # A double holds every amount of the contract's range to the cent: accepted.
    exact = to_parquet(raw, {"amount": "cast(amount as double)"})
    assert door(RawInput(exact, "parquet")) == []


@row("H09")
def test_a_future_as_of_date_stops_at_vars(copy_of):
    raw, serve = copy_of
    before = fingerprint(serve)
    code, output = refresh(serve, "--vars", "{as_of_date: 2030-01-01}", raw_dir=raw.path)
    last = stopped(serve, before, "vars", code, output)
    assert (
        "Invalid var 'as_of_date' = \"2030-01-01\": after the build's clock"
        in (last["failure_reason"])
    )
    assert "after any data" in last["failure_reason"]


@row("H10", "H11")
def test_implausible_dates_and_control_characters_are_rejected_with_reasons(raw, work):
    raw.append(
        "orders",
        {**ORDER, "ordered_at": "0001-01-01"},
        {**ORDER, "order_id": "O901", "channel": "web\x00x"},
        {**ORDER, "order_id": "O902", "ordered_at": "1900-01-02 00:00:00"},
    )
    raw.append("customers", {**CUSTOMER, "created_at": "1900-01-01"})
    run = build(raw, work)
    assert rejected(run, "orders", "order_id", "O900") == ["implausible_ordered_at"]
    assert rejected(run, "orders", "order_id", "O901") == ["control_character_channel"]
    assert rejected(run, "orders", "order_id", "O902") == []  # the bound's own day passes
    assert rejected(run, "customers", "customer_id", "C900") == ["implausible_created_at"]
    assert run.scalar("select count(*) from staging.stg_crm__orders where order_id = 'O902'") == 1
    stricter = build(raw, work, {"max_rejected_share": 1, "min_plausible_date": "1950-01-01"})
    assert rejected(stricter, "orders", "order_id", "O902") == ["implausible_ordered_at"]


@row("H10")
def test_an_empty_release_is_never_published(copy_of):
    raw, serve = copy_of
    before = fingerprint(serve)
    code, output = refresh(serve, "--vars", "{as_of_date: 2020-01-01}", raw_dir=raw.path)
    last = stopped(serve, before, "publish", code, output)
    assert "an empty release is never published" in last["failure_reason"]


@row("H10")
def test_a_large_drop_in_customers_needs_the_users_say(copy_of):
    raw, serve = copy_of
    keep = {"C001", "C002"}  # of the 5 valued customers
    raw.write("orders", [r for r in raw.rows("orders") if r["customer_id"] in keep])
    before = fingerprint(serve)
    code, output = refresh(serve, "--vars", json.dumps(AS_OF), raw_dir=raw.path)
    last = stopped(serve, before, "publish", code, output)
    assert "values 2 customers where the current release" in last["failure_reason"]
    assert "--max-customer-drop" in last["failure_reason"]
    # The user's say: the same drop within the bound they give passes the check.
    from crm_value.publish import ServedRelease, check_release_size

    served = ServedRelease("r", f"{raw.path} (csv)", 5)
    check_release_size(2, AS_OF["as_of_date"], served, 1.0)
    check_release_size(3, AS_OF["as_of_date"], served, 0.5)


@row("H11")
def test_a_nested_column_is_refused_with_the_column(raw):
    folder = to_parquet(raw, {"channel": "{'name': channel, 'code': 1}"})
    problems = door(RawInput(folder, "parquet"))
    assert len(problems) == 1 and "column 'channel' is STRUCT" in problems[0], problems


@row("H11")
def test_customer_ids_typed_unlike_the_customers_file_are_refused(raw):
    folder = to_parquet(
        raw, {"customer_id": "cast(regexp_replace(customer_id, '\\D', '', 'g') as bigint)"}
    )
    problems = door(RawInput(folder, "parquet"))
    assert problems == [
        f"raw file {folder}/orders.parquet (entity orders) column 'customer_id' is BIGINT but "
        "the customers file's is VARCHAR: ids are matched as text, so '00042' and 42 never "
        "meet; export customer_id with one type in every file"
    ]


# --- arguments, signals, locks and the machine ---------------------------------------


@row("H12")
@pytest.mark.parametrize("text", ["{as_of_date: [2026-01-01", "{a:\t1}"])
def test_vars_that_are_not_yaml_get_a_line_and_exit_2(tmp_path, text):
    code, output = refresh(tmp_path / "serve", "--vars", text)
    assert code == 2
    assert "--vars is not valid YAML at line 1, column" in output
    no_traceback(output)


@row("H12")
def test_a_serving_folder_that_cannot_be_written_gets_a_line(tmp_path, monkeypatch, capsys):
    from crm_value import refresh as refresh_module

    def read_only(*_args, **_kwargs):
        raise OSError(errno.EROFS, "Read-only file system", str(tmp_path / "serve"))

    monkeypatch.setattr(refresh_module.Path, "mkdir", read_only)
    code = refresh_module.main(["--serve-dir", str(tmp_path / "serve"), "--raw-dir", str(CLEAN)])
    err = capsys.readouterr().err
    assert code == 1
    assert "the serving folder" in err and "Read-only file system" in err
    assert "no run could be recorded" in err


@row("H12")
def test_a_history_that_cannot_be_written_is_said_not_raised(copy_of, monkeypatch, capsys):
    from crm_value import refresh as refresh_module
    from crm_value import run_history

    raw, serve = copy_of
    before = fingerprint(serve)

    def disk_full(*_args, **_kwargs):
        raise run_history.HistoryError(f"{serve}/run_history.parquet: No space left on device")

    monkeypatch.setattr(run_history, "_write_rows", disk_full)
    code = refresh_module.main([*refresh_args(raw.path, serve, None)[2:], "--vars", "{x: 1}"])
    out = capsys.readouterr().out
    assert code == 1
    assert "warning: the run history could not be written" in out
    assert "FAILED at stage 'vars': Unknown var 'x'" in out
    assert fingerprint(serve) == before


@row("H12", "H13")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_the_refresh_and_its_dbt_child_and_closes_the_row(copy_of, signum):
    raw, serve = copy_of
    before = fingerprint(serve)
    run = signal_mid_build(raw.path, serve, signum)
    output = run.output
    no_traceback(output)
    assert run.returncode == {signal.SIGTERM: 143, signal.SIGINT: 130}[signum], output[-3000:]
    assert wait_for(lambda: not dbt_children_of(serve))
    last = history(serve)[-1]
    name = signal.Signals(signum).name
    assert (last["outcome"], last["failed_stage"]) == ("failed", "build"), last
    assert last["failure_reason"].startswith(f"interrupted by {name} during stage 'build'")
    assert f"INTERRUPTED: interrupted by {name}" in output
    assert fingerprint(serve) == before


@row("H13")
def test_a_reader_holding_the_work_database_is_named(copy_of):
    raw, serve = copy_of
    before = fingerprint(serve)
    work_db = serve.parent / "work.duckdb"
    duckdb.connect(str(work_db)).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; c = duckdb.connect({str(work_db)!r}); "
            "print('open', flush=True); time.sleep(120)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        code, output = refresh(serve, "--vars", json.dumps(AS_OF), raw_dir=raw.path)
    finally:
        holder.kill()
        holder.wait()
    last = stopped(serve, before, "vars", code, output)
    assert (
        f"the work database {work_db} is open in another process (PID {holder.pid}"
        in last["failure_reason"]
    )


@row("H13")
def test_a_second_refresh_is_told_who_holds_the_lock(copy_of):
    raw, serve = copy_of
    import fcntl

    with open(serve / ".refresh.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        handle.write("PID 4242, started 2026-01-01 00:00:00 UTC\n")
        handle.flush()
        code, output = refresh(serve, raw_dir=raw.path)
    assert code == 3
    assert "another refresh is running" in output and "PID 4242" in output


@row("H14")
def test_leftovers_of_a_killed_publish_are_cleared_and_said(copy_of):
    raw, serve = copy_of
    current = (serve / "current").resolve()
    shutil.copytree(current, serve / "releases" / "20000101T000000Z-00000000")  # kept, older
    before = fingerprint(serve)
    unfinished = serve / "releases" / ".tmp-20990101T000000Z-deadbeef"
    unswitched = serve / "releases" / "20990101T000000Z-deadbeef"
    shutil.copytree(current, unfinished)
    shutil.copytree(current, unswitched)
    os.symlink(Path("releases") / unswitched.name, serve / ".current.999.tmp")
    code, output = refresh(serve, "--vars", "{not_a_var: 1}", raw_dir=raw.path)
    assert code == 1
    for leftover in (unfinished, unswitched, serve / ".current.999.tmp"):
        assert f"removed {leftover}" in output
        assert not leftover.exists() and not leftover.is_symlink()
    assert fingerprint(serve) == before  # the live release and the older kept one stay
    assert (serve / "current").resolve() == current


@row("H14")
def test_a_current_that_is_a_folder_is_left_alone_and_named(copy_of):
    raw, serve = copy_of
    release = (serve / "current").resolve()
    (serve / "current").unlink()
    shutil.copytree(release, serve / "current")  # a restore that copied the link's target
    before = fingerprint_tree(serve)
    code, output = refresh(serve, "--vars", json.dumps(AS_OF), raw_dir=raw.path)
    no_traceback(output)
    assert code == 1
    assert "FAILED at stage 'publish': nothing can be published:" in output
    assert "is a folder, not the link a refresh switches" in output
    assert release.is_dir()  # the kept releases stay
    assert fingerprint_tree(serve) == before


def fingerprint_tree(serve: Path) -> dict[str, str]:
    """Every file under the serving folder but the run history and reports, by content."""
    import hashlib

    return {
        str(p.relative_to(serve)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(serve.rglob("*"))
        if p.is_file()
        and not p.is_symlink()
        and p.parts[len(serve.parts)] not in {"runs", ".work"}
        and not p.name.startswith((".refresh", "run_history"))
    }


@row("H15")
@pytest.mark.parametrize(
    ("lines", "reason"),
    [
        (
            lambda ls: [ls[0].rsplit(",", 1)[0], *ls[1:]],
            "line 2 has 8 fields where the header (line 1) has 7",
        ),
        (
            lambda ls: [*ls[:4], ls[4] + ',"x', *ls[5:]],
            "the quote opened on line 5 is never closed",
        ),
        (
            lambda ls: [*ls[:150], ls[1] + ",extra", *ls[151:]],
            "line 151 has 9 fields where the header (line 1) has 8",
        ),
        (
            lambda ls: [*ls[:3], ls[3] + ',"' + "x" * 3_000_000 + '"', *ls[4:]],
            "line 4 holds about 3,000,071 characters, more than the 2,000,000 bytes a CSV "
            "line may hold",
        ),
    ],
    ids=["short-header", "unclosed-quote", "line-151", "3-MiB-field"],
)
def test_an_unreadable_csv_is_explained_by_line_and_cause(raw, lines, reason):
    path = raw.path / "orders.csv"
    content = path.read_text().splitlines()
    content += [f"O{i},C001,2025-01-01 00:00:00,completed,1,1.00,1.00,web" for i in range(200)]
    path.write_text("\n".join(lines(content)) + "\n")
    assert csv_diagnosis(str(path)) == reason
    (problem,) = door(RawInput(raw.path))
    assert problem.startswith(f"raw file {path} (entity orders) cannot be read: {reason} (DuckDB: ")
    assert len(problem) < 1000  # the reason survives a huge field, which is cut


@row("H15")
def test_a_file_split_by_another_delimiter_is_named_so(raw):
    path = raw.path / "orders.csv"
    path.write_text(path.read_text().replace(",", ";"))
    (problem,) = door(RawInput(raw.path))
    assert problem == (
        f"raw file {path} (entity orders) is not comma-separated: its header reads as one "
        "column, 'order_id;customer_id;ordered_at;status;quantity;amount;cost;channel', split "
        "by ';'; the contract wants ',' between columns"
    )


@row("H15")
def test_a_missing_folder_or_an_empty_file_is_named_so(raw, tmp_path):
    assert door(RawInput(tmp_path / "no_such_folder")) == [
        f"raw folder {tmp_path / 'no_such_folder'} does not exist (or is not a folder)"
    ]
    (raw.path / "surveys.csv").write_bytes(b"")
    assert door(RawInput(raw.path)) == [
        f"raw file {raw.path}/surveys.csv (entity surveys) is empty (0 bytes): not even a "
        "header row; a file without rows still needs its header"
    ]


@row("H15")
def test_a_file_that_is_not_a_file_is_named_for_what_it_is(raw):
    (raw.path / "surveys.csv").unlink()
    (raw.path / "surveys.csv").mkdir()
    (raw.path / "service_tickets.csv").unlink()
    os.symlink("service_tickets.csv", raw.path / "service_tickets.csv")
    (raw.path / "receivables.csv").unlink()
    os.symlink("gone.csv", raw.path / "receivables.csv")
    label = f"raw file {raw.path}/"
    assert door(RawInput(raw.path)) == [
        f"{label}receivables.csv (entity receivables) is a symbolic link to 'gone.csv', "
        "which does not exist",
        f"{label}service_tickets.csv (entity service_tickets) is a symbolic link that loops "
        "(it never reaches a file)",
        f"{label}surveys.csv (entity surveys) is a directory, not a file",
    ]


@row("H15")
def test_faults_in_dbt_output_are_said_plainly():
    from crm_value.stage import error_lines

    output = (
        "Runtime Error in model int_orders (models/x.sql)\n"
        '  IO Error: could not write file "/w/work.duckdb.wal": No space left on device\n'
    )
    assert error_lines(output).startswith("the disk is full: IO Error: could not write file")


@row("H15")
@pytest.mark.parametrize(
    ("name", "message"),
    [("wh 'x'.duckdb", "holds a quote"), ("no/such/folder/wh.duckdb", "does not exist")],
)
def test_a_work_database_that_cannot_be_attached_is_refused(tmp_path, name, message):
    code, output = refresh(tmp_path / "serve", "--warehouse", str(tmp_path / name))
    assert code == 2
    assert message in output
    assert not (tmp_path / "serve").exists()


@row("H16")
def test_a_damaged_history_is_set_aside_and_a_new_one_started(copy_of):
    raw, serve = copy_of
    path = serve / "run_history.parquet"
    damaged = path.read_bytes()[: path.stat().st_size // 2]
    path.write_bytes(damaged)
    before = fingerprint(serve)
    code, output = refresh(serve, "--vars", "{not_a_var: 1}", raw_dir=raw.path)
    no_traceback(output)
    assert code == 1
    (aside,) = serve.glob("run_history.damaged-*.parquet")
    assert aside.read_bytes() == damaged  # kept as it was
    assert f"it is kept as {aside.name}" in output
    (last,) = history(serve)
    assert (last["outcome"], last["failed_stage"]) == ("failed", "vars")
    assert "run history set aside" in last["warnings"]
    assert fingerprint(serve) == before
    with duckdb.connect(str(serving_file(serve)), read_only=True) as con:  # BI works again
        assert con.execute("select count(*) from ops.run_history").fetchall() == [(1,)]


@row("H17")
def test_an_email_where_the_bi_file_would_serve_it_stops_the_publish(copy_of):
    raw, serve = copy_of
    rows = raw.rows("customers")
    for customer in rows:
        if customer["customer_id"] == "C002":
            customer["city"] = "Write to li.lei@example.com"
    raw.write("customers", rows)
    before = fingerprint(serve)
    code, output = refresh(serve, "--vars", json.dumps(AS_OF), raw_dir=raw.path)
    last = stopped(serve, before, "publish", code, output)
    assert (
        "the BI serving file would carry personal data, so nothing was published: "
        "marts.dim_customers.city: 1 value(s) look like an email (customer_id C002)"
    ) in last["failure_reason"]
