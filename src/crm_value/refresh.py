"""`crm-value refresh`: the whole audited refresh, write-audit-publish.

    crm-value refresh [--raw-dir DIR] [--format csv|parquet] [--serve-dir DIR]
                      [--warehouse PATH] [--vars YAML] [--skip-freshness] [--keep-releases N]

Stages, each of which can stop the refresh (after dbt has checked every var, with the
project's own validators):

1. input and expectations: every raw file is checked (missing, unreadable, a required
   column absent, customers or orders empty), then the Great Expectations suite runs on
   the same files; its report is saved as HTML and JSON in `runs/<run>/`.
2. freshness: `dbt source freshness` (is the export itself recent?); skipped for the
   bundled demo seeds and for an explicit past `as_of_date`.
3. build: `dbt build` (seeds, models, every data test and audit; not the unit tests,
   which `make test` runs) into the work database, a file no reader opens.
4. publish: the marts and audit tables are copied into a new serving release (DuckDB file
   plus Parquet files) and `current` is switched to it in one atomic rename.

Whatever happens, the run is written to the run history; a refresh that stops leaves the
published release exactly as it was and says why in one line (never a traceback: an
unexpected error's traceback goes to `runs/<run>/traceback.txt`). Exit code 0: published;
1: stopped by a guard, a bad var, a fault or an error; 2: bad arguments (e.g. --vars that
is not YAML, an empty CRM_RAW_DIR, a work database inside the serving folder); 3: another
refresh holds the lock; 130 / 143: interrupted by SIGINT (Ctrl-C) / SIGTERM, the dbt child
stopped with it.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import fcntl
import importlib.util
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import time
import traceback
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from crm_value import history, run_history, spark_work
from crm_value.dbt_env import PROJECT_DIR
from crm_value.dbt_runner import DbtWorker, input_env, project_flags, run_dbt, user_names
from crm_value.publish import (
    RESTRICTED_SCHEMA,
    SERVED_SCHEMAS,
    PersonalDataLeak,
    clear_leftovers,
    current_problem,
    current_release,
    publish,
    serving_file,
    tidy_releases,
)
from crm_value.settings import (
    ENTITIES,
    RawInput,
    dumps_vars,
    explicit_as_of_date,
    needs_alias,
    parse_vars,
    project_vars,
    unknown_vars,
)

DEFAULT_SERVE_DIR = PROJECT_DIR / "serving"
DEFAULT_WAREHOUSE = PROJECT_DIR / "crm_value.duckdb"
KEEP_RUN_REPORTS = 50
# The published mart whose rows are the customers the release values (a valid order
# before as_of_date): an empty one is never published, a large drop needs a flag.
CUSTOMER_MART = "marts.fct_customer_rfm"
MAX_CUSTOMER_DROP = 0.5  # --max-customer-drop's default
REFRESH_TARGETS = ("duckdb", "spark")  # the profile's targets a refresh builds on
INTERRUPT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}


class RefreshBusy(RuntimeError):
    """Another refresh holds the serving folder's lock."""


class Interrupted(KeyboardInterrupt):
    """The refresh received SIGINT or SIGTERM."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _raise_interrupted(signum: int, _frame: Any) -> None:
    raise Interrupted(signum)


class StageFailed(RuntimeError):
    """A guard stopped the refresh at `stage`."""

    def __init__(self, stage: str, reason: str) -> None:
        super().__init__(reason)
        self.stage = stage
        self.reason = reason


@dataclass
class RefreshResult:
    """What one refresh did."""

    run_id: str
    outcome: str
    failed_stage: str | None = None
    failure_reason: str | None = None
    release: Path | None = None
    report_dir: Path | None = None
    row: dict[str, Any] = field(default_factory=dict)
    signum: int | None = None


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def _say(message: str) -> None:
    print(f"[refresh] {message}", flush=True)


@contextmanager
def _lock(serve_dir: Path) -> Iterator[None]:
    """Hold the serving folder's lock; the kernel frees it if this process dies."""
    lock_path = serve_dir / ".refresh.lock"
    with open(lock_path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            holder = lock_path.read_text(encoding="utf-8", errors="replace").strip()
            raise RefreshBusy(
                f"another refresh is running on {serve_dir} ({holder or 'lock ' + str(lock_path)})"
                "; wait for it to end"
            ) from exc
        handle.truncate(0)
        handle.write(f"PID {os.getpid()}, started {_utcnow():%Y-%m-%d %H:%M:%S} UTC\n")
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _artifact(work_dir: Path, name: str) -> dict[str, Any] | None:
    path = work_dir / "target" / name
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def _node_name(unique_id: str) -> str:
    """A node's name from its unique_id: `model.pkg.name`, `source.pkg.source.name`, or
    `test.pkg.name.hash` (long test names end in a hash)."""
    parts = unique_id.split(".")
    if parts[0] == "test" and len(parts) >= 4:
        return parts[2]
    return parts[-1]


def _first_line(text: str | None) -> str:
    for line in (text or "").splitlines():
        if line.strip():
            return " ".join(line.split())[:300]
    return ""


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_DBT_CLOCK = re.compile(r"^\d\d:\d\d:\d\d\s+")
_LOCK_HELD = re.compile(
    r'Could not set lock on file "(?P<path>[^"]+)": Conflicting lock is held in '
    r"(?P<exe>\S+) \(PID (?P<pid>\d+)\)"
)


def _process(pid: str) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return f"PID {pid}"
    command = " ".join(raw.decode(errors="replace").replace("\0", " ").split())
    return f"PID {pid}: " + (command if len(command) <= 160 else command[:157] + "...")


def _fault_lines(output: str) -> str | None:
    """A fault of the machine rather than the data, said plainly: the work database held
    by another process (a reader or another build), a full disk."""
    held = _LOCK_HELD.search(output)
    if held:
        return (
            f"the work database {held['path']} is open in another process "
            f"({_process(held['pid'])}); a build needs it alone: close that reader or "
            "wait for that build (BI tools read the serving file, never the work database)"
        )
    for line in output.splitlines():
        if "No space left on device" in line or "disk is full" in line.lower():
            return "the disk is full: " + _first_line(line)
    return None


def _error_lines(output: str) -> str:
    """The lines of dbt output that explain a failure with no run_results to read."""
    fault = _fault_lines(output)
    if fault:
        return fault
    output = _ANSI.sub("", output)
    keep = [
        _DBT_CLOCK.sub("", " ".join(line.split()))
        for line in output.splitlines()
        if any(
            k in line for k in ("Error", "error", "raw file", "raw folder", "Invalid var", "FAIL")
        )
    ]
    return " | ".join(keep[-6:]) or _first_line(output[-2000:]) or "dbt exited without a reason"


def _summarise_build(
    results: dict[str, Any] | None,
) -> tuple[dict[str, int], list[str], list[str]]:
    """Counts of passed/warned/failed nodes, a line per failed one, and the names of the
    tests that warned."""
    counts = {"passed": 0, "warned": 0, "failed": 0}
    failures: list[str] = []
    warned: list[str] = []
    for result in (results or {}).get("results", []):
        status = result.get("status")
        name = _node_name(result.get("unique_id", "?"))
        if status in {"success", "pass"}:
            counts["passed"] += 1
        elif status == "warn":
            counts["warned"] += 1
            warned.append(name)
        elif status in {"fail", "error", "runtime error"}:
            counts["failed"] += 1
            if status == "fail":
                failures.append(f"test {name} failed ({result.get('failures')} failing rows)")
            else:
                message = result.get("message") or ""
                reason = _fault_lines(message) or _first_line(message)
                failures.append(f"{name}: {status}: {reason}")
    return counts, failures, sorted(warned)


def _built_in_this_run(results: dict[str, Any] | None, name: str) -> bool:
    for result in (results or {}).get("results", []):
        if _node_name(result.get("unique_id", "")) == name:
            return result.get("status") == "success"
    return False


def _work_db_facts(warehouse: Path, results: dict[str, Any] | None) -> dict[str, Any]:
    """as_of_date and per-entity counts from the work database, where this run built them."""
    facts: dict[str, Any] = {}
    if not warehouse.exists():
        return facts
    with duckdb.connect(str(warehouse), read_only=True) as con:
        if _built_in_this_run(results, "int_analysis_date_resolved"):
            facts["as_of_date"] = con.execute(
                "select as_of_date from intermediate.int_analysis_date_resolved"
            ).fetchone()[0]
        if _built_in_this_run(results, "fct_clv_model_fits"):
            facts["clv_status"] = _clv_status(
                con, _built_in_this_run(results, "fct_clv_backtest_summary")
            )
        if _built_in_this_run(results, "crm_row_reconciliation"):
            for entity, raw_rows, accepted, rejected in con.execute(
                "select entity, raw_rows, accepted_rows, rejected_rows "
                "from audit.crm_row_reconciliation"
            ).fetchall():
                facts[f"{entity}_raw_rows"] = raw_rows
                facts[f"{entity}_accepted_rows"] = accepted
                facts[f"{entity}_rejected_rows"] = rejected
    return facts


def _clv_status(con: duckdb.DuckDBPyConnection, has_backtest: bool) -> str:
    """One line on the CLV models the marts score with: each chosen model's status (a limit
    or why it was skipped) and the backtest's error of the holdout's total (when this run
    built its summary)."""
    parts = [
        f"{model} {status}"
        + (" (q <= 1: one-time buyers have no expected order value)" if no_mean else "")
        for model, status, no_mean in con.execute(
            "select model, fit_status, coalesce(fit_status = 'fitted' and q <= 1, false) "
            "from marts.fct_clv_model_fits "
            "where is_chosen and fit_window = 'full' order by predicts desc"
        ).fetchall()
    ]
    backtest = []
    if has_backtest:
        backtest = con.execute(
            "select predicted_purchases, actual_purchases, relative_error "
            "from marts.fct_clv_backtest_summary where is_chosen and frequency_bucket = 'all'"
        ).fetchall()
    if not has_backtest:
        parts.append("backtest: not built")
    elif backtest and backtest[0][0] is not None:
        predicted, actual, error = backtest[0]
        share = "" if error is None else f" ({error:+.1%})"
        parts.append(
            f"backtest: {predicted:,.0f} repeat purchase days predicted for the holdout, "
            f"{actual:,} actual{share}"
        )
    else:
        parts.append("backtest: no prediction (see the calibration fits)")
    return "; ".join(parts)


def _freshness_verdict(sources: dict[str, Any] | None) -> tuple[list[str], list[str]]:
    """Lines for the sources past their error age and past their warn age."""
    errors: list[str] = []
    warnings: list[str] = []
    for result in (sources or {}).get("results", []):
        name = _node_name(result.get("unique_id", "?"))
        status = result.get("status")
        if status == "runtime error":
            errors.append(
                f"source {name}: freshness could not be checked: {_first_line(result.get('error'))}"
            )
            continue
        age_days = (result.get("max_loaded_at_time_ago_in_s") or 0) / 86400
        criteria = result.get("criteria") or {}
        newest = result.get("max_loaded_at")
        if status == "error":
            limit = criteria.get("error_after") or {}
            errors.append(
                f"source {name}: newest row {newest}, {age_days:.1f} days old, "
                f"error after {limit.get('count')} {limit.get('period')}s"
            )
        elif status == "warn":
            limit = criteria.get("warn_after") or {}
            warnings.append(
                f"source {name}: newest row {newest}, {age_days:.1f} days old, "
                f"warn after {limit.get('count')} {limit.get('period')}s"
            )
    return errors, warnings


def _prune_reports(runs_dir: Path) -> None:
    reports = sorted(p for p in runs_dir.iterdir() if p.is_dir())
    for old in reports[:-KEEP_RUN_REPORTS]:
        shutil.rmtree(old, ignore_errors=True)


def _file_stamps(raw: RawInput) -> dict[str, tuple[int, int]]:
    """Size and modification time of every raw file, to notice one that changes between
    the door and the build (an export landing mid-refresh)."""
    stamps = {}
    for entity in ENTITIES:
        for path in raw.files(entity):
            stat = path.stat()
            stamps[str(path)] = (stat.st_size, stat.st_mtime_ns)
    return stamps


def _check_all_nodes_ran(work_dir: Path, results: dict[str, Any] | None) -> None:
    """Every model, seed and data test of the project ran in this build.

    A leftover selection or exclusion (e.g. DBT_EXCLUDE_RESOURCE_TYPES in a scheduler's
    environment) must not let an untested build through.
    """
    manifest = _artifact(work_dir, "manifest.json")
    if manifest is None or results is None:
        raise StageFailed("build", "dbt wrote no manifest or run results to check")
    expected = {
        uid
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] in {"model", "seed", "test"}
    }
    ran = {result["unique_id"] for result in results.get("results", [])}
    missing = sorted(expected - ran)
    if missing:
        names = ", ".join(_node_name(uid) for uid in missing[:5])
        raise StageFailed(
            "build", f"{len(missing)} nodes of the project did not run (e.g. {names})"
        )


def _check_same_input(door_rows: dict[str, int], facts: dict[str, Any]) -> None:
    """The door and the build counted the same raw rows per entity: they read the files
    with the same reader options (settings.RawInput.reader_sql and the dbt source), and
    a drift between the two would mean the expectations checked other data."""
    differing = [
        f"{entity}: the door read {rows:,}, the build {facts[f'{entity}_raw_rows']:,}"
        for entity, rows in door_rows.items()
        if f"{entity}_raw_rows" in facts and facts[f"{entity}_raw_rows"] != rows
    ]
    if differing:
        raise StageFailed(
            "input",
            "the expectations and the build read different raw rows ("
            + "; ".join(differing)
            + "); nothing was published",
        )


def _built_models(results: dict[str, Any] | None) -> set[str]:
    """Names of the models this build created: only these are published."""
    return {
        _node_name(result["unique_id"])
        for result in (results or {}).get("results", [])
        if result["unique_id"].startswith("model.") and result.get("status") == "success"
    }


@dataclass
class _Served:
    """What the current release serves: its input and how many customers it values."""

    release: str
    raw_input: str | None
    customers: int | None


def _served(serve_dir: Path) -> _Served | None:
    """The current release's input and customer count, read from its serving file
    (read-only, as any BI reader), or None before the first publish."""
    release = current_release(serve_dir)
    if release is None:
        return None
    try:
        with duckdb.connect(str(serving_file(serve_dir)), read_only=True) as con:
            raw_input = con.execute("select raw_input from ops.release").fetchall()[0][0]
            customers = con.execute(f"select count(*) from {CUSTOMER_MART}").fetchall()[0][0]
    except (duckdb.Error, IndexError):
        return _Served(release.name, None, None)
    return _Served(release.name, raw_input, int(customers))


def _check_same_source(raw: RawInput, served: _Served | None, new_source: bool) -> None:
    """A serving folder serves one input: a refresh that reads another kind (demo or
    files) or another folder or format stops, unless the user says so (--new-source)."""
    if served is None or served.raw_input is None or new_source:
        return
    if served.raw_input != raw.describe():
        raise StageFailed(
            "input",
            f"this serving folder publishes {served.raw_input} (release {served.release}) "
            f"but this refresh reads {raw.describe()}; nothing was replaced. If the "
            "input has really moved, run again with --new-source",
        )


def _customers_built(warehouse: Path) -> int:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return int(con.execute(f"select count(*) from {CUSTOMER_MART}").fetchall()[0][0])


def _check_release_size(
    customers: int, as_of: Any, served: _Served | None, max_drop: float
) -> None:
    """Never publish an empty release; a drop in valued customers past `max_drop` of the
    current release needs the user's say (--max-customer-drop)."""
    if customers == 0:
        raise StageFailed(
            "publish",
            f"the build values no customer ({CUSTOMER_MART} is empty: is as_of_date "
            f"{as_of} before every valid order?); an empty release is never published",
        )
    if served is None or not served.customers:
        return
    drop = 1 - customers / served.customers
    if drop > max_drop:
        raise StageFailed(
            "publish",
            f"the build values {customers:,} customers where the current release "
            f"{served.release} values {served.customers:,} ({drop:.0%} fewer, more than "
            f"--max-customer-drop {max_drop:.0%}); nothing was replaced. If the drop is "
            "real, run again with --max-customer-drop 1",
        )


def _record(serve_dir: Path, row: dict[str, Any]) -> bool:
    """Write the run's row; a history that cannot be written (a full disk, a read-only
    folder) is said, never a reason to stop or to crash."""
    try:
        run_history.upsert(serve_dir, row)
    except (OSError, run_history.HistoryError) as exc:
        _say(f"warning: the run history could not be written: {exc}")
        return False
    return True


@contextmanager
def _plain_alias(path: Path, name: str) -> Iterator[Path]:
    """`path` as readers should be given it: a folder whose name a reader would not take
    literally (a glob, braces, quotes) is read through a plain-named link to it."""
    if not needs_alias(path):
        yield path
        return
    holder = Path(tempfile.mkdtemp(prefix="crm-"))
    link = holder / name
    os.symlink(path, link)
    try:
        yield link
    finally:
        link.unlink(missing_ok=True)
        holder.rmdir()


@contextmanager
def _literal_reader(raw: RawInput) -> Iterator[RawInput]:
    """The input as readers should be given it (see _plain_alias)."""
    if raw.raw_dir is None:
        yield raw
        return
    with _plain_alias(raw.raw_dir, "raw") as path:
        yield raw if path == raw.raw_dir else raw.aliased(path)


@dataclass
class _Run:
    """One refresh in progress: what it reads and writes, its history row, and the stage
    it has reached (what an interrupt or an unexpected error is recorded against)."""

    raw: RawInput
    serve_dir: Path
    warehouse: Path
    dbt_vars: dict[str, Any]
    started_at: dt.datetime
    run_name: str
    row: dict[str, Any]
    options: dict[str, Any]
    stage: str = "vars"
    # The tier-history store as dbt reads it (a plain alias when needed); None: this
    # build reads no stored history (a new input starts a new history).
    history_reader: Path | None = None
    worker: DbtWorker = field(default_factory=DbtWorker)
    # The profile's target: duckdb (the work database) or spark (Spark's warehouse, whose
    # tables the refresh reads through a DuckDB copy: crm_value.spark_work).
    target: str = "duckdb"

    @property
    def work_dir(self) -> Path:
        return self.serve_dir / ".work"

    def dbt(self, args: list[str]) -> tuple[int, str]:
        """One dbt command, in the run's dbt worker (one parse for the whole run)."""
        flags = project_flags(self.work_dir, self.dbt_vars)
        env = input_env(self.raw, self.warehouse, self.history_reader, self.target)
        code, output = self.worker.run(args, flags, env)
        return code, user_names(self.raw, output)

    def stages(self) -> Path:
        """Every stage in order; returns the published release, or raises StageFailed."""
        # GX imports slowly: the door's module is loaded when the door runs
        from crm_value.expectations import DOOR_LEDGER, BadRawFile, run_expectations

        row, raw, report_dir = self.row, self.raw, Path(self.row["report_dir"])
        broken = current_problem(self.serve_dir)
        if broken:
            raise StageFailed("publish", f"nothing can be published: {broken}")
        # 0. The vars: names the project knows, then every value checked by dbt's own
        # validators (one rule each, in the macros: ranges, an as_of_date the data can
        # reach) before the door reads any of them.
        _say("checking the vars")
        problems = unknown_vars(self.options["overrides"])
        if problems:
            raise StageFailed("vars", "; ".join(problems))
        # The run's dbt worker parses first and writes the manifest the build is checked
        # against (_check_all_nodes_ran): none may be left from an earlier run.
        for artifact in ("run_results.json", "manifest.json"):
            (self.work_dir / "target" / artifact).unlink(missing_ok=True)
        code, output = self.dbt(["run-operation", "crm_validate_vars"])
        if code != 0:
            raise StageFailed("vars", _error_lines(output))
        try:
            as_of = explicit_as_of_date(self.dbt_vars)
        except ValueError as exc:
            raise StageFailed("vars", f"Invalid var 'as_of_date': {exc}") from exc
        row["as_of_date"] = as_of

        # 1. The files and the expectations at the door.
        self.stage = "input"
        served = _served(self.serve_dir)
        _check_same_source(raw, served, self.options["new_source"])
        new_input = served is not None and served.raw_input not in (None, raw.describe())
        if new_input:  # the stored history describes the old input: not read, set aside
            self.history_reader = None
        _say(f"1/4 expectations at the door on {raw.describe()}")
        stage_start = time.perf_counter()
        try:
            door = run_expectations(
                raw, self.dbt_vars, self.started_at, report_dir, self.work_dir / DOOR_LEDGER
            )
            stamps = _file_stamps(raw)
        except BadRawFile as exc:
            raise StageFailed("input", str(exc)) from exc
        self.stage = "expectations"
        row["expectations_seconds"] = round(time.perf_counter() - stage_start, 2)
        report = json.loads(door.json_path.read_text(encoding="utf-8"))
        evaluated = sum(len(suite["expectations"]) for suite in report["suites"])
        row.update({f"{e}_raw_rows": n for e, n in door.input_rows.items()})
        row.update(
            as_of_date=row["as_of_date"] or door.as_of_date,
            expectations_evaluated=evaluated,
            expectations_failed=len(door.failures),
        )
        for entity, seen in door.already_judged.items():
            _say(
                f"    {entity}: {seen['files']:,} files ({seen['raw_rows']:,} rows) passed an "
                "earlier door and are unchanged: not read again"
            )
        file_warnings = [f"file: {line}" for line in door.warnings]
        for line in file_warnings:
            _say(f"    warning: {line}")
        row["warnings"] = "; ".join(filter(None, [row.get("warnings"), *file_warnings])) or None
        _say(f"    report: {door.html_path}")
        if not door.success:
            raise StageFailed("expectations", "; ".join(door.failures))
        _say(f"    all {evaluated} expectations met")

        # 2. Is the export itself recent?
        self.stage = "freshness"
        if raw.is_demo:
            row["freshness"] = "skipped: the bundled demo seeds are not an export"
        elif as_of is not None and as_of < self.started_at.date():
            row["freshness"] = f"skipped: explicit past as_of_date {as_of}"
        elif self.options["skip_freshness"]:
            row["freshness"] = "skipped: --skip-freshness"
        elif any(raw.is_folder(entity) for entity in ENTITIES):
            row["freshness"] = (
                "skipped: dbt's source freshness reads one file per entity, not a folder"
            )
        else:
            _say("2/4 source freshness")
            stage_start = time.perf_counter()
            sources = self.source_freshness()
            if sources is None:
                raise StageFailed("freshness", "dbt source freshness wrote no results")
            row["freshness_seconds"] = round(time.perf_counter() - stage_start, 2)
            errors, warnings = _freshness_verdict(sources)
            if errors:
                raise StageFailed("freshness", "; ".join(errors))
            row["freshness"] = ("warn: " + "; ".join(warnings)) if warnings else "pass"
        _say(f"2/4 freshness: {row['freshness']}")

        # 3. Build and test everything in the work database (or Spark's warehouse).
        self.stage = "build"
        if self.target == "spark":
            _say(f"3/4 dbt build on Spark, into its warehouse {spark_work.warehouse_dir()}")
        else:
            _say(f"3/4 dbt build into the work database {self.warehouse}")
        stage_start = time.perf_counter()
        (self.work_dir / "target" / "run_results.json").unlink(missing_ok=True)
        # Unit tests check the SQL against fixed inputs, not the data: they run where the
        # code changes (`make test`, any plain `dbt build`), not in every refresh. Exposures
        # and saved queries build nothing here (no-ops in the run results).
        code, output = self.dbt(
            ["build", "--exclude-resource-type", "unit_test", "exposure", "saved_query"]
        )
        row["build_seconds"] = round(time.perf_counter() - stage_start, 2)
        results = _artifact(self.work_dir, "run_results.json")
        if results is not None:
            shutil.copy(self.work_dir / "target" / "run_results.json", report_dir)
        docs_page = self.docs_site() if code == 0 else None
        self.worker.close()  # the last dbt command: the work database is let go
        counts, failures, warned = _summarise_build(results)
        try:
            work_db = self.work_tables(results)
        except StageFailed:
            if code != 0:  # a failed Spark build left tables out: say why it failed
                raise StageFailed("build", "; ".join(failures) or _error_lines(output)) from None
            raise
        row.update(
            dbt_nodes_passed=counts["passed"],
            dbt_nodes_warned=counts["warned"],
            dbt_nodes_failed=counts["failed"],
            warnings="; ".join(filter(None, [row.get("warnings"), ", ".join(warned)])) or None,
        )
        facts = _work_db_facts(work_db, results)
        row.update(facts)
        if row.get("clv_status"):
            _say(f"    CLV: {row['clv_status']}")
        if warned:
            _say(f"    warnings: {', '.join(warned)}")
        if code != 0:
            raise StageFailed("build", "; ".join(failures) or _error_lines(output))
        _check_all_nodes_ran(self.work_dir, results)
        _check_same_input(door.input_rows, facts)
        if _file_stamps(raw) != stamps:
            raise StageFailed(
                "input",
                "a raw file changed while the refresh ran (the build may not have read "
                "the files the expectations checked); run the refresh again",
            )

        # 4. Publish: one atomic switch, of a release that is not empty and has not lost
        # more customers than the user allows.
        self.stage = "publish"
        _say("4/4 publish")
        _check_release_size(
            _customers_built(work_db),
            row["as_of_date"],
            served,
            self.options["max_customer_drop"],
        )
        stage_start = time.perf_counter()
        meta = {key: row[key] for key in ("run_id", "as_of_date", "raw_input", "dbt_vars")}
        try:
            release, tables = publish(
                work_db,
                self.serve_dir,
                self.run_name,
                meta,
                _built_models(results),
                _say,
                docs_page,
            )
        except PersonalDataLeak as exc:
            raise StageFailed("publish", str(exc)) from exc
        except (OSError, duckdb.Error, RuntimeError) as exc:
            raise StageFailed(
                "publish", _fault_lines(str(exc)) or f"{type(exc).__name__}: {exc}"
            ) from exc
        if work_db != self.warehouse:  # Spark's copy: published, no longer needed
            work_db.unlink(missing_ok=True)
        self.stage = "history"
        _keep_history(self.serve_dir, release, row, new_input)
        self.stage = "tidy"
        row["publish_seconds"] = round(time.perf_counter() - stage_start, 2)
        row.update(outcome="passed", release_id=release.name, ended_at=_utcnow())
        _record(self.serve_dir, row)
        _say(
            f"published release {release.name} ({len(tables)} tables, as_of_date "
            f"{row['as_of_date']}): {serving_file(self.serve_dir)}"
        )
        try:
            tidy_releases(self.serve_dir, self.options["keep_releases"])
        except OSError as exc:  # published already; a leftover folder is no failure
            _say(f"warning: old releases were not all removed: {exc}")
        return release

    def docs_site(self) -> Path | None:
        """dbt's docs site of this build as one page (`dbt docs generate --static`, from the
        build's own manifest), published with the release; None, said, when dbt wrote none:
        the release is then published without it. On Spark the catalog is left empty (it
        would ask the metastore table by table)."""
        page = self.work_dir / "target" / "static_index.html"
        page.unlink(missing_ok=True)
        args = ["docs", "generate", "--static", "--no-compile"]
        if self.target == "spark":
            args.append("--empty-catalog")
        code, output = self.dbt(args)
        if code != 0 or not page.is_file():
            _say(f"    warning: no docs site for this release: {_error_lines(output)}")
            return None
        return page

    def source_freshness(self) -> dict[str, Any] | None:
        """dbt source freshness on the raw files; its sources.json (None: it wrote none),
        copied into the run's report. Freshness asks the files, not the warehouse: on
        Spark it runs on the duckdb target, whose sources read the files themselves, in
        a child of its own with a scratch database."""
        if self.target == "spark":
            scratch = self.work_dir / "freshness"
            shutil.rmtree(scratch, ignore_errors=True)
            scratch.mkdir()
            run_dbt(
                ["source", "freshness", "--vars", dumps_vars(self.dbt_vars)],
                self.raw,
                scratch / "scratch.duckdb",
                scratch,
                target="duckdb",
            )
            found = scratch / "target" / "sources.json"
        else:
            found = self.work_dir / "target" / "sources.json"
            found.unlink(missing_ok=True)
            self.dbt(["source", "freshness"])
        if not found.exists():
            return None
        shutil.copy(found, Path(self.row["report_dir"]) / "sources.json")
        return json.loads(found.read_text(encoding="utf-8"))

    def work_tables(self, results: dict[str, Any] | None) -> Path:
        """The DuckDB file the refresh reads the build's tables from: the work database,
        or on Spark a copy of what the build wrote (crm_value.spark_work)."""
        if self.target != "spark":
            return self.warehouse
        copy = self.work_dir / "spark_tables.duckdb"
        try:
            copied = spark_work.copy_to_duckdb(
                spark_work.warehouse_dir(),
                self.work_dir / "target" / "manifest.json",
                results,
                copy,
                (*SERVED_SCHEMAS, RESTRICTED_SCHEMA),
            )
        except (OSError, RuntimeError, duckdb.Error, ValueError) as exc:
            raise StageFailed("build", f"the Spark build's tables cannot be read: {exc}") from exc
        os.chmod(copy, 0o600)  # it holds the restricted schema: the owner's alone
        _say(f"    {len(copied)} tables read from Spark's warehouse")
        return copy


def _keep_history(serve_dir: Path, release: Path, row: dict[str, Any], new_input: bool) -> None:
    """After the switch: write the published date's snapshot to the history store (a
    new input first sets the old input's store aside). A write that fails is said and
    repaired by the next run's `history.recover`: the release holds the whole history."""
    try:
        if new_input:
            aside = history.set_aside(serve_dir, "previous-input")
            if aside:
                _say(f"the history of the previous input is kept in {aside}")
        day = dt.date.fromisoformat(str(row["as_of_date"]))
        history.write_from_release(serve_dir, release, [day])
        row["history_dates"] = day.isoformat()
        _say(f"tier history: {len(history.stored_dates(serve_dir))} snapshot dates stored")
    except (OSError, duckdb.Error) as exc:
        _say(f"warning: the tier history store was not written ({exc}); the next run repairs it")


def _prepare_history(serve_dir: Path) -> None:
    """Under the lock, before a run: clear unfinished snapshot files and fill the store
    with any date the current release holds and the store lacks."""
    for leftover in history.clear_leftovers(serve_dir):
        _say(f"removed {leftover}, left by a run that died while writing the tier history")
    try:
        recovered = history.recover(serve_dir)
    except (OSError, duckdb.Error) as exc:
        _say(f"warning: the tier history could not be checked against the current release: {exc}")
        return
    if recovered:
        dates = ", ".join(day.isoformat() for day in recovered)
        _say(f"tier history: restored {dates} from the current release")


def refresh(
    raw: RawInput,
    serve_dir: Path,
    warehouse: Path,
    overrides: dict[str, Any] | None = None,
    skip_freshness: bool = False,
    keep_releases: int = 3,
    new_source: bool = False,
    max_customer_drop: float = MAX_CUSTOMER_DROP,
    target: str = "duckdb",
) -> RefreshResult:
    """Run one audited refresh; publish only if every stage passes.

    A refresh that stops, is interrupted or meets an unexpected error records why in its
    history row, says so in one line and leaves the published release as it was.
    """
    serve_dir = serve_dir.resolve()
    warehouse = warehouse.resolve()
    serve_dir.mkdir(parents=True, exist_ok=True)
    (serve_dir / ".work").mkdir(exist_ok=True)
    options = {
        "overrides": overrides or {},
        "skip_freshness": skip_freshness,
        "keep_releases": keep_releases,
        "new_source": new_source,
        "max_customer_drop": max_customer_drop,
    }

    with _lock(serve_dir):
        started_at = _utcnow()
        run_id = uuid.uuid4().hex
        run_name = f"{started_at:%Y%m%dT%H%M%S}Z-{run_id[:8]}"
        report_dir = serve_dir / "runs" / run_name
        report_dir.mkdir(parents=True)
        damaged = run_history.set_aside_if_damaged(serve_dir)
        if damaged:
            _say(f"warning: {damaged}")
        before = current_release(serve_dir)
        try:
            settled = run_history.mark_crashed(
                serve_dir, started_at, before.name if before else None
            )
        except run_history.HistoryError as exc:
            settled = {}
            _say(f"warning: the run history could not be written: {exc}")
        for crashed, outcome in settled.items():
            _say(f"an earlier refresh ({crashed}) died without finishing; marked {outcome}")
        for leftover in clear_leftovers(serve_dir):
            _say(f"removed {leftover}, left by a refresh that died while publishing")
        _prepare_history(serve_dir)
        row: dict[str, Any] = {
            "run_id": run_id,
            "run_kind": "refresh",
            "started_at": started_at,
            "outcome": "running",
            "raw_input": raw.describe(),
            "dbt_vars": dumps_vars(overrides or {}),
            "report_dir": str(report_dir),
            "warnings": f"run history set aside: {damaged}" if damaged else None,
        }
        _record(serve_dir, row)
        result = RefreshResult(run_id, "running", report_dir=report_dir, row=row)
        run = _Run(
            raw, serve_dir, warehouse, project_vars(overrides), started_at, run_name, row, options
        )
        run.target = target
        try:
            with (
                _literal_reader(raw) as reader,
                _plain_alias(history.store_dir(serve_dir), "history") as history_reader,
            ):
                run.raw, run.history_reader = reader, history_reader
                result.release = run.stages()
            result.outcome = "passed"
        except StageFailed as exc:
            row.update(
                outcome="failed",
                failed_stage=exc.stage,
                failure_reason=exc.reason,
                ended_at=_utcnow(),
            )
            _record(serve_dir, row)
            result.outcome, result.failed_stage, result.failure_reason = (
                "failed",
                exc.stage,
                exc.reason,
            )
            kept = before.name if before else "none published yet"
            if current_problem(serve_dir):
                kept = "none switched; `current` is not a link"
            _say(f"FAILED at stage '{exc.stage}': {exc.reason}")
            _say(f"the published marts are unchanged (current release: {kept})")
        except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM through Interrupted
            run.worker.stop()
            signum = exc.signum if isinstance(exc, Interrupted) else signal.SIGINT
            reason = f"interrupted by {signal.Signals(signum).name} during stage '{run.stage}'"
            _settle_unexpected(run, before, result, reason)
            result.outcome, result.signum = "interrupted", signum
            _say(f"INTERRUPTED: {row['failure_reason']}")
        except Exception as exc:  # a bug or an unforeseen fault: a line, not a traceback
            run.worker.stop()
            trace = report_dir / "traceback.txt"
            with contextlib.suppress(OSError):
                trace.write_text(traceback.format_exc(), encoding="utf-8")
            reason = f"{type(exc).__name__}: {_first_line(str(exc))} (traceback: {trace})"
            _settle_unexpected(run, before, result, reason)
            _say(f"FAILED at stage '{result.failed_stage or run.stage}': {reason}")
        finally:
            run.worker.close()  # a run that stopped before its build: the worker is idle
            with contextlib.suppress(OSError):
                _prune_reports(serve_dir / "runs")
        result.row = row
        return result


def _settle_unexpected(run: _Run, before: Path | None, result: RefreshResult, reason: str) -> None:
    """Record a run that an interrupt or an unexpected error ended: published when its
    switch had happened, else failed at the stage it had reached."""
    if current_release(run.serve_dir) not in (None, before):
        run.row.update(outcome="passed", release_id=run.run_name, failure_reason=reason)
        result.outcome = "passed"
    else:
        run.row.update(
            outcome="failed",
            failed_stage=run.stage,
            failure_reason=f"{reason}; nothing was published",
        )
        result.outcome, result.failed_stage = "failed", run.stage
    result.failure_reason = run.row["failure_reason"]
    run.row["ended_at"] = _utcnow()
    _record(run.serve_dir, run.row)


def _work_database_problem(warehouse: Path, serve_dir: Path) -> str | None:
    """Why `warehouse` cannot be the work database of `serve_dir`, or None."""
    work, serve = warehouse.resolve(), serve_dir.resolve()
    if work.is_relative_to(serve):
        return (
            f"the work database {warehouse} lies inside the serving folder {serve_dir}: "
            "a build writes its every table there, and a published release must only "
            "ever be replaced by a switch; give it a path outside the serving folder"
        )
    if not work.parent.is_dir():
        return f"the work database's folder {work.parent} does not exist; create it first"
    if any(char in str(work) for char in "'\"") or not str(work).isprintable():
        return (
            f"the work database path {str(warehouse)!r} holds a quote or a control "
            "character, which dbt-duckdb cannot attach; rename it"
        )
    return None


def _has(module: str) -> bool:
    """Whether `module` can be imported here (without importing it)."""
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # its parent package is missing
        return False


def where_to_work(
    parser: argparse.ArgumentParser,
    args: argparse.Namespace,
    targets: tuple[str, ...] = ("duckdb",),
) -> tuple[RawInput, dict[str, Any], Path, Path, str]:
    """The input, the --vars, the serving folder, the work database and the profile's
    target (one of `targets`) of a refresh or a backfill, from its arguments and the
    environment; a bad one is the parser's error."""
    try:
        raw = RawInput.from_env(args.raw_dir, args.format)
        overrides = parse_vars(args.vars)
    except ValueError as exc:
        parser.error(str(exc))
    for name in ("CRM_SERVE_DIR", "CRM_WAREHOUSE_PATH"):
        if name in os.environ and not os.environ[name].strip():
            parser.error(f"{name} is set but empty: unset it for the default, or set a path")
    target = getattr(args, "target", None) or os.environ.get("CRM_TARGET", "duckdb")
    if target not in targets:
        where = "--target" if getattr(args, "target", None) else "CRM_TARGET"
        parser.error(
            f"{where} is {target!r}: `{parser.prog}` runs on "
            + " or ".join(repr(t) for t in targets)
            + ". The refresh builds, audits and publishes on the duckdb and spark targets "
            "(spark: pyspark in this process, whose warehouse is a local folder); the "
            "backfill on duckdb only. On another target, build with "
            f"`CRM_TARGET={target.strip() or 'spark'} dbt build` (README, 'On Spark'), or "
            "unset CRM_TARGET"
        )
    if target == "spark" and getattr(args, "warehouse", None):
        parser.error(
            "--warehouse names the DuckDB work database, which the spark target does not use: "
            "Spark builds into its own warehouse folder, $CRM_SPARK_WAREHOUSE (default "
            "spark/warehouse). Drop --warehouse, or set CRM_SPARK_WAREHOUSE"
        )
    missing = [m for m in ("pyspark", "dbt.adapters.spark") if target == "spark" and not _has(m)]
    if missing:
        parser.error(
            f"the spark target needs {' and '.join(missing)}, which `make setup` leaves out: "
            "run `make setup-spark` (requirements-spark.txt) first"
        )
    serve_dir = args.serve_dir or Path(os.environ.get("CRM_SERVE_DIR") or DEFAULT_SERVE_DIR)
    warehouse = args.warehouse or Path(os.environ.get("CRM_WAREHOUSE_PATH") or DEFAULT_WAREHOUSE)
    problem = _work_database_problem(warehouse, serve_dir)
    if problem:
        parser.error(problem)
    return raw, overrides, serve_dir, warehouse, target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="crm-value refresh", description=__doc__.splitlines()[0])
    parser.add_argument("--raw-dir", help="raw files folder (default: $CRM_RAW_DIR, else demo)")
    parser.add_argument("--format", choices=["csv", "parquet"], help="default: $CRM_RAW_FORMAT")
    parser.add_argument(
        "--serve-dir",
        type=Path,
        help="serving folder (default: $CRM_SERVE_DIR, else serving/ in the project)",
    )
    parser.add_argument(
        "--warehouse",
        type=Path,
        help="work database (default: $CRM_WAREHOUSE_PATH, else crm_value.duckdb); the "
        "duckdb target's only: spark builds in $CRM_SPARK_WAREHOUSE",
    )
    parser.add_argument(
        "--target",
        choices=REFRESH_TARGETS,
        help="the profile's target the build runs on (default: $CRM_TARGET, else duckdb); "
        "spark builds in Spark's warehouse ($CRM_SPARK_WAREHOUSE) and publishes the same "
        "release",
    )
    parser.add_argument("--vars", help="dbt vars as YAML or JSON, as `dbt build --vars`")
    parser.add_argument("--skip-freshness", action="store_true", help="do not check freshness")
    parser.add_argument("--keep-releases", type=int, default=3, help="releases kept (>= 1)")
    parser.add_argument(
        "--new-source",
        action="store_true",
        help="publish although the input (demo or files, folder, format) differs from the "
        "current release's",
    )
    parser.add_argument(
        "--max-customer-drop",
        type=float,
        default=MAX_CUSTOMER_DROP,
        help="largest share (0..1) of the current release's valued customers a new release "
        f"may lose (default {MAX_CUSTOMER_DROP}; 1 allows any drop)",
    )
    parser.add_argument(
        "--reprocess-changed",
        action="store_true",
        help="a raw folder's file that was read and has since changed is read again, and "
        "one that is gone is left out (default: either stops the refresh)",
    )
    args = parser.parse_args(argv)
    if args.keep_releases < 1:
        parser.error("--keep-releases must be at least 1")
    if not 0 <= args.max_customer_drop <= 1:
        parser.error("--max-customer-drop must be between 0 and 1")
    raw, overrides, serve_dir, warehouse, target = where_to_work(parser, args, REFRESH_TARGETS)
    if args.reprocess_changed:
        overrides = {**overrides, "changed_raw_files": "reprocess"}
    previous = signal.signal(signal.SIGTERM, _raise_interrupted)
    try:
        result = refresh(
            raw,
            serve_dir,
            warehouse,
            overrides,
            args.skip_freshness,
            args.keep_releases,
            args.new_source,
            args.max_customer_drop,
            target,
        )
    except RefreshBusy as exc:
        print(f"[refresh] {exc}", file=sys.stderr)
        return 3
    except OSError as exc:  # the serving folder itself cannot be written
        print(
            f"[refresh] FAILED: the serving folder {serve_dir} cannot be written "
            f"({exc.strerror or exc}: {exc.filename or serve_dir}); nothing was published "
            "and no run could be recorded",
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:  # before a run began: nothing to record
        print("[refresh] INTERRUPTED before the run began; nothing was done", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)
    if result.outcome == "interrupted":
        return INTERRUPT_CODES.get(result.signum or signal.SIGINT, 130)
    return 0 if result.outcome == "passed" else 1


if __name__ == "__main__":
    sys.exit(main())
