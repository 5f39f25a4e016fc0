"""The one way this project runs dbt: the refresh, the backfill and the tests all build
their dbt command and its environment here.

- `dbt_env` (crm_value.dbt_env): the environment, stripped of every `DBT_*` variable a
  scheduler may have left (one could skip every test), with the raw input, the work
  database, the history store and the profile's target set;
- `project_flags`: the flags that place the project and its artifacts (`--project-dir`,
  `--target-path`, `--log-path`, and the vars);
- `run_dbt`: one dbt command as a child process, its output streamed and returned;
- `DbtWorker`: the refresh's one dbt process (crm_value.refresh_worker), which parses the
  project once for every command of a run.

A child, not dbt's Python API in this process: dbt-duckdb keeps the database open in its
process, and a crash inside dbt must not take the refresh (and its history row) with it.
The kernel stops a child whose parent dies (`_die_with_parent`), so no orphaned build
keeps writing the work database.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from crm_value.dbt_env import PROJECT_DIR, dbt_env
from crm_value.inputs import RawInput
from crm_value.refresh_worker import EXIT_LINE
from crm_value.settings import dumps_vars

_PR_SET_PDEATHSIG = 1
DBT = Path(sys.executable).with_name("dbt")


def project_flags(
    work_dir: Path, dbt_vars: dict[str, Any] | None = None, log_file: bool = True
) -> list[str]:
    """The flags that place a dbt command: the project, its artifacts and logs under
    `work_dir`, the vars (if any); `log_file` False writes no debug log file (the caller
    keeps dbt's output)."""
    flags = [
        "--project-dir",
        str(PROJECT_DIR),
        "--target-path",
        str(work_dir / "target"),
        "--log-path",
        str(work_dir / "logs"),
    ]
    if not log_file:
        flags += ["--log-level-file", "none"]
    if dbt_vars:
        flags += ["--vars", dumps_vars(dbt_vars)]
    return flags


def input_env(
    raw: RawInput,
    warehouse: Path,
    history_dir: Path | None = None,
    target: str | None = None,
) -> dict[str, str]:
    """dbt's environment for the raw input `raw` (read through its alias, if any)."""
    return dbt_env(raw.read_dir or raw.raw_dir, warehouse, raw.raw_format, history_dir, target)


def user_names(raw: RawInput, output: str) -> str:
    """dbt's output with the raw folder named as the user named it, not by its alias."""
    if raw.read_dir is not None and raw.raw_dir is not None:
        return output.replace(str(raw.read_dir), str(raw.raw_dir))
    return output


def run_dbt(
    args: list[str],
    raw: RawInput,
    warehouse: Path,
    work_dir: Path,
    history_dir: Path | None = None,
    command: list[str] | None = None,
    target: str | None = None,
) -> tuple[int, str]:
    """Run one dbt command as a child process (or `command`, a program that runs dbt in
    its own process), on the profile's `target` (None: CRM_TARGET as it is); stream and
    return its output."""
    cmd = [*(command or [str(DBT)]), *args, *project_flags(work_dir)]
    env = input_env(raw, warehouse, history_dir, target)
    lines: list[str] = []
    with subprocess.Popen(
        cmd,
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
        preexec_fn=_die_with_parent,
    ) as proc:
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                sys.stdout.write(line)
                lines.append(line)
            code = proc.wait()
        finally:  # an interrupt stops the child with the refresh
            _stop_child(proc)
    sys.stdout.flush()
    return code, user_names(raw, "".join(lines))


def _die_with_parent() -> None:
    """In the dbt child, before exec: the kernel kills it when the refresh dies, even by
    `kill -9`, so no orphaned build keeps writing the work database (Linux)."""
    # Not Linux: no prctl, and the interrupt handler alone stops the child.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _stop_child(proc: subprocess.Popen) -> None:
    """Stop the dbt child if it still runs (the refresh was interrupted)."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class DbtWorker:
    """The refresh's one dbt process (crm_value.refresh_worker), started at the first dbt
    command: dbt is imported and the project parsed once for the vars check, freshness
    and the build. Close it after the build, before anything reads the work database."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen | None = None

    def run(self, args: list[str], flags: list[str], env: dict[str, str]) -> tuple[int, str]:
        """Run one dbt command in the worker; stream and return its output."""
        if self.proc is None:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "crm_value.refresh_worker", *flags],
                cwd=PROJECT_DIR,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                bufsize=1,
                preexec_fn=_die_with_parent,
            )
        proc = self.proc
        assert proc.stdin is not None and proc.stdout is not None
        lines: list[str] = []
        code = None
        try:
            proc.stdin.write(json.dumps({"args": args, "env": env}) + "\n")
            proc.stdin.flush()
        except BrokenPipeError:  # it died: its exit code and output say why
            pass
        for line in proc.stdout:
            # dbt's last output may lack its newline: the exit line can end a line
            before, found, after = line.partition(EXIT_LINE + " ")
            if found and after.strip().isdigit():
                line, code = before, int(after)
            sys.stdout.write(line)
            lines.append(line)
            if code is not None:
                break
        if code is None:  # the worker ended without answering (killed, or a crash)
            code = proc.wait() or 2
            self.stop()
        sys.stdout.flush()
        return code, "".join(lines)

    def close(self) -> None:
        """Let the worker end as the `dbt` program would (DuckDB checkpoints); stop it if
        it does not."""
        if self.proc is None:
            return
        proc, self.proc = self.proc, None
        with contextlib.suppress(OSError):
            assert proc.stdin is not None
            proc.stdin.close()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            _stop_child(proc)
        if proc.stdout is not None:
            proc.stdout.close()

    def stop(self) -> None:
        """Stop the worker now (an interrupt or an error ended the refresh)."""
        if self.proc is None:
            return
        proc, self.proc = self.proc, None
        _stop_child(proc)
        for stream in (proc.stdin, proc.stdout):
            with contextlib.suppress(OSError):
                if stream is not None:
                    stream.close()
