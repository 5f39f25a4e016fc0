"""The tier-history store: the snapshots that outlive every build.

One Parquet file per snapshot date, `<serve_dir>/history/<YYYY-MM-DD>.parquet`, each the
rows of `marts.fct_customer_tier_history` for that date. The dbt model reads every file
but its own date's (CRM_HISTORY_DIR); the store is written only here:

- a refresh, after its switch, writes the date it published, from the published release;
- a backfill writes a date once that date's build and audits passed.

Each file is written under a temporary name and renamed into place, so a date is either
wholly in the store or absent, and writing one date never touches another's file. The
work database can be deleted, rebuilt or `--full-refresh`ed without losing a date, and a
refresh that fails writes nothing. A store lost or cut short is filled again from the
current release, which holds the whole history (`recover`).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import duckdb

from crm_value.publish import (
    SERVING_FILE,
    _fsync,
    _fsync_dir,
    _quote,
    by_date_file,
    current_release,
    link_or_copy,
)
from crm_value.stage import say

STORE = "history"
HISTORY_MART = "marts.fct_customer_tier_history"
_FILE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.parquet$")


def store_dir(serve_dir: Path) -> Path:
    return serve_dir / STORE


def snapshot_file(serve_dir: Path, day: dt.date) -> Path:
    return store_dir(serve_dir) / f"{day.isoformat()}.parquet"


def stored_dates(serve_dir: Path) -> list[dt.date]:
    """The snapshot dates in the store, oldest first."""
    folder = store_dir(serve_dir)
    if not folder.is_dir():
        return []
    found = (_FILE.match(path.name) for path in folder.iterdir() if path.is_file())
    return sorted(dt.date.fromisoformat(match.group(1)) for match in found if match)


def temporary_file(serve_dir: Path, day: dt.date) -> Path:
    """Where a snapshot is written before `commit` renames it into the store."""
    folder = store_dir(serve_dir)
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f".{day.isoformat()}.{os.getpid()}.tmp"


def commit(tmp: Path, serve_dir: Path, day: dt.date) -> Path:
    """Move a finished snapshot file into the store in one rename."""
    _fsync(tmp)
    final = snapshot_file(serve_dir, day)
    os.replace(tmp, final)
    _fsync_dir(final.parent)
    return final


def clear_leftovers(serve_dir: Path) -> list[str]:
    """Remove snapshot files a killed run left unfinished. Call only under the lock."""
    folder = store_dir(serve_dir)
    removed = []
    for leftover in folder.glob(".*.tmp") if folder.is_dir() else []:
        leftover.unlink(missing_ok=True)
        removed.append(str(leftover))
    return removed


def write_from_release(serve_dir: Path, release: Path, days: Iterable[dt.date]) -> list[dt.date]:
    """Write each date's rows of the release's history mart to the store; returns the
    dates written. A release that serves the date as its own Parquet file (every release
    since the history is published by date) gives the store a hard link to that file:
    the same rows, nothing written; pruning the release later leaves the store's link."""
    written = []
    schema, name = HISTORY_MART.split(".")
    with duckdb.connect(str(release / SERVING_FILE), read_only=True) as con:
        for day in days:
            tmp = temporary_file(serve_dir, day)
            served = by_date_file(release, schema, name, day)
            try:
                if served.is_file():
                    tmp.unlink(missing_ok=True)  # never write through a leftover link
                    link_or_copy(served, tmp)
                else:
                    con.execute(
                        f"copy (select * from {HISTORY_MART} where as_of_date = ?) to "
                        f"'{_quote(tmp)}' (format parquet, compression zstd)",
                        [day],
                    )
                commit(tmp, serve_dir, day)
            finally:
                tmp.unlink(missing_ok=True)
            written.append(day)
    return written


def release_dates(release: Path) -> list[dt.date]:
    """The snapshot dates a release's history mart holds (none for a release published
    before the history existed)."""
    with duckdb.connect(str(release / SERVING_FILE), read_only=True) as con:
        has_mart = con.execute(
            "select count(*) from duckdb_tables() "
            "where schema_name = 'marts' and table_name = 'fct_customer_tier_history'"
        ).fetchall()[0][0]
        if not has_mart:
            return []
        rows = con.execute(f"select distinct as_of_date from {HISTORY_MART} order by 1").fetchall()
    return [row[0] for row in rows]


def recover(serve_dir: Path) -> list[dt.date]:
    """Write to the store every date the current release holds and the store lacks (a
    refresh that died between its switch and its store write, a store deleted by hand).
    Returns the dates written."""
    release = current_release(serve_dir)
    if release is None:
        return []
    missing = sorted(set(release_dates(release)) - set(stored_dates(serve_dir)))
    return write_from_release(serve_dir, release, missing) if missing else []


def set_aside(serve_dir: Path, why: str) -> Path | None:
    """Move the whole store away (kept, never deleted), e.g. when the serving folder
    starts to publish another input: a history must describe one input."""
    folder = store_dir(serve_dir)
    if not folder.is_dir() or not any(folder.iterdir()):
        return None
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    aside = folder.with_name(f"{STORE}.{why}-{stamp}")
    os.replace(folder, aside)
    return aside


def keep_history(serve_dir: Path, release: Path, row: dict[str, Any], new_input: bool) -> None:
    """After the switch: write the published date's snapshot to the history store (a
    new input first sets the old input's store aside). A write that fails is said and
    repaired by the next run's `recover`: the release holds the whole"""
    try:
        if new_input:
            aside = set_aside(serve_dir, "previous-input")
            if aside:
                say(f"the history of the previous input is kept in {aside}")
        day = dt.date.fromisoformat(str(row["as_of_date"]))
        write_from_release(serve_dir, release, [day])
        row["history_dates"] = day.isoformat()
        say(f"tier history: {len(stored_dates(serve_dir))} snapshot dates stored")
    except (OSError, duckdb.Error) as exc:
        say(f"warning: the tier history store was not written ({exc}); the next run repairs it")


def prepare_history(serve_dir: Path) -> None:
    """Under the lock, before a run: clear unfinished snapshot files and fill the store
    with any date the current release holds and the store lacks."""
    for leftover in clear_leftovers(serve_dir):
        say(f"removed {leftover}, left by a run that died while writing the tier history")
    try:
        recovered = recover(serve_dir)
    except (OSError, duckdb.Error) as exc:
        say(f"warning: the tier history could not be checked against the current release: {exc}")
        return
    if recovered:
        dates = ", ".join(day.isoformat() for day in recovered)
        say(f"tier history: restored {dates} from the current release")
