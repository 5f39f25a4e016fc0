"""The run history: one row per refresh, passed, failed or crashed.

It is a Parquet file beside the releases (`<serve_dir>/run_history.parquet`), rewritten
atomically (write a temporary file, then rename) on every refresh, and read by the view
`ops.run_history` inside each published serving database. So a failed refresh records
itself at once while the serving file it must not touch stays byte-identical.

A refresh writes its row twice: `running` when it starts and its outcome when it ends.
A row still `running` when the next refresh takes the lock belongs to a process that
died (killed, out of memory, power): it is marked `crashed`.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from crm_value.contract import ENTITIES

FILE_NAME = "run_history.parquet"
COUNTS = ("raw_rows", "accepted_rows", "rejected_rows")

SCHEMA = pa.schema(
    [
        ("run_id", pa.string()),
        ("started_at", pa.timestamp("us")),
        ("ended_at", pa.timestamp("us")),
        ("outcome", pa.string()),
        ("failed_stage", pa.string()),
        ("failure_reason", pa.string()),
        ("as_of_date", pa.date32()),
        ("raw_input", pa.string()),
        ("dbt_vars", pa.string()),
        ("freshness", pa.string()),
        ("expectations_evaluated", pa.int32()),
        ("expectations_failed", pa.int32()),
        ("dbt_nodes_passed", pa.int32()),
        ("dbt_nodes_warned", pa.int32()),
        ("dbt_nodes_failed", pa.int32()),
        ("warnings", pa.string()),
        ("clv_status", pa.string()),
        ("expectations_seconds", pa.float64()),
        ("freshness_seconds", pa.float64()),
        ("build_seconds", pa.float64()),
        ("publish_seconds", pa.float64()),
        ("release_id", pa.string()),
        # 'refresh' or 'backfill' (null in rows written before backfills existed).
        ("run_kind", pa.string()),
        # The snapshot dates this run wrote to the tier-history store, comma-separated.
        ("history_dates", pa.string()),
        ("report_dir", pa.string()),
        *[(f"{entity}_{count}", pa.int64()) for entity in ENTITIES for count in COUNTS],
    ]
)

# Each column's description: the published view ops.run_history carries them as comments.
DESCRIPTIONS = {
    "run_id": "The run: its start time (UTC) and a random suffix.",
    "started_at": "When the run started (UTC).",
    "ended_at": "When the run ended (UTC); null while it runs.",
    "outcome": "running, passed (published), failed (nothing published) or crashed.",
    "failed_stage": "The stage that stopped a failed run (vars, input, expectations, "
    "freshness, build, publish, ...).",
    "failure_reason": "Why the run failed, in one line.",
    "as_of_date": "The analysis date the run valued the customers at.",
    "raw_input": "What the run read: the demo seeds, or the raw folder and its format.",
    "dbt_vars": "The dbt vars the run passed (YAML).",
    "freshness": "The source-freshness verdict: pass, warn: ..., or why it was skipped.",
    "expectations_evaluated": "Expectations evaluated at the door.",
    "expectations_failed": "Of those, how many failed.",
    "dbt_nodes_passed": "dbt nodes (models, tests, seeds) that passed in the build.",
    "dbt_nodes_warned": "dbt tests that warned.",
    "dbt_nodes_failed": "dbt nodes that failed or errored.",
    "warnings": "The run's warnings, semicolon-separated.",
    "clv_status": "The CLV fit and its backtest, in one line.",
    "expectations_seconds": "Seconds spent at the door (expectations).",
    "freshness_seconds": "Seconds spent on source freshness.",
    "build_seconds": "Seconds spent on the dbt build.",
    "publish_seconds": "Seconds spent publishing the release.",
    "release_id": "The release the run published (null when it published none).",
    "run_kind": "refresh or backfill (null in rows written before backfills existed).",
    "history_dates": "The snapshot dates this run wrote to the tier-history store, "
    "comma-separated.",
    "report_dir": "The folder holding the run's reports (expectations, run results).",
    **{
        f"{entity}_{count}": f"{entity}: {count.replace('_', ' ')} of the run's input."
        for entity in ENTITIES
        for count in COUNTS
    },
}

PUBLISHED_REASON = "published; the refresh process ended while tidying up after the switch"
CRASHED_REASON = (
    "the refresh process ended before it finished (killed or crashed); nothing was published by it"
)


class HistoryError(RuntimeError):
    """The run history file cannot be read (damaged) or written."""


def history_path(serve_dir: Path) -> Path:
    return serve_dir / FILE_NAME


def read_rows(serve_dir: Path) -> list[dict[str, Any]]:
    """Every row so far, oldest first (empty before the first refresh). A file that
    cannot be read is set aside first (see set_aside_if_damaged)."""
    set_aside_if_damaged(serve_dir)
    path = history_path(serve_dir)
    if not path.exists():
        return []
    return pq.read_table(path, schema=SCHEMA).to_pylist()


def set_aside_if_damaged(serve_dir: Path) -> str | None:
    """A history file that cannot be read (cut short, overwritten) must not block every
    later refresh: it is kept under a new name, `run_history.damaged-<time>.parquet`, and
    a new history starts. Returns what was done, or None when the file is sound. The
    serving files' view ops.run_history reads the new file."""
    path = history_path(serve_dir)
    if not path.exists():
        return None
    try:
        pq.read_table(path, schema=SCHEMA)
    except (pa.ArrowException, OSError, ValueError) as exc:
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
        aside = path.with_name(f"run_history.damaged-{stamp}.parquet")
        os.replace(path, aside)
        reason = " ".join(str(exc).split())[:200]
        return (
            f"the run history {path} could not be read ({type(exc).__name__}: {reason}); "
            f"it is kept as {aside.name} and a new history starts with this run"
        )
    return None


def _write_rows(serve_dir: Path, rows: list[dict[str, Any]]) -> None:
    path = history_path(serve_dir)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    table = pa.Table.from_pylist(
        [{name: row.get(name) for name in SCHEMA.names} for row in rows], schema=SCHEMA
    )
    try:
        pq.write_table(table, tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except (OSError, pa.ArrowException) as exc:
        tmp.unlink(missing_ok=True)
        raise HistoryError(f"{path}: {' '.join(str(exc).split())[:200]}") from exc


def mark_crashed(serve_dir: Path, now: dt.datetime, current: str | None) -> dict[str, str]:
    """Settle rows left `running` by a refresh that died; return {run_id: new outcome}.

    A run whose release is the one `current` points at died after its switch (while
    tidying up): it published, so it is `passed`. Any other is `crashed`. Call only while
    holding the refresh lock: then no other refresh is running.
    """
    rows = read_rows(serve_dir)
    settled: dict[str, str] = {}
    for row in rows:
        if row["outcome"] != "running":
            continue
        published = current is not None and Path(row["report_dir"] or "").name == current
        if published:
            row.update(outcome="passed", release_id=current, failure_reason=PUBLISHED_REASON)
        else:
            row.update(outcome="crashed", failure_reason=CRASHED_REASON)
        row["ended_at"] = row["ended_at"] or now
        settled[row["run_id"]] = row["outcome"]
    if settled:
        _write_rows(serve_dir, rows)
    return settled


def upsert(serve_dir: Path, row: dict[str, Any]) -> None:
    """Write `row` (keyed by run_id): replace this run's earlier row, or append it."""
    unknown = set(row) - set(SCHEMA.names)
    if unknown:
        raise KeyError(f"run history has no column(s) {sorted(unknown)}")
    rows = [r for r in read_rows(serve_dir) if r["run_id"] != row["run_id"]]
    rows.append(row)
    _write_rows(serve_dir, rows)
