"""The one configuration the refresh and dbt share: the vars in dbt_project.yml.

Every bound the refresh applies outside dbt (the expectations at the door, whether to
check source freshness) is read from the same vars dbt validates, with the same
`--vars` overrides, so a bound is written once. dbt itself still validates every var
when it compiles; this module only reads them.
"""

from __future__ import annotations

import datetime as dt
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
    """Parse a `--vars` argument as dbt does (YAML, so JSON works too)."""
    if not text:
        return {}
    value = yaml.safe_load(text)
    if not isinstance(value, dict):
        raise ValueError(f"--vars must be a mapping, got {text!r}")
    return value


def max_rejected_share(dbt_vars: dict[str, Any], entity: str) -> float:
    """An entity's rejected-share bound: its override, else `max_rejected_share`
    (the same rule as the dbt macro crm_max_rejected_share)."""
    overrides = dbt_vars.get("max_rejected_share_by_entity") or {}
    return float(overrides.get(entity, dbt_vars["max_rejected_share"]))


def explicit_as_of_date(dbt_vars: dict[str, Any]) -> dt.date | None:
    """The `as_of_date` var as a date, or None when the data decides it."""
    value = dbt_vars.get("as_of_date")
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


@dataclass(frozen=True)
class RawInput:
    """Where the raw files are: a folder and a format. The demo seeds are CSV files."""

    raw_dir: Path | None
    raw_format: str = "csv"

    @classmethod
    def from_env(cls, raw_dir: str | None = None, raw_format: str | None = None) -> RawInput:
        raw = raw_dir if raw_dir is not None else os.environ.get("CRM_RAW_DIR", "").strip()
        fmt = (raw_format or os.environ.get("CRM_RAW_FORMAT", "csv")).strip().lower()
        if fmt not in {"csv", "parquet"}:
            raise ValueError(f"CRM_RAW_FORMAT must be 'csv' or 'parquet', got {fmt!r}")
        return cls(Path(raw).resolve() if raw else None, fmt)

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

    def path(self, entity: str) -> Path:
        return self.folder / f"{entity}.{self.file_format}"

    def reader_sql(self, entity: str) -> str:
        """DuckDB's reader for one entity, with the options the dbt source uses."""
        path = str(self.path(entity)).replace("'", "''")
        if self.file_format == "parquet":
            return f"read_parquet('{path}')"
        return (
            f"read_csv('{path}', header = true, delim = ',', quote = '\"', escape = '\"', "
            "all_varchar = true, auto_detect = true, comment = '', skip = 0)"
        )

    def describe(self) -> str:
        return "demo seeds" if self.is_demo else f"{self.folder} ({self.raw_format})"


def dumps_vars(dbt_vars: dict[str, Any]) -> str:
    """Vars as the JSON dbt's --vars takes (dates as ISO text)."""
    return json.dumps(dbt_vars, default=str)
