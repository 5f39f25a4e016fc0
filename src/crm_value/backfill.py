"""`crm-value backfill`: fill the tier history for past dates from the raw files.

    crm-value backfill --from 2024-01-01 --to 2025-12-01 --every month
    crm-value backfill --last 12 --every month        # 12 months back from the data's date
    crm-value backfill --dates 2024-03-31,2024-06-30 [--redo] [--no-publish]

The same audited path as a refresh, shared where the dates allow it: the vars are checked
and the expectations judge the raw files once; then one dbt process builds, for each date
still missing from the history store, everything dim_customers reads with that date's
`as_of_date`, runs those models' data tests, and stores the date's snapshot (computed by
dim_customers' own SQL) only when they pass (crm_value.backfill_worker). The staging
layer is built once, for the first date. A backfill that stops keeps every date it
stored; run it again and it does only the rest (`--redo` rebuilds stored dates too).
Finally a refresh publishes a release whose history holds every stored date (skip it
with `--no-publish`).

Exit codes as `crm-value refresh`: 0 done, 1 stopped (a date's build or a guard), 2 bad
arguments, 3 another refresh or backfill holds the serving folder's lock.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import signal
import sys
import tempfile
import time
import traceback
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crm_value import history, run_history
from crm_value.dbt_runner import run_dbt
from crm_value.history import prepare_history
from crm_value.inputs import RawInput, check_same_source, file_stamps, literal_reader
from crm_value.publish import clear_leftovers, current_problem, current_release, served_release
from crm_value.refresh import (
    INTERRUPT_CODES,
    MAX_CUSTOMER_DROP,
    Interrupted,
    RefreshBusy,
    _lock,
    _raise_interrupted,
    refresh,
    where_to_work,
)
from crm_value.settings import dumps_vars, project_vars, unknown_vars
from crm_value.stage import StageFailed, error_lines, first_line, record, utcnow

STEPS = {"week": (0, 7), "month": (1, 0), "quarter": (3, 0)}  # (months, days)
WORKER = [sys.executable, "-m", "crm_value.backfill_worker"]
# The vars check parses as the workers do (only the vars that shape the parsed project),
# so the backfill's worker and the refresh after it reuse its parse (dbt's partial parsing).
CHECK = [sys.executable, "-m", "crm_value.refresh_worker", "once"]
# A past date fits only the CLV model that scores: the history keeps the scores, not the
# backtest (same scores; DECISIONLOG).
PAST_DATE_VARS = {"clv_fit_scope": "scoring"}


def _say(message: str) -> None:
    print(f"[backfill] {message}", flush=True)


def _add_months(day: dt.date, months: int) -> dt.date:
    """`day` moved by whole months; a day past the target month's end is its last day."""
    month_index = day.year * 12 + day.month - 1 + months
    year, month = divmod(month_index, 12)
    month += 1
    next_month = dt.date(year + month // 12, month % 12 + 1, 1)
    last = (next_month - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


def step(day: dt.date, every: str, count: int) -> dt.date:
    """`day` moved `count` steps of `every` (week, month, quarter); negative goes back."""
    months, days = STEPS[every]
    return _add_months(day, months * count) + dt.timedelta(days=days * count)


def dates_between(start: dt.date, end: dt.date, every: str) -> list[dt.date]:
    """start, start + 1 step, ... up to end (inclusive); month steps keep start's day."""
    found, count = [], 0
    while (day := step(start, every, count)) <= end:
        found.append(day)
        count += 1
    return found


def dates_before(anchor: dt.date, every: str, last: int) -> list[dt.date]:
    """The `last` dates one step, two steps, ... before `anchor`, oldest first."""
    return sorted(step(anchor, every, -count) for count in range(1, last + 1))


def _plan(args: argparse.Namespace, anchor: dt.date) -> list[dt.date]:
    if args.dates:
        return sorted(set(args.dates))
    if args.last:
        return dates_before(anchor, args.every, args.last)
    return dates_between(args.start, args.end, args.every)


@dataclass
class _Backfill:
    """One backfill in progress: what it reads and writes, its history row, the stage it
    has reached (what a failure is recorded against) and the dates it stored."""

    raw: RawInput
    serve_dir: Path
    warehouse: Path
    args: argparse.Namespace
    overrides: dict[str, Any]
    row: dict[str, Any] = field(default_factory=dict)
    stage: str = "vars"
    stored: list[dt.date] = field(default_factory=list)

    @property
    def work_dir(self) -> Path:
        return self.serve_dir / ".work"

    def start(self) -> Path:
        """Under the lock: what a dead run left is settled, the run's row recorded; returns
        the run's report folder."""
        started_at = utcnow()
        run_id = uuid.uuid4().hex
        report_dir = self.serve_dir / "runs" / f"{started_at:%Y%m%dT%H%M%S}Z-{run_id[:8]}-backfill"
        report_dir.mkdir(parents=True)
        with contextlib.suppress(run_history.HistoryError):
            for crashed, outcome in run_history.mark_crashed(
                self.serve_dir, started_at, getattr(current_release(self.serve_dir), "name", None)
            ).items():
                _say(f"an earlier run ({crashed}) died without finishing; marked {outcome}")
        for leftover in clear_leftovers(self.serve_dir):
            _say(f"removed {leftover}, left by a refresh that died while publishing")
        prepare_history(self.serve_dir)
        self.row = {
            "run_id": run_id,
            "run_kind": "backfill",
            "started_at": started_at,
            "outcome": "running",
            "raw_input": self.raw.describe(),
            "dbt_vars": dumps_vars(self.overrides),
            "report_dir": str(report_dir),
        }
        record(self.serve_dir, self.row)
        return report_dir

    def check_vars(self, reader: RawInput) -> dict[str, Any]:
        """The vars, as dbt's validators judge them for a past date; returns the vars of
        the dates' builds."""
        broken = current_problem(self.serve_dir)
        if broken:
            raise StageFailed("publish", f"nothing can be published: {broken}")
        problems = unknown_vars(self.overrides)
        if problems:
            raise StageFailed("vars", "; ".join(problems))
        past_vars = {**project_vars(self.overrides), **PAST_DATE_VARS}
        code, output = run_dbt(
            ["run-operation", "crm_validate_vars", "--vars", dumps_vars(past_vars)],
            reader,
            self.warehouse,
            self.work_dir,
            command=CHECK,
        )
        if code != 0:
            raise StageFailed("vars", error_lines(output))
        return past_vars

    def check_input(self) -> None:
        """A history describes one input: the published one."""
        self.stage = "input"
        try:
            check_same_source(self.raw, served_release(self.serve_dir), new_source=False)
        except StageFailed as exc:
            raise StageFailed(
                "input",
                exc.reason.split("; nothing was replaced")[0]
                + "; a history describes one input: publish the new one first with "
                "`crm-value refresh --new-source`, then backfill",
            ) from exc

    def door(self, reader: RawInput, report_dir: Path) -> tuple[Any, dict]:
        """The expectations at the door, once for every date; the door's result and the
        files' stamps."""
        from crm_value.door import BadRawFile, run_expectations  # GX imports slowly

        _say(f"expectations at the door on {self.raw.describe()}")
        stage_start = time.perf_counter()
        dbt_vars = project_vars(self.overrides)
        try:
            door = run_expectations(reader, dbt_vars, self.row["started_at"], report_dir)
            stamps = file_stamps(reader)
        except BadRawFile as exc:
            raise StageFailed("input", str(exc)) from exc
        self.row["expectations_seconds"] = round(time.perf_counter() - stage_start, 2)
        self.row.update({f"{e}_raw_rows": n for e, n in door.input_rows.items()})
        self.stage = "expectations"
        if not door.success:
            raise StageFailed("expectations", "; ".join(door.failures))
        return door, stamps

    def pending(self, as_of_date: dt.date) -> list[dt.date]:
        """The planned dates not stored yet (all of them with --redo)."""
        self.stage = "plan"
        planned = _plan(self.args, as_of_date)
        later = [day for day in planned if day >= as_of_date]
        if later:
            raise StageFailed(
                "plan",
                f"{len(later)} date(s) on or after the data's as_of_date "
                f"{as_of_date} (e.g. {later[0]}): a refresh builds that date; "
                "a backfill fills earlier ones",
            )
        have = set(history.stored_dates(self.serve_dir))
        pending = [day for day in planned if self.args.redo or day not in have]
        skipped = len(planned) - len(pending)
        _say(
            f"{len(planned)} dates planned, {skipped} already stored"
            + ("" if not pending else f", {len(pending)} to build")
        )
        return pending

    def build(self, reader: RawInput, past_vars: dict, pending: list, stamps: dict) -> None:
        """Each pending date built, tested and stored, in one dbt process."""
        self.stage = "build"
        stage_start = time.perf_counter()
        self.stored, failure = _build_dates(
            reader, self.serve_dir, self.warehouse, past_vars, pending
        )
        self.row["build_seconds"] = round(time.perf_counter() - stage_start, 2)
        self.row["history_dates"] = ",".join(day.isoformat() for day in self.stored) or None
        if failure:
            raise StageFailed("build", failure)
        if file_stamps(reader) != stamps:
            raise StageFailed(
                "input",
                "a raw file changed while the backfill ran; the dates stored so "
                "far were built from the earlier file: run with --redo",
            )

    def stages(self, report_dir: Path) -> None:
        """Every stage in order; raises StageFailed."""
        with literal_reader(self.raw) as reader:
            past_vars = self.check_vars(reader)
            self.check_input()
            door, stamps = self.door(reader, report_dir)
            pending = self.pending(door.as_of_date)
            if pending:
                self.build(reader, past_vars, pending, stamps)

    def end(self, outcome: str, **facts: Any) -> None:
        self.row.update(outcome=outcome, ended_at=utcnow(), **facts)
        record(self.serve_dir, self.row)


def backfill(
    raw: RawInput,
    serve_dir: Path,
    warehouse: Path,
    args: argparse.Namespace,
    overrides: dict[str, Any],
) -> tuple[str, list[dt.date]]:
    """Store every planned date's snapshot; returns (outcome, dates stored by this run)."""
    serve_dir.mkdir(parents=True, exist_ok=True)
    (serve_dir / ".work").mkdir(exist_ok=True)
    run = _Backfill(raw, serve_dir, warehouse, args, overrides)
    with _lock(serve_dir):
        report_dir = run.start()
        try:
            run.stages(report_dir)
        except StageFailed as exc:
            run.end("failed", failed_stage=exc.stage, failure_reason=exc.reason)
            _say(f"FAILED at stage '{exc.stage}': {exc.reason}")
            _say(f"kept {len(run.stored)} date(s) this run stored; run it again to do the rest")
            return "failed", run.stored
        except KeyboardInterrupt as exc:
            signum = exc.signum if isinstance(exc, Interrupted) else signal.SIGINT
            stored_now = history_since(serve_dir, run.row)
            run.end(
                "failed",
                failed_stage=run.stage,
                failure_reason=f"interrupted by {signal.Signals(signum).name} during stage "
                f"'{run.stage}'; the dates stored so far are kept",
                history_dates=",".join(day.isoformat() for day in stored_now) or None,
            )
            raise
        except Exception as exc:
            trace = report_dir / "traceback.txt"
            with contextlib.suppress(OSError):
                trace.write_text(traceback.format_exc(), encoding="utf-8")
            reason = f"{type(exc).__name__}: {first_line(str(exc))} (traceback: {trace})"
            run.end("failed", failed_stage=run.stage, failure_reason=reason)
            _say(f"FAILED at stage '{run.stage}': {reason}")
            return "failed", run.stored
        run.end("passed")
        return "passed", run.stored


def history_since(serve_dir: Path, row: dict[str, Any]) -> list[dt.date]:
    """Dates whose store file this run wrote (modified after it started)."""
    start = row["started_at"].replace(tzinfo=dt.UTC).timestamp()
    return [
        day
        for day in history.stored_dates(serve_dir)
        if history.snapshot_file(serve_dir, day).stat().st_mtime >= start
    ]


def _build_dates(
    raw: RawInput,
    serve_dir: Path,
    warehouse: Path,
    dbt_vars: dict[str, Any],
    dates: list[dt.date],
) -> tuple[list[dt.date], str | None]:
    """Run the worker over `dates`; returns the dates it stored and the failure, if any."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as spec:
        json.dump(
            {
                "dates": [day.isoformat() for day in dates],
                "vars": json.loads(dumps_vars(dbt_vars)),
                "serve_dir": str(serve_dir),
            },
            spec,
        )
    try:
        code, output = run_dbt([spec.name], raw, warehouse, serve_dir / ".work", command=WORKER)
    finally:
        os.unlink(spec.name)
    stored = [
        dt.date.fromisoformat(line.split()[1])
        for line in output.splitlines()
        if line.startswith("CRM-BACKFILL-STORED ")
    ]
    if code == 0:
        return stored, None
    failed = [line for line in output.splitlines() if line.startswith("[backfill] FAILED")]
    reason = None
    if failed:  # "FAILED at <date>: why" or "FAILED: why"
        reason = failed[-1].removeprefix("[backfill] FAILED").removeprefix(" at ").lstrip(" :")
    return stored, reason or error_lines(output)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from exc


def _dates(text: str) -> list[dt.date]:
    return [_date(part) for part in text.split(",") if part.strip()]


def _parser() -> argparse.ArgumentParser:
    """`crm-value backfill`'s arguments."""
    parser = argparse.ArgumentParser(
        prog="crm-value backfill", description=__doc__.splitlines()[0].strip("`")
    )
    parser.add_argument("--from", dest="start", type=_date, help="first date, YYYY-MM-DD")
    parser.add_argument("--to", dest="end", type=_date, help="last date (inclusive)")
    parser.add_argument("--every", choices=sorted(STEPS), help="step between dates")
    parser.add_argument(
        "--last",
        type=int,
        help="this many dates, one --every step apart, before the data's as_of_date",
    )
    parser.add_argument("--dates", type=_dates, help="explicit dates, comma-separated")
    parser.add_argument("--redo", action="store_true", help="rebuild dates already stored")
    parser.add_argument(
        "--no-publish", action="store_true", help="store the dates; do not run the refresh"
    )
    parser.add_argument("--raw-dir", help="raw files folder (default: $CRM_RAW_DIR, else demo)")
    parser.add_argument("--format", choices=["csv", "parquet"], help="default: $CRM_RAW_FORMAT")
    parser.add_argument("--serve-dir", type=Path, help="serving folder (as refresh)")
    parser.add_argument("--warehouse", type=Path, help="work database (as refresh)")
    parser.add_argument("--vars", help="dbt vars as YAML or JSON (not as_of_date)")
    parser.add_argument("--skip-freshness", action="store_true", help="for the final refresh")
    parser.add_argument("--keep-releases", type=int, default=3, help="for the final refresh")
    return parser


def _check_plan_args(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Exactly one way of naming the dates, each whole."""
    ranged = args.start is not None or args.end is not None
    if sum([bool(args.dates), args.last is not None, ranged]) != 1:
        parser.error("give exactly one of --from/--to, --last or --dates")
    if ranged and (args.start is None or args.end is None or args.every is None):
        parser.error("--from and --to need each other and --every")
    if ranged and args.start > args.end:
        parser.error(f"--from {args.start} is after --to {args.end}")
    if args.last is not None and (args.last < 1 or args.every is None):
        parser.error("--last needs a count of at least 1 and --every")


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    _check_plan_args(parser, args)
    raw, overrides, serve_dir, warehouse, _ = where_to_work(parser, args)
    if "as_of_date" in overrides:
        parser.error("--vars may not set as_of_date: the backfill sets it for each date")
    serve_dir, warehouse = serve_dir.resolve(), warehouse.resolve()
    previous = signal.signal(signal.SIGTERM, _raise_interrupted)
    try:
        outcome, _stored = backfill(raw, serve_dir, warehouse, args, overrides)
        if outcome != "passed":
            return 1
        if args.no_publish:
            _say("dates stored; not published (--no-publish): the next refresh publishes them")
            return 0
        _say("refresh: publish a release with the whole history")
        result = refresh(
            raw,
            serve_dir,
            warehouse,
            overrides,
            skip_freshness=args.skip_freshness,
            keep_releases=args.keep_releases,
            max_customer_drop=MAX_CUSTOMER_DROP,
        )
    except RefreshBusy as exc:
        print(f"[backfill] {exc}", file=sys.stderr)
        return 3
    except KeyboardInterrupt as exc:
        signum = exc.signum if isinstance(exc, Interrupted) else signal.SIGINT
        print("[backfill] INTERRUPTED; the dates stored so far are kept", file=sys.stderr)
        return INTERRUPT_CODES.get(signum, 130)
    finally:
        signal.signal(signal.SIGTERM, previous)
    if result.outcome == "interrupted":
        return INTERRUPT_CODES.get(result.signum or signal.SIGINT, 130)
    return 0 if result.outcome == "passed" else 1


if __name__ == "__main__":
    sys.exit(main())
