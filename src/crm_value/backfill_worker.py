"""The backfill's dbt process: every pending date in one process, parsed once.

    python -m crm_value.backfill_worker SPEC.json [dbt global flags...]

`crm-value backfill` starts this as its child (so an interrupt or a crash inside dbt
cannot take the backfill's run history with it). The project is parsed once; each date
is then a `dbt build` of everything dim_customers reads, with that date's `as_of_date`
and every data test of those models, run on the parsed manifest (a var changes only
what the SQL compiles to, never the graph). The first date builds the staging layer
too; the later ones rebuild only what depends on the analysis date. After a date's build
and tests pass, its snapshot is exported from dim_customers' own SQL, compiled for that
date (the labels exactly as a build computes them, without writing a table nobody reads
between dates), and renamed into the history store: a date is stored whole or not at
all, and an earlier date is never touched.

SPEC.json: {"dates": [...], "vars": {...}, "serve_dir": "..."}. Prints one line per
date; exit 0 when every date was stored, 1 at the first date that failed.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

# Every model dim_customers reads, and their tests; then only what hangs off the
# analysis date. dim_customers itself is compiled, not built: the snapshot reads its
# SELECT. (`--exclude dim_customers` would keep its tests, which read the table.)
SNAPSHOT_MODEL = "dim_customers"
DATE_ROOT = "int_analysis_date_resolved"
# Unit tests do not depend on the data or the date: the refresh runs them. Tests that
# also read a model outside the selection (the summary marts) would read another date's
# tables: only tests whose every parent was built run.
BUILD_FLAGS = [
    "--exclude-resource-type",
    "unit_test",
    "exposure",
    "saved_query",
    "--indirect-selection",
    "cautious",
]


def _selections(manifest: Any) -> tuple[list[str], list[str]]:
    """The first date's selection and the later dates': every parent of the snapshot
    model with all it reads; later, only the part that depends on the analysis date."""
    (snapshot,) = (n for n in manifest.nodes.values() if n.name == SNAPSHOT_MODEL)
    parents = sorted(manifest.nodes[u].name for u in snapshot.depends_on.nodes)
    return [f"+{p}" for p in parents], [f"{DATE_ROOT}+,+{p}" for p in parents]


def _say(message: str) -> None:
    print(f"[backfill] {message}", flush=True)


def _failures(result: Any) -> list[str]:
    """One line per node that errored or failed."""
    lines = []
    for node in getattr(result.result, "results", None) or []:
        status = str(getattr(node.status, "value", node.status))
        if status in {"error", "fail", "runtime error"}:
            message = " ".join(str(node.message or "").split())[:300]
            lines.append(f"{node.node.name}: {status} ({message})")
    if not lines and result.exception is not None:
        lines.append(" ".join(str(result.exception).split())[:300])
    return lines or ["dbt reported a failure (see the output above)"]


def _keep_run_results(flags: list[str], day: dt.date) -> None:
    """Keep the date's run_results.json (the export would overwrite it) beside the others,
    as target/backfill/<date>/run_results.json: what each model and test cost that date."""
    if "--target-path" not in flags:
        return
    target = Path(flags[flags.index("--target-path") + 1])
    kept = target / "backfill" / day.isoformat()
    kept.mkdir(parents=True, exist_ok=True)
    shutil.copy(target / "run_results.json", kept / "run_results.json")


def main(argv: list[str]) -> int:
    from dbt.cli.main import dbtRunner

    from crm_value.refresh_worker import parse_args

    spec = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    flags = argv[1:]
    serve_dir = Path(spec["serve_dir"])
    dates = [dt.date.fromisoformat(day) for day in spec["dates"]]
    # spec["vars"] are the vars of every past date (the backfill's PAST_DATE_VARS included)
    # but its as_of_date. The parse sees only the ones that shape the parsed project, as
    # the backfill's vars check and the refresh do, and reuses their parse; every other
    # var changes only what the SQL compiles to, never the graph.
    parsed = dbtRunner().invoke(parse_args([*flags, "--vars", json.dumps(spec["vars"])]))
    if not parsed.success:
        _say(f"FAILED: the project did not parse: {parsed.exception}")
        return 1
    runner = dbtRunner(manifest=parsed.result)
    first, later = _selections(parsed.result)
    for position, day in enumerate(dates):
        started = time.perf_counter()
        day_flags = [*flags, "--vars", json.dumps({**spec["vars"], "as_of_date": day.isoformat()})]
        failure = _store_date(runner, first if position == 0 else later, day_flags, serve_dir, day)
        if failure:
            _say(f"FAILED at {day}: {failure}")
            return 1
        seconds = time.perf_counter() - started
        print(f"CRM-BACKFILL-STORED {day.isoformat()} {seconds:.2f}", flush=True)
    return 0


def _store_date(
    runner: Any, selection: list[str], flags: list[str], serve_dir: Path, day: dt.date
) -> str | None:
    """Build and test one date's selection, then export its snapshot into the history
    store; None when stored, else why not."""
    from crm_value import history

    started = time.perf_counter()
    built = runner.invoke(["build", "--quiet", "--select", *selection, *BUILD_FLAGS, *flags])
    if not built.success:
        return "; ".join(_failures(built))
    nodes = len(built.result.results)
    _keep_run_results(flags, day)
    compiled = runner.invoke(
        [
            "compile",
            "--log-level",  # --quiet would still print the compiled SQL
            "none",
            "--select",
            SNAPSHOT_MODEL,
            "--indirect-selection",
            "empty",
            *flags,
        ]
    )
    if not compiled.success:
        return f"{SNAPSHOT_MODEL} did not compile: {compiled.exception}"
    (snapshot_sql,) = (node.node.compiled_code for node in compiled.result.results)
    tmp = history.temporary_file(serve_dir, day)
    try:
        args = json.dumps({"path": str(tmp), "dim_customers_sql": snapshot_sql})
        exported = runner.invoke(
            ["run-operation", "crm_export_tier_snapshot", "--args", args, "--quiet", *flags]
        )
        if not exported.success:
            return f"the snapshot was not exported: {exported.exception}"
        history.commit(tmp, serve_dir, day)
    except OSError as exc:
        return f"the snapshot could not be stored: {exc}"
    finally:
        tmp.unlink(missing_ok=True)
    seconds = time.perf_counter() - started
    _say(f"stored {day}: {nodes} models and tests passed ({seconds:.1f} s)")
    return None


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
