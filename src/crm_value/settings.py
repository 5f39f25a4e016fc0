"""The one configuration the refresh and dbt share: the vars in dbt_project.yml.

Every bound the refresh applies outside dbt (the expectations at the door, whether to
check source freshness) is read from the same vars dbt validates, with the same
`--vars` overrides, so a bound is written once. dbt itself still validates every var
when it compiles; this module only reads them.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
from typing import Any

import yaml

from crm_value.dbt_env import PROJECT_DIR


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


def dumps_vars(dbt_vars: dict[str, Any]) -> str:
    """Vars as the JSON dbt's --vars takes (dates as ISO text)."""
    return json.dumps(dbt_vars, default=str)
