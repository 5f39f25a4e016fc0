"""What every stage of a refresh shares (crm_value.refresh and the backfill): the failure
that stops a run at a stage, the run's voice and clock, its run-history row, and the
one-line reasons drawn from dbt's output.

The stages themselves are modules of their own, in the order a refresh runs them:
crm_value.inputs (the raw input and the vars), crm_value.door (the expectations at the
door), crm_value.freshness, crm_value.build and crm_value.publish.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

from crm_value import run_history


class StageFailed(RuntimeError):
    """A guard stopped the refresh at `stage`."""

    def __init__(self, stage: str, reason: str) -> None:
        super().__init__(reason)
        self.stage = stage
        self.reason = reason


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def say(message: str) -> None:
    print(f"[refresh] {message}", flush=True)


def artifact(work_dir: Path, name: str) -> dict[str, Any] | None:
    path = work_dir / "target" / name
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def node_name(unique_id: str) -> str:
    """A node's name from its unique_id: `model.pkg.name`, `source.pkg.source.name`, or
    `test.pkg.name.hash` (long test names end in a hash)."""
    parts = unique_id.split(".")
    if parts[0] == "test" and len(parts) >= 4:
        return parts[2]
    return parts[-1]


def first_line(text: str | None) -> str:
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


def fault_lines(output: str) -> str | None:
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
            return "the disk is full: " + first_line(line)
    return None


def error_lines(output: str) -> str:
    """The lines of dbt output that explain a failure with no run_results to read."""
    fault = fault_lines(output)
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
    return " | ".join(keep[-6:]) or first_line(output[-2000:]) or "dbt exited without a reason"


def record(serve_dir: Path, row: dict[str, Any]) -> bool:
    """Write the run's row; a history that cannot be written (a full disk, a read-only
    folder) is said, never a reason to stop or to crash."""
    try:
        run_history.upsert(serve_dir, row)
    except (OSError, run_history.HistoryError) as exc:
        say(f"warning: the run history could not be written: {exc}")
        return False
    return True
