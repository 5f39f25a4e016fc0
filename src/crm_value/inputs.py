"""The first stage of a refresh: what it reads and with which vars.

- `RawInput`: where the raw files are (a folder and a format, or the bundled demo
  seeds), each entity one file or a folder of increments, and DuckDB's reader over them;
- the vars: names the project knows, then every value checked by dbt's own validators
  (`check_vars`);
- the input: a serving folder publishes one input (`check_same_source`), and a folder
  whose name a reader would not take literally is read through a plain alias
  (`literal_reader`); `file_stamps` notices a file that changes while the refresh runs.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from crm_value.contract import ENTITIES
from crm_value.dbt_env import PROJECT_DIR
from crm_value.settings import explicit_as_of_date, project_vars, unknown_vars
from crm_value.stage import StageFailed, error_lines, say

if TYPE_CHECKING:
    from crm_value.publish import ServedRelease
    from crm_value.refresh import Run

DEMO_RAW_DIR = PROJECT_DIR / "seeds" / "crm_demo"


# Characters a reader would take for something other than themselves: DuckDB expands
# `*`, `?` and `[...]` in a path (it has no escape for them), dbt-duckdb formats `{...}`
# and SQL quotes `'`. A folder holding any of them is read through an alias (read_dir).
_NOT_LITERAL = set("*?[]{}'\"\\")


def needs_alias(path: Path) -> bool:
    """Whether a reader would not take `path` literally."""
    return any(char in _NOT_LITERAL or not char.isprintable() for char in str(path))


@dataclass(frozen=True)
class RawInput:
    """Where the raw files are: a folder and a format. The demo seeds are CSV files.

    `read_dir`, when set, is an alias of `raw_dir` (a symbolic link with a plain name)
    that readers are given instead: every message still names `raw_dir`.
    """

    raw_dir: Path | None
    raw_format: str = "csv"
    read_dir: Path | None = None
    # DuckDB's CSV options (var raw_csv_options, as the run's vars set it); None: the
    # project's default.
    csv_options: str | None = None

    @classmethod
    def from_env(cls, raw_dir: str | None = None, raw_format: str | None = None) -> RawInput:
        """The input an argument or, without one, CRM_RAW_DIR names: unset means the
        demo; set but empty (a scheduler that lost its value) is an error, not the demo."""
        if raw_dir is not None:
            raw, origin = raw_dir, "--raw-dir"
        else:
            raw, origin = os.environ.get("CRM_RAW_DIR"), "CRM_RAW_DIR"
        if raw is not None and not raw.strip():
            raise ValueError(
                f"{origin} is set but empty: unset it to build the bundled demo, or set it "
                "to the folder of the export"
            )
        fmt = (raw_format or os.environ.get("CRM_RAW_FORMAT") or "csv").strip().lower()
        if fmt not in {"csv", "parquet"}:
            raise ValueError(f"CRM_RAW_FORMAT must be 'csv' or 'parquet', got {fmt!r}")
        return cls(Path(raw).resolve() if raw is not None else None, fmt)

    def aliased(self, read_dir: Path) -> RawInput:
        """The same input, read through `read_dir` (a link to raw_dir)."""
        return dataclasses.replace(self, read_dir=read_dir)

    @property
    def is_demo(self) -> bool:
        return self.raw_dir is None

    @property
    def folder(self) -> Path:
        """The folder the files are read from (the demo seeds folder in demo mode)."""
        return self.raw_dir if self.raw_dir is not None else DEMO_RAW_DIR

    @property
    def file_format(self) -> str:
        return "csv" if self.is_demo else self.raw_format

    def is_folder(self, entity: str) -> bool:
        """Whether the entity is a folder of increments (`<dir>/<entity>/`, every
        `*.<format>` file below it one batch) rather than the one file `<dir>/<entity>.<format>`."""
        return not self.is_demo and (self.folder / entity).is_dir()

    def path(self, entity: str) -> Path:
        """The entity's file, or its folder of increments, as messages name it."""
        if self.is_folder(entity):
            return self.folder / entity
        return self.folder / f"{entity}.{self.file_format}"

    def read_path(self, entity: str) -> Path:
        """The entity's file or folder, as readers are given it (through the alias, if any)."""
        return (self.read_dir or self.folder) / self.path(entity).name

    def files(self, entity: str) -> list[Path]:
        """The entity's files as messages name them: its one file, or every file of its
        folder, at any depth, in path order (the order its batches are applied in)."""
        if not self.is_folder(entity):
            return [self.path(entity)]
        return sorted(self.path(entity).rglob(f"*.{self.file_format}"), key=str)

    def file_reader_sql(self, path: Path) -> str:
        """DuckDB's reader for one file (named as `files` names it), with the options the
        dbt models use."""
        read = (self.read_dir or self.folder) / path.relative_to(self.folder)
        return self._reader(f"'{str(read).replace(chr(39), chr(39) * 2)}'")

    def reader_sql(self, entity: str, only: list[Path] | None = None) -> str:
        """DuckDB's reader for every row of one entity (all files of a folder), or of the
        folder's files `only` (named as `files` names them, in that order; not empty).
        Each row's `file_index` is its file's position among the files read."""
        if self.is_folder(entity):
            options = ", union_by_name = true, hive_partitioning = false"
            if only is not None:
                reads = ((self.read_dir or self.folder) / p.relative_to(self.folder) for p in only)
                listed = ", ".join(f"'{str(p).replace(chr(39), chr(39) * 2)}'" for p in reads)
                return self._reader(f"[{listed}]", options)
            pattern = str(self.read_path(entity) / f"**/*.{self.file_format}")
            return self._reader(f"'{pattern.replace(chr(39), chr(39) * 2)}'", options)
        return self._reader(f"'{str(self.read_path(entity)).replace(chr(39), chr(39) * 2)}'")

    def _reader(self, target: str, options: str = "") -> str:
        if self.file_format == "parquet":
            return f"read_parquet({target}{options})"
        csv_options = self.csv_options or project_vars()["raw_csv_options"]
        return f"read_csv({target}, {csv_options}{options})"

    def describe(self) -> str:
        return "demo seeds" if self.is_demo else f"{self.folder} ({self.raw_format})"


def file_stamps(raw: RawInput) -> dict[str, tuple[int, int]]:
    """Size and modification time of every raw file, to notice one that changes between
    the door and the build (an export landing mid-refresh)."""
    stamps = {}
    for entity in ENTITIES:
        for path in raw.files(entity):
            stat = path.stat()
            stamps[str(path)] = (stat.st_size, stat.st_mtime_ns)
    return stamps


@contextmanager
def plain_alias(path: Path, name: str) -> Iterator[Path]:
    """`path` as readers should be given it: a folder whose name a reader would not take
    literally (a glob, braces, quotes) is read through a plain-named link to it."""
    if not needs_alias(path):
        yield path
        return
    holder = Path(tempfile.mkdtemp(prefix="crm-"))
    link = holder / name
    os.symlink(path, link)
    try:
        yield link
    finally:
        link.unlink(missing_ok=True)
        holder.rmdir()


@contextmanager
def literal_reader(raw: RawInput) -> Iterator[RawInput]:
    """The input as readers should be given it (see plain_alias)."""
    if raw.raw_dir is None:
        yield raw
        return
    with plain_alias(raw.raw_dir, "raw") as path:
        yield raw if path == raw.raw_dir else raw.aliased(path)


def check_same_source(raw: RawInput, served: ServedRelease | None, new_source: bool) -> None:
    """A serving folder serves one input: a refresh that reads another kind (demo or
    files) or another folder or format stops, unless the user says so (--new-source)."""
    if served is None or served.raw_input is None or new_source:
        return
    if served.raw_input != raw.describe():
        raise StageFailed(
            "input",
            f"this serving folder publishes {served.raw_input} (release {served.release}) "
            f"but this refresh reads {raw.describe()}; nothing was replaced. If the "
            "input has really moved, run again with --new-source",
        )


def check_vars(run: Run) -> dt.date | None:
    """The vars: names the project knows, then every value checked by dbt's own
    validators (one rule each, in the macros: ranges, an as_of_date the data can reach)
    before the door reads any of them. Returns the explicit as_of_date, if any."""
    say("checking the vars")
    problems = unknown_vars(run.options["overrides"])
    if problems:
        raise StageFailed("vars", "; ".join(problems))
    # The run's dbt worker parses first and writes the manifest the build is checked
    # against (crm_value.build): none may be left from an earlier run.
    for name in ("run_results.json", "manifest.json"):
        (run.work_dir / "target" / name).unlink(missing_ok=True)
    code, output = run.dbt(["run-operation", "crm_validate_vars"])
    if code != 0:
        raise StageFailed("vars", error_lines(output))
    try:
        as_of = explicit_as_of_date(run.dbt_vars)
    except ValueError as exc:
        raise StageFailed("vars", f"Invalid var 'as_of_date': {exc}") from exc
    run.row["as_of_date"] = as_of
    return as_of


def check_input(run: Run, served: ServedRelease | None) -> bool:
    """The input against what the serving folder publishes; True when it is a new input
    (the user said --new-source): the stored history describes the old one and is not
    read."""
    run.stage = "input"
    check_same_source(run.raw, served, run.options["new_source"])
    new_input = served is not None and served.raw_input not in (None, run.raw.describe())
    if new_input:
        run.history_reader = None
    return new_input
