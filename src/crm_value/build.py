"""The fourth stage of a refresh: `dbt build` into the work database, a file no reader
opens (or, on the spark target, into Spark's warehouse, whose tables the refresh then
reads through a DuckDB copy: crm_value.spark_work).

Seeds, models and every data test and audit run; the unit tests check the SQL against
fixed inputs, not the data, so they run where the code changes (`make test`, any plain
`dbt build`), not in every refresh. A build passes only when every node dbt planned ran
and passed, when it read the raw rows the door counted, and when no raw file changed
while it ran. After a passed build, dbt's docs site is generated for the release.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from crm_value import spark_work
from crm_value.inputs import file_stamps
from crm_value.publish import RESTRICTED_SCHEMA, SERVED_SCHEMAS
from crm_value.stage import (
    StageFailed,
    artifact,
    error_lines,
    fault_lines,
    first_line,
    node_name,
    say,
)

if TYPE_CHECKING:
    from crm_value.door import DoorResult
    from crm_value.refresh import Run

# What a refresh leaves out of its build: unit tests (see above); exposures and saved
# queries build nothing (no-ops in the run results).
BUILD_EXCLUDES = ["--exclude-resource-type", "unit_test", "exposure", "saved_query"]


@dataclass
class Built:
    """What a passed build left: the DuckDB file its tables are read from, dbt's run
    results, the docs page (None when dbt wrote none) and the models it built."""

    work_db: Path
    results: dict[str, Any] | None
    docs_page: Path | None
    models: set[str]


def build(run: Run, door: DoorResult, stamps: dict[str, tuple[int, int]]) -> Built:
    """The build stage; raises StageFailed when the build, or a check of it, fails."""
    run.stage = "build"
    if run.target == "spark":
        say(f"3/4 dbt build on Spark, into its warehouse {spark_work.warehouse_dir()}")
    else:
        say(f"3/4 dbt build into the work database {run.warehouse}")
    stage_start = time.perf_counter()
    (run.work_dir / "target" / "run_results.json").unlink(missing_ok=True)
    code, output = run.dbt(["build", *BUILD_EXCLUDES])
    run.row["build_seconds"] = round(time.perf_counter() - stage_start, 2)
    results = artifact(run.work_dir, "run_results.json")
    if results is not None:
        shutil.copy(run.work_dir / "target" / "run_results.json", run.row["report_dir"])
    docs_page = docs_site(run) if code == 0 else None
    run.worker.close()  # the last dbt command: the work database is let go
    counts, failures, warned = _summarise_build(results)
    try:
        work_db = work_tables(run, results)
    except StageFailed:
        if code != 0:  # a failed Spark build left tables out: say why it failed
            raise StageFailed("build", "; ".join(failures) or error_lines(output)) from None
        raise
    facts = _record_build(run.row, counts, warned, work_db, results)
    if code != 0:
        raise StageFailed("build", "; ".join(failures) or error_lines(output))
    _check_all_nodes_ran(run.work_dir, results)
    _check_same_input(door.input_rows, facts)
    if file_stamps(run.raw) != stamps:
        raise StageFailed(
            "input",
            "a raw file changed while the refresh ran (the build may not have read "
            "the files the expectations checked); run the refresh again",
        )
    return Built(work_db, results, docs_page, built_models(results))


def _record_build(
    row: dict[str, Any],
    counts: dict[str, int],
    warned: list[str],
    work_db: Path,
    results: dict[str, Any] | None,
) -> dict[str, Any]:
    """The build's counts, warnings and facts in the run's row (said as well); the facts."""
    row.update(
        dbt_nodes_passed=counts["passed"],
        dbt_nodes_warned=counts["warned"],
        dbt_nodes_failed=counts["failed"],
        warnings="; ".join(filter(None, [row.get("warnings"), ", ".join(warned)])) or None,
    )
    facts = _work_db_facts(work_db, results)
    row.update(facts)
    if row.get("clv_status"):
        say(f"    CLV: {row['clv_status']}")
    if warned:
        say(f"    warnings: {', '.join(warned)}")
    return facts


def docs_site(run: Run) -> Path | None:
    """dbt's docs site of this build as one page (`dbt docs generate --static`, from the
    build's own manifest), published with the release; None, said, when dbt wrote none:
    the release is then published without it. On Spark the catalog is left empty (it
    would ask the metastore table by table)."""
    page = run.work_dir / "target" / "static_index.html"
    page.unlink(missing_ok=True)
    args = ["docs", "generate", "--static", "--no-compile"]
    if run.target == "spark":
        args.append("--empty-catalog")
    code, output = run.dbt(args)
    if code != 0 or not page.is_file():
        say(f"    warning: no docs site for this release: {error_lines(output)}")
        return None
    return page


def work_tables(run: Run, results: dict[str, Any] | None) -> Path:
    """The DuckDB file the refresh reads the build's tables from: the work database, or
    on Spark a copy of what the build wrote (crm_value.spark_work)."""
    if run.target != "spark":
        return run.warehouse
    copy = run.work_dir / "spark_tables.duckdb"
    try:
        copied = spark_work.copy_to_duckdb(
            spark_work.warehouse_dir(),
            run.work_dir / "target" / "manifest.json",
            results,
            copy,
            (*SERVED_SCHEMAS, RESTRICTED_SCHEMA),
        )
    except (OSError, RuntimeError, duckdb.Error, ValueError) as exc:
        raise StageFailed("build", f"the Spark build's tables cannot be read: {exc}") from exc
    os.chmod(copy, 0o600)  # it holds the restricted schema: the owner's alone
    say(f"    {len(copied)} tables read from Spark's warehouse")
    return copy


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
        name = node_name(result.get("unique_id", "?"))
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
                reason = fault_lines(message) or first_line(message)
                failures.append(f"{name}: {status}: {reason}")
    return counts, failures, sorted(warned)


def _built_in_this_run(results: dict[str, Any] | None, name: str) -> bool:
    for result in (results or {}).get("results", []):
        if node_name(result.get("unique_id", "")) == name:
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


def _check_all_nodes_ran(work_dir: Path, results: dict[str, Any] | None) -> None:
    """Every model, seed and data test of the project ran in this build.

    A leftover selection or exclusion (e.g. DBT_EXCLUDE_RESOURCE_TYPES in a scheduler's
    environment) must not let an untested build through.
    """
    manifest = artifact(work_dir, "manifest.json")
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
        names = ", ".join(node_name(uid) for uid in missing[:5])
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


def built_models(results: dict[str, Any] | None) -> set[str]:
    """Names of the models this build created: only these are published."""
    return {
        node_name(result["unique_id"])
        for result in (results or {}).get("results", [])
        if result["unique_id"].startswith("model.") and result.get("status") == "success"
    }
