"""The project's rules as the dbt macros write them, for the Python outside dbt.

The door (crm_value.door) judges the raw files before any model builds, by the same
rules the staging applies: the raw-file contract, how a raw text value is typed, the
latest timestamp a row may carry, the rejected-share bound of an entity, the analysis
date a build would resolve and DuckDB's CSV reader options. The dashboard names the tier
schemes and value dimensions as the marts do. Each rule is written once, as a dbt macro
(or, for the reader options, a var). This module renders those macros with plain Jinja,
the way dbt renders them for DuckDB, so no Python restates one: change a macro and the
door and the dashboard follow.

What the renderer provides is what these macros use: `return` (a macro's value, as in
dbt), `var` (the project's vars with the run's overrides), `adapter.dispatch` (the
`duckdb__`, else `default__`, implementation), `dbt.type_*` and `dbt.dateadd` (as
dbt-duckdb renders them), `run_started_at` (the clock) and
`exceptions.raise_compiler_error`. A macro that needs more (a `ref`, the graph, a
statement) is not one the door may call, and rendering it fails loudly.
"""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import nodes

from crm_value.dbt_env import PROJECT_DIR

MACRO_DIRS = ("crm", "utils", "value_model")
# The contract's entities in the order they are read and reported; raw_contract checks
# them against the macro.
ENTITIES = ("customers", "orders", "receivables", "service_tickets", "surveys")


class _MacroReturn(Exception):
    """`{{ return(value) }}`: the value a macro gives its caller, as dbt implements it."""

    def __init__(self, value: Any) -> None:
        self.value = value


def _raise(value: Any) -> None:
    raise _MacroReturn(value)


def _macro(callable_: Any) -> Any:
    """A template macro as dbt calls one: its `return` value, else its rendered text."""

    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return str(callable_(*args, **kwargs))
        except _MacroReturn as returned:
            return returned.value

    return call


class _Dbt:
    """`dbt.*` as dbt-duckdb renders it."""

    @staticmethod
    def type_string() -> str:
        return "varchar"

    @staticmethod
    def type_bigint() -> str:
        return "bigint"

    @staticmethod
    def type_timestamp() -> str:
        return "timestamp"

    @staticmethod
    def dateadd(datepart: str, interval: Any, from_date_or_timestamp: str) -> str:
        return f"date_add({from_date_or_timestamp}, interval ({interval}) {datepart})"


class _Compiler:
    @staticmethod
    def raise_compiler_error(message: str) -> None:
        raise ValueError(message)


class _Adapter:
    def __init__(self, macros: dict[str, Any]) -> None:
        self._macros = macros

    def dispatch(self, name: str, _namespace: str | None = None) -> Any:
        for prefix in ("duckdb__", "default__"):
            if prefix + name in self._macros:
                return self._macros[prefix + name]
        raise ValueError(f"no DuckDB implementation of the macro {name}")


def _macro_files() -> list[Path]:
    return sorted(p for d in MACRO_DIRS for p in (PROJECT_DIR / "macros" / d).glob("*.sql"))


class _Clock:
    """`run_started_at`: the clock of the current call (a module sees its globals as they
    were when it was made, so the value is looked up when used)."""

    def __init__(self, renderer: _Renderer) -> None:
        self._renderer = renderer

    def __getattr__(self, name: str) -> Any:
        return getattr(self._renderer.clock, name)


class _Renderer:
    """Every macro file compiled once; `var` and `run_started_at` read the current call's
    vars and clock."""

    def __init__(self) -> None:
        self.dbt_vars: dict[str, Any] = {}
        self.clock = dt.datetime.now(dt.UTC)
        self.macros: dict[str, Any] = {}
        env = jinja2.Environment(
            undefined=jinja2.StrictUndefined, autoescape=False, extensions=["jinja2.ext.do"]
        )
        env.globals.update(
            {
                "return": _raise,
                "var": self.var,
                "dbt": _Dbt(),
                "adapter": _Adapter(self.macros),
                "exceptions": _Compiler(),
                "target": {"type": "duckdb"},
                "run_started_at": _Clock(self),
            }
        )
        # A module's macros see the globals as they were when it was made: every macro
        # name is declared first, each looking up its macro when called.
        sources = [path.read_text(encoding="utf-8") for path in _macro_files()]
        for source in sources:
            for macro in env.parse(source).find_all(nodes.Macro):
                env.globals[macro.name] = functools.partial(self.call, macro.name)
        for source in sources:
            module = env.from_string(source).module
            for name in dir(module):
                if not name.startswith("_"):
                    self.macros[name] = _macro(getattr(module, name))
        self.env = env

    def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        return self.macros[name](*args, **kwargs)

    def var(self, name: str, *default: Any) -> Any:
        """`var(name[, default])` as dbt has it: a var the call was not given, without a
        default, is an error (never a silent null)."""
        if name in self.dbt_vars:
            return self.dbt_vars[name]
        if default:
            return default[0]
        raise ValueError(f"the macro reads var {name!r}, which this call was not given")


@functools.cache
def _renderer() -> _Renderer:
    return _Renderer()


def render(
    name: str,
    *args: Any,
    dbt_vars: dict[str, Any] | None = None,
    clock: dt.datetime | None = None,
    **kwargs: Any,
) -> Any:
    """Call the project's macro `name` as dbt would on DuckDB: its return value, or its
    rendered SQL (stripped). `dbt_vars` are the vars `var()` reads; `clock` is
    `run_started_at`."""
    renderer = _renderer()
    renderer.dbt_vars = dbt_vars or {}
    renderer.clock = clock or dt.datetime.now(dt.UTC)
    result = renderer.macros[name](*args, **kwargs)
    return result.strip() if isinstance(result, str) else result


@functools.cache
def raw_contract() -> dict[str, dict[str, Any]]:
    """The raw-file contract (macro crm_raw_entities): entity -> {key, requires_rows,
    columns: [{name, type, required, values?}]}."""
    contract = render("crm_raw_entities")
    if tuple(contract) != ENTITIES:
        raise ValueError(f"crm_raw_entities names {tuple(contract)}, not ENTITIES {ENTITIES}")
    return contract


def cast_sql(expression: str, column_type: str) -> str:
    """SQL that types a raw text `expression` to a contract type (macro crm_cast): trimmed,
    blank is null, only the contract's forms parse, anything else is null."""
    return render("crm_cast", expression, column_type, "VARCHAR")


def future_limit_sql(dbt_vars: dict[str, Any], clock: dt.datetime) -> str:
    """SQL for the latest timestamp a raw row may carry at `clock` (macro
    crm_future_limit): a UTC timestamp without time zone."""
    return render("crm_future_limit", dbt_vars=dbt_vars, clock=clock)


def as_of_date_sql(latest_order_date: str) -> str:
    """SQL for the analysis date a build resolves from the latest valid order's date
    (macro crm_as_of_from_latest_order)."""
    return render("crm_as_of_from_latest_order", latest_order_date)


def rejected_share_bound(dbt_vars: dict[str, Any], entity: str) -> tuple[float, str]:
    """An entity's rejected-share bound and the var that sets it (macro
    crm_rejected_share_bound)."""
    bound = render("crm_rejected_share_bound", entity, dbt_vars=dbt_vars)
    return float(bound["share"]), str(bound["var"])


def profile_field_filled_sql(field: str) -> str:
    """Whether one profile field counts as filled (macro crm_profile_field_filled); null
    where the field does not apply to the customer."""
    return render("crm_profile_field_filled", field)


def tier_scheme_columns() -> dict[str, str]:
    """Every tier scheme and the dim_customers column holding its tier (macro
    crm_tier_scheme_columns)."""
    return dict(render("crm_tier_scheme_columns"))


def value_dimensions() -> tuple[str, ...]:
    """The six value dimensions, in order (macro crm_value_dimensions)."""
    return tuple(render("crm_value_dimensions"))
