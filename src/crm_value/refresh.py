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

Each stage is a module of its own (crm_value.inputs, door, freshness, build, publish);
this one runs them in order and settles a run that stops. Whatever happens, the run is
written to the run history; a refresh that stops leaves the
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
import os
import shutil
import signal
import sys
import traceback
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crm_value import history, run_history
from crm_value.build import build
from crm_value.dbt_env import PROJECT_DIR
from crm_value.dbt_runner import DbtWorker, input_env, project_flags, user_names
from crm_value.freshness import check_freshness
from crm_value.history import keep_history, prepare_history
from crm_value.inputs import RawInput, check_input, check_vars, literal_reader, plain_alias
from crm_value.publish import (
    clear_leftovers,
    current_problem,
    current_release,
    publish_stage,
    served_release,
    serving_file,
    tidy_releases,
)
from crm_value.settings import dumps_vars, parse_vars, project_vars
from crm_value.stage import StageFailed, first_line, record, say, utcnow

DEFAULT_SERVE_DIR = PROJECT_DIR / "serving"
DEFAULT_WAREHOUSE = PROJECT_DIR / "crm_value.duckdb"
KEEP_RUN_REPORTS = 50
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
        handle.write(f"PID {os.getpid()}, started {utcnow():%Y-%m-%d %H:%M:%S} UTC\n")
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _prune_reports(runs_dir: Path) -> None:
    reports = sorted(p for p in runs_dir.iterdir() if p.is_dir())
    for old in reports[:-KEEP_RUN_REPORTS]:
        shutil.rmtree(old, ignore_errors=True)


@dataclass
class Run:
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
        """Every stage in order, each in its own module; returns the published release, or
        raises StageFailed."""
        # GX imports slowly: the door's module is loaded when the door runs
        from crm_value.door import door_stage

        broken = current_problem(self.serve_dir)
        if broken:
            raise StageFailed("publish", f"nothing can be published: {broken}")
        as_of = check_vars(self)
        self.stage = "input"
        served = served_release(self.serve_dir)
        new_input = check_input(self, served)
        door, stamps = door_stage(self)
        check_freshness(self, as_of)
        built = build(self, door, stamps)
        release, tables = publish_stage(self, built, served)
        self.stage = "history"
        keep_history(self.serve_dir, release, self.row, new_input)
        self.stage = "tidy"
        self.row.update(outcome="passed", release_id=release.name, ended_at=utcnow())
        record(self.serve_dir, self.row)
        say(
            f"published release {release.name} ({len(tables)} tables, as_of_date "
            f"{self.row['as_of_date']}): {serving_file(self.serve_dir)}"
        )
        try:
            tidy_releases(self.serve_dir, self.options["keep_releases"])
        except OSError as exc:  # published already; a leftover folder is no failure
            say(f"warning: old releases were not all removed: {exc}")
        return release


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
        started_at = utcnow()
        run_id = uuid.uuid4().hex
        run_name = f"{started_at:%Y%m%dT%H%M%S}Z-{run_id[:8]}"
        before = current_release(serve_dir)
        row = _start_run(serve_dir, run_name, run_id, started_at, raw, overrides)
        report_dir = Path(row["report_dir"])
        result = RefreshResult(run_id, "running", report_dir=report_dir, row=row)
        run = Run(
            raw, serve_dir, warehouse, project_vars(overrides), started_at, run_name, row, options
        )
        run.target = target
        try:
            with (
                literal_reader(raw) as reader,
                plain_alias(history.store_dir(serve_dir), "history") as history_reader,
            ):
                run.raw, run.history_reader = reader, history_reader
                result.release = run.stages()
            result.outcome = "passed"
        except StageFailed as exc:
            _settle_failed(run, before, result, exc)
        except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM through Interrupted
            run.worker.stop()
            signum = exc.signum if isinstance(exc, Interrupted) else signal.SIGINT
            reason = f"interrupted by {signal.Signals(signum).name} during stage '{run.stage}'"
            _settle_unexpected(run, before, result, reason)
            result.outcome, result.signum = "interrupted", signum
            say(f"INTERRUPTED: {row['failure_reason']}")
        except Exception as exc:  # a bug or an unforeseen fault: a line, not a traceback
            run.worker.stop()
            _settle_error(run, before, result, exc)
        finally:
            run.worker.close()  # a run that stopped before its build: the worker is idle
            with contextlib.suppress(OSError):
                _prune_reports(serve_dir / "runs")
        result.row = row
        return result


def _start_run(
    serve_dir: Path,
    run_name: str,
    run_id: str,
    started_at: dt.datetime,
    raw: RawInput,
    overrides: dict[str, Any] | None,
) -> dict[str, Any]:
    """Under the lock, before the stages: the run's report folder, what a dead run left
    settled (its history row, a half-written release, the tier history), and the run's
    own row recorded as running. Returns the row."""
    report_dir = serve_dir / "runs" / run_name
    report_dir.mkdir(parents=True)
    damaged = run_history.set_aside_if_damaged(serve_dir)
    if damaged:
        say(f"warning: {damaged}")
    before = current_release(serve_dir)
    try:
        settled = run_history.mark_crashed(serve_dir, started_at, before.name if before else None)
    except run_history.HistoryError as exc:
        settled = {}
        say(f"warning: the run history could not be written: {exc}")
    for crashed, outcome in settled.items():
        say(f"an earlier refresh ({crashed}) died without finishing; marked {outcome}")
    for leftover in clear_leftovers(serve_dir):
        say(f"removed {leftover}, left by a refresh that died while publishing")
    prepare_history(serve_dir)
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
    record(serve_dir, row)
    return row


def _settle_failed(run: Run, before: Path | None, result: RefreshResult, exc: StageFailed) -> None:
    """Record a run a guard stopped, and say which release is still published."""
    run.row.update(
        outcome="failed", failed_stage=exc.stage, failure_reason=exc.reason, ended_at=utcnow()
    )
    record(run.serve_dir, run.row)
    result.outcome, result.failed_stage, result.failure_reason = "failed", exc.stage, exc.reason
    kept = before.name if before else "none published yet"
    if current_problem(run.serve_dir):
        kept = "none switched; `current` is not a link"
    say(f"FAILED at stage '{exc.stage}': {exc.reason}")
    say(f"the published marts are unchanged (current release: {kept})")


def _settle_error(run: Run, before: Path | None, result: RefreshResult, exc: Exception) -> None:
    """Record a run an unexpected error ended: one line said, the traceback kept in the
    run's report folder."""
    trace = Path(run.row["report_dir"]) / "traceback.txt"
    with contextlib.suppress(OSError):
        trace.write_text(traceback.format_exc(), encoding="utf-8")
    reason = f"{type(exc).__name__}: {first_line(str(exc))} (traceback: {trace})"
    _settle_unexpected(run, before, result, reason)
    say(f"FAILED at stage '{result.failed_stage or run.stage}': {reason}")


def _settle_unexpected(run: Run, before: Path | None, result: RefreshResult, reason: str) -> None:
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
    run.row["ended_at"] = utcnow()
    record(run.serve_dir, run.row)


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


def _parser() -> argparse.ArgumentParser:
    """`crm-value refresh`'s arguments."""
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
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
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
