"""The third stage of a refresh: is the export itself recent?

`dbt source freshness` compares each raw entity's newest row with the clock (the one
place the clock is read; see the sources' YAML). It is skipped where it would not mean
anything: the bundled demo seeds, an explicit past as_of_date, a folder of increments
(dbt's source reads one file per entity), or --skip-freshness. A source past its error
age stops the refresh; one past its warn age is a warning in the run history.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crm_value.contract import ENTITIES
from crm_value.dbt_runner import run_dbt
from crm_value.settings import dumps_vars
from crm_value.stage import StageFailed, first_line, node_name, say

if TYPE_CHECKING:
    from crm_value.refresh import Run


def check_freshness(run: Run, as_of: dt.date | None) -> None:
    """The freshness stage: its verdict goes to the run's row (`freshness`)."""
    run.stage = "freshness"
    row, raw = run.row, run.raw
    if raw.is_demo:
        row["freshness"] = "skipped: the bundled demo seeds are not an export"
    elif as_of is not None and as_of < run.started_at.date():
        row["freshness"] = f"skipped: explicit past as_of_date {as_of}"
    elif run.options["skip_freshness"]:
        row["freshness"] = "skipped: --skip-freshness"
    elif any(raw.is_folder(entity) for entity in ENTITIES):
        row["freshness"] = "skipped: dbt's source freshness reads one file per entity, not a folder"
    else:
        say("2/4 source freshness")
        stage_start = time.perf_counter()
        sources = source_freshness(run)
        if sources is None:
            raise StageFailed("freshness", "dbt source freshness wrote no results")
        row["freshness_seconds"] = round(time.perf_counter() - stage_start, 2)
        errors, warnings = freshness_verdict(sources)
        if errors:
            raise StageFailed("freshness", "; ".join(errors))
        row["freshness"] = ("warn: " + "; ".join(warnings)) if warnings else "pass"
    say(f"2/4 freshness: {row['freshness']}")


def source_freshness(run: Run) -> dict[str, Any] | None:
    """dbt source freshness on the raw files; its sources.json (None: it wrote none),
    copied into the run's report. Freshness asks the files, not the warehouse: on Spark
    it runs on the duckdb target, whose sources read the files themselves, in a child of
    its own with a scratch database."""
    if run.target == "spark":
        scratch = run.work_dir / "freshness"
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir()
        run_dbt(
            ["source", "freshness", "--vars", dumps_vars(run.dbt_vars)],
            run.raw,
            scratch / "scratch.duckdb",
            scratch,
            target="duckdb",
        )
        found = scratch / "target" / "sources.json"
    else:
        found = run.work_dir / "target" / "sources.json"
        found.unlink(missing_ok=True)
        run.dbt(["source", "freshness"])
    if not found.exists():
        return None
    shutil.copy(found, Path(run.row["report_dir"]) / "sources.json")
    return json.loads(found.read_text(encoding="utf-8"))


def freshness_verdict(sources: dict[str, Any] | None) -> tuple[list[str], list[str]]:
    """Lines for the sources past their error age and past their warn age."""
    errors: list[str] = []
    warnings: list[str] = []
    for result in (sources or {}).get("results", []):
        name = node_name(result.get("unique_id", "?"))
        status = result.get("status")
        if status == "runtime error":
            errors.append(
                f"source {name}: freshness could not be checked: {first_line(result.get('error'))}"
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
