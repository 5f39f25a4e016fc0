"""The one configuration the refresh and dbt share: the vars in dbt_project.yml.

Every bound the refresh applies outside dbt (the expectations at the door, whether to
check source freshness) is read from the same vars dbt validates, with the same
`--vars` overrides, so a bound is written once. dbt itself still validates every var
when it compiles; this module only reads them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from crm_value.dbt_env import PROJECT_DIR

DEMO_RAW_DIR = PROJECT_DIR / "seeds" / "crm_demo"
ENTITIES = ("customers", "orders", "receivables", "service_tickets", "surveys")


def project_vars(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The project's vars: the defaults in dbt_project.yml, then `overrides` on top."""
    with open(PROJECT_DIR / "dbt_project.yml", encoding="utf-8") as f:
        defaults = yaml.safe_load(f).get("vars") or {}
    return {**defaults, **(overrides or {})}


def parse_vars(text: str | None) -> dict[str, Any]:
    """Parse a `--vars` argument as dbt does (YAML, so JSON works too); a text that is
    not a YAML mapping is a ValueError with a one-line reason."""
    if not text:
        return {}
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or type(exc).__name__
        raise ValueError(f"--vars is not valid YAML{where}: {problem} (in {text!r})") from exc
    if not isinstance(value, dict):
        raise ValueError(
            f"--vars must be a mapping such as '{{as_of_date: 2025-07-01}}', got {text!r}"
        )
    return value


def unknown_vars(overrides: dict[str, Any]) -> list[str]:
    """A line for each var in `overrides` the project does not define, with the closest
    name it does: a misspelt var must not run silently with the default."""
    known = sorted(project_vars())
    lines = []
    for name in overrides:
        if name in known:
            continue
        close = difflib.get_close_matches(str(name), known, n=1, cutoff=0.6)
        hint = f"; did you mean '{close[0]}'?" if close else " (see the README's var table)"
        lines.append(f"Unknown var '{name}'{hint}")
    return lines


def explicit_as_of_date(dbt_vars: dict[str, Any]) -> dt.date | None:
    """The `as_of_date` var as a date, or None when the data decides it."""
    value = dbt_vars.get("as_of_date")
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


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


def dumps_vars(dbt_vars: dict[str, Any]) -> str:
    """Vars as the JSON dbt's --vars takes (dates as ISO text)."""
    return json.dumps(dbt_vars, default=str)
