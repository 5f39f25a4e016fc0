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
3. build: `dbt build` (seeds, models, every data test, unit test and audit) into the work
   database, a file no reader opens.
4. publish: the marts and audit tables are copied into a new serving release (DuckDB file
   plus Parquet files) and `current` is switched to it in one atomic rename.

Whatever happens, the run is written to the run history; a refresh that stops leaves the
published release exactly as it was and says why. Exit code 0: published; 1: stopped by a
guard, a bad var or an error; 2: bad arguments (e.g. --vars that is not YAML); 3: another
refresh holds the lock.
"""

from __future__ import annotations

import argparse
import datetime as dt
import fcntl
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from crm_value import run_history
from crm_value.dbt_env import PROJECT_DIR, dbt_env
from crm_value.publish import current_release, publish, serving_file, tidy_releases
from crm_value.settings import (
    ENTITIES,
    RawInput,
    dumps_vars,
    explicit_as_of_date,
    parse_vars,
    project_vars,
)

DEFAULT_SERVE_DIR = PROJECT_DIR / "serving"
DEFAULT_WAREHOUSE = PROJECT_DIR / "crm_value.duckdb"
KEEP_RUN_REPORTS = 50


class RefreshBusy(RuntimeError):
    """Another refresh holds the serving folder's lock."""


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


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def _say(message: str) -> None:
    print(f"[refresh] {message}", flush=True)


@contextmanager
def _lock(serve_dir: Path) -> Iterator[None]:
    """Hold the serving folder's lock; the kernel frees it if this process dies."""
    lock_path = serve_dir / ".refresh.lock"
    with open(lock_path, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise RefreshBusy(
                f"another refresh is running on {serve_dir} (lock {lock_path})"
            ) from exc
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _run_dbt(args: list[str], raw: RawInput, warehouse: Path, work_dir: Path) -> tuple[int, str]:
    """Run one dbt command as a child process; stream and return its output.

    A child, not dbt's Python API: dbt-duckdb keeps the database open in its process,
    and a crash inside dbt must not take the refresh (and its history row) with it.
    """
    dbt = str(Path(sys.executable).with_name("dbt"))
    cmd = [
        dbt,
        *args,
        "--project-dir",
        str(PROJECT_DIR),
        "--target-path",
        str(work_dir / "target"),
        "--log-path",
        str(work_dir / "logs"),
    ]
    env = dbt_env(raw.raw_dir, warehouse, raw.raw_format)
    lines: list[str] = []
    with subprocess.Popen(
        cmd,
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    ) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            sys.stdout.write(line)
            lines.append(line)
        code = proc.wait()
    sys.stdout.flush()
    return code, "".join(lines)


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


def _error_lines(output: str) -> str:
    """The lines of dbt output that explain a failure with no run_results to read."""
    keep = [
        " ".join(line.split())
        for line in output.splitlines()
        if any(k in line for k in ("Error", "error", "raw file", "Invalid var", "FAIL"))
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
                failures.append(f"{name}: {status}: {_first_line(result.get('message'))}")
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
        if _built_in_this_run(results, "clv_model_parameters"):
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
            "from marts.clv_model_parameters "
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
        stat = raw.path(entity).stat()
        stamps[str(raw.path(entity))] = (stat.st_size, stat.st_mtime_ns)
    return stamps


def _check_all_nodes_ran(work_dir: Path, results: dict[str, Any] | None) -> None:
    """Every model, seed, data test and unit test of the project ran in this build.

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
    } | set(manifest.get("unit_tests", {}))
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


def refresh(
    raw: RawInput,
    serve_dir: Path,
    warehouse: Path,
    overrides: dict[str, Any] | None = None,
    skip_freshness: bool = False,
    keep_releases: int = 3,
) -> RefreshResult:
    """Run one audited refresh; publish only if every stage passes."""
    from crm_value.expectations import BadRawFile, run_expectations  # GX imports slowly

    serve_dir = serve_dir.resolve()
    warehouse = warehouse.resolve()
    serve_dir.mkdir(parents=True, exist_ok=True)
    work_dir = serve_dir / ".work"
    work_dir.mkdir(exist_ok=True)
    dbt_vars = project_vars(overrides)

    with _lock(serve_dir):
        started_at = _utcnow()
        run_id = uuid.uuid4().hex
        run_name = f"{started_at:%Y%m%dT%H%M%S}Z-{run_id[:8]}"
        report_dir = serve_dir / "runs" / run_name
        report_dir.mkdir(parents=True)
        before = current_release(serve_dir)
        for crashed, outcome in run_history.mark_crashed(
            serve_dir, started_at, before.name if before else None
        ).items():
            _say(f"an earlier refresh ({crashed}) died without finishing; marked {outcome}")
        row: dict[str, Any] = {
            "run_id": run_id,
            "started_at": started_at,
            "outcome": "running",
            "raw_input": raw.describe(),
            "dbt_vars": dumps_vars(overrides or {}),
            "report_dir": str(report_dir),
        }
        run_history.upsert(serve_dir, row)
        result = RefreshResult(run_id, "running", report_dir=report_dir, row=row)
        switched = False
        try:
            # 0. The vars, checked by dbt's own validators (one rule, in the macros) before
            # the door reads any of them.
            _say("checking the vars")
            vars_arg = ["--vars", dumps_vars(dbt_vars)]
            code, output = _run_dbt(
                ["run-operation", "crm_validate_vars", *vars_arg], raw, warehouse, work_dir
            )
            if code != 0:
                raise StageFailed("vars", _error_lines(output))
            try:
                as_of = explicit_as_of_date(dbt_vars)
            except ValueError as exc:
                raise StageFailed("vars", f"Invalid var 'as_of_date': {exc}") from exc
            row["as_of_date"] = as_of

            # 1. The files and the expectations at the door.
            _say(f"1/4 expectations at the door on {raw.describe()}")
            stage_start = time.perf_counter()
            try:
                door = run_expectations(raw, dbt_vars, started_at, report_dir)
                stamps = _file_stamps(raw)
            except BadRawFile as exc:
                raise StageFailed("input", str(exc)) from exc
            row["expectations_seconds"] = round(time.perf_counter() - stage_start, 2)
            report = json.loads(door.json_path.read_text(encoding="utf-8"))
            evaluated = sum(len(suite["expectations"]) for suite in report["suites"])
            row.update({f"{e}_raw_rows": n for e, n in door.input_rows.items()})
            row.update(
                as_of_date=row["as_of_date"] or door.as_of_date,
                expectations_evaluated=evaluated,
                expectations_failed=len(door.failures),
            )
            _say(f"    report: {door.html_path}")
            if not door.success:
                raise StageFailed("expectations", "; ".join(door.failures))
            _say(f"    all {evaluated} expectations met")

            # 2. Is the export itself recent?
            if raw.is_demo:
                row["freshness"] = "skipped: the bundled demo seeds are not an export"
            elif as_of is not None and as_of < started_at.date():
                row["freshness"] = f"skipped: explicit past as_of_date {as_of}"
            elif skip_freshness:
                row["freshness"] = "skipped: --skip-freshness"
            else:
                _say("2/4 source freshness")
                stage_start = time.perf_counter()
                (work_dir / "target" / "sources.json").unlink(missing_ok=True)
                _run_dbt(["source", "freshness", *vars_arg], raw, warehouse, work_dir)
                sources = _artifact(work_dir, "sources.json")
                if sources is None:
                    raise StageFailed("freshness", "dbt source freshness wrote no results")
                shutil.copy(work_dir / "target" / "sources.json", report_dir / "sources.json")
                row["freshness_seconds"] = round(time.perf_counter() - stage_start, 2)
                errors, warnings = _freshness_verdict(sources)
                if errors:
                    raise StageFailed("freshness", "; ".join(errors))
                row["freshness"] = ("warn: " + "; ".join(warnings)) if warnings else "pass"
            _say(f"2/4 freshness: {row['freshness']}")

            # 3. Build and test everything in the work database.
            _say(f"3/4 dbt build into the work database {warehouse}")
            stage_start = time.perf_counter()
            for artifact in ("run_results.json", "manifest.json"):
                (work_dir / "target" / artifact).unlink(missing_ok=True)
            code, output = _run_dbt(["build", *vars_arg], raw, warehouse, work_dir)
            row["build_seconds"] = round(time.perf_counter() - stage_start, 2)
            results = _artifact(work_dir, "run_results.json")
            if results is not None:
                shutil.copy(work_dir / "target" / "run_results.json", report_dir)
            counts, failures, warned = _summarise_build(results)
            row.update(
                dbt_nodes_passed=counts["passed"],
                dbt_nodes_warned=counts["warned"],
                dbt_nodes_failed=counts["failed"],
                warnings=", ".join(warned) or None,
            )
            facts = _work_db_facts(warehouse, results)
            row.update(facts)
            if row.get("clv_status"):
                _say(f"    CLV: {row['clv_status']}")
            if warned:
                _say(f"    warnings: {row['warnings']}")
            if code != 0:
                raise StageFailed("build", "; ".join(failures) or _error_lines(output))
            _check_all_nodes_ran(work_dir, results)
            _check_same_input(door.input_rows, facts)
            if _file_stamps(raw) != stamps:
                raise StageFailed(
                    "input",
                    "a raw file changed while the refresh ran (the build may not have read "
                    "the files the expectations checked); run the refresh again",
                )

            # 4. Publish: one atomic switch.
            _say("4/4 publish")
            stage_start = time.perf_counter()
            try:
                release, tables = publish(
                    warehouse,
                    serve_dir,
                    run_name,
                    {
                        "run_id": run_id,
                        "as_of_date": row["as_of_date"],
                        "raw_input": row["raw_input"],
                        "dbt_vars": row["dbt_vars"],
                    },
                    _built_models(results),
                )
            except (OSError, duckdb.Error, RuntimeError) as exc:
                raise StageFailed("publish", f"{type(exc).__name__}: {exc}") from exc
            switched = True
            row["publish_seconds"] = round(time.perf_counter() - stage_start, 2)
            row.update(outcome="passed", release_id=release.name, ended_at=_utcnow())
            run_history.upsert(serve_dir, row)
            result.outcome, result.release = "passed", release
            _say(
                f"published release {release.name} ({len(tables)} tables, as_of_date "
                f"{row['as_of_date']}): {serving_file(serve_dir)}"
            )
            try:
                tidy_releases(serve_dir, keep_releases)
            except OSError as exc:  # published already; a leftover folder is no failure
                _say(f"warning: old releases were not all removed: {exc}")
        except StageFailed as exc:
            row.update(
                outcome="failed",
                failed_stage=exc.stage,
                failure_reason=exc.reason,
                ended_at=_utcnow(),
            )
            run_history.upsert(serve_dir, row)
            result.outcome, result.failed_stage, result.failure_reason = (
                "failed",
                exc.stage,
                exc.reason,
            )
            kept = before.name if before else "none published yet"
            _say(f"FAILED at stage '{exc.stage}': {exc.reason}")
            _say(f"the published marts are unchanged (current release: {kept})")
        except BaseException as exc:  # an unexpected error or an interrupt: record it, re-raise
            if switched:
                row.update(outcome="passed", release_id=run_name)
            else:
                row.update(outcome="failed", failed_stage="internal")
            row.update(failure_reason=f"{type(exc).__name__}: {exc}", ended_at=_utcnow())
            run_history.upsert(serve_dir, row)
            raise
        finally:
            _prune_reports(serve_dir / "runs")
        result.row = row
        return result


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
        help="work database (default: $CRM_WAREHOUSE_PATH, else crm_value.duckdb)",
    )
    parser.add_argument("--vars", help="dbt vars as YAML or JSON, as `dbt build --vars`")
    parser.add_argument("--skip-freshness", action="store_true", help="do not check freshness")
    parser.add_argument("--keep-releases", type=int, default=3, help="releases kept (>= 1)")
    args = parser.parse_args(argv)
    try:
        raw = RawInput.from_env(args.raw_dir, args.format)
        overrides = parse_vars(args.vars)
    except ValueError as exc:
        parser.error(str(exc))
    if args.keep_releases < 1:
        parser.error("--keep-releases must be at least 1")
    serve_dir = args.serve_dir or Path(os.environ.get("CRM_SERVE_DIR") or DEFAULT_SERVE_DIR)
    warehouse = args.warehouse or Path(os.environ.get("CRM_WAREHOUSE_PATH") or DEFAULT_WAREHOUSE)
    try:
        result = refresh(
            raw, serve_dir, warehouse, overrides, args.skip_freshness, args.keep_releases
        )
    except RefreshBusy as exc:
        print(f"[refresh] {exc}", file=sys.stderr)
        return 3
    return 0 if result.outcome == "passed" else 1


if __name__ == "__main__":
    sys.exit(main())
