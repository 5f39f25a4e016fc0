"""The second stage of a refresh, the expectations at the door: Great Expectations suites
on the raw files, before dbt.

The refresh calls `door_stage` (which runs `run_expectations`) before anything builds.
It first probes every raw file as the dbt check `crm_check_raw_files` does and raises
`BadRawFile`, naming each file and column, when a file is missing, unreadable, lacks a
required column, or (customers, orders) holds no rows. It then reads customers and
orders through DuckDB, typed by the staging's own macros (crm_value.contract), and
validates them with three GX suites on pandas frames:

- `customers`: the distinct raw customer rows (keys present, values in their set, one row
  per customer version, updated_at not before created_at, no timestamp in the future);
- `customer_files`: the latest version of each customer opened before as_of_date, the
  population the dbt file-quality audits judge (completeness and timeliness);
- `orders`: the distinct raw order rows (required values, status, no negative money or
  quantity, one row per order_id, no timestamp in the future); from a folder of
  increments, rows are distinct within each file and an order_id must be unique within
  its file only (a later file's row replaces the earlier: a status change).

A folder of increments is judged one delivery at a time. Given a ledger (the refresh keeps
`door_ledger.json` in its work folder), the door writes there, after it passes, every file
of a folder it judged (size, modification time, raw rows and, for orders, the latest
completed order), and a later door does not read a file still listed with the same size
and modification time: a daily refresh judges the day's files, not the whole history, and
a bad day cannot hide its share among years of good rows. Customers are always judged
whole (the customer-file suite needs the latest version of everyone). The ledger holds
for one input and one set of bounds: another folder or format, a changed bound or a
changed contract judges every file again. dbt's own audits judge the whole store on every
build either way.

Every bound comes from the dbt vars (settings.project_vars), so it is written once. Row
rules allow the entity's rejected share (mostly = 1 - max_rejected_share); the file
quality rules use min_profile_completeness and min_profile_timeliness. The door is an
early, cheaper reading of the same rules, not a second authority: dbt's staging and
audits still decide what is accepted. The result is written as `expectations.json` and a
self-contained `expectations.html`.

Where the door reads the rules more loosely than dbt, and why that is acceptable:
- each row rule gets the whole rejected share on its own, where dbt counts a row once
  over all its reasons, so a file that fails dbt's rejected-share audit by spreading its
  faults over several rules can pass the door;
- the customer files are the latest parseable version of each customer, rejected or not
  (dbt picks among valid rows only), and when as_of_date is not a var it is estimated
  from the raw orders, not from the accepted ones;
- unknown customers (orders whose customer_id is not a customer) are dbt's to find: the
  value set of every customer id would not belong in a report.

Great Expectations is imported when the door runs, not with this module: it takes
about two seconds.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import json
import os
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pandas as pd
from pandas.errors import Pandas4Warning

from crm_value import contract, door_report
from crm_value.contract import ENTITIES
from crm_value.inputs import RawInput, file_stamps
from crm_value.raw_files import inspect_files
from crm_value.settings import explicit_as_of_date
from crm_value.stage import StageFailed, say

if TYPE_CHECKING:
    from crm_value.refresh import Run

SUITE_ORDER = ("customers", "customer_files", "orders")
# The door's ledger of judged increments (see the module docstring); the entities whose
# judged files a later door skips: every one but customers, which are judged whole.
DOOR_LEDGER = "door_ledger.json"
LEDGER_VERSION = 1
SKIPPABLE = tuple(entity for entity in ENTITIES if entity != "customers")
# DuckDB's memory cap while it reads the raw files (it spills beyond it): the distinct over
# 15 million raw orders would otherwise take about 3.5 GB before pandas sees a row.
DUCKDB_MEMORY_LIMIT = "2GB"

_UNITS = {
    "customers": "customer rows",
    "customer_files": "customer files",
    "orders": "order rows",
}
_AS_OF_ESTIMATE_NOTE = (
    "estimated at the door: the day after the latest completed order with a parseable, "
    "non-negative amount that is not in the future; dbt resolves it from the accepted "
    "orders (int_analysis_date_resolved), which may differ when orders are rejected"
)
_AS_OF_FALLBACK_NOTE = (
    "no completed order to estimate it from: the day after the clock's date was used"
)


class BadRawFile(Exception):
    """A raw file the door cannot judge: missing, unreadable, lacking a required column,
    or an empty customers or orders file. The message lists every problem, one a line,
    each naming the file and the column as the dbt check crm_check_raw_files does."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("Bad raw input, nothing was checked:\n  - " + "\n  - ".join(problems))


@dataclass
class DoorResult:
    """What the door found: the verdict, one line per failed expectation, the raw row
    count of each entity, the analysis date it judged timeliness against, where the
    reports are, and the file warnings (a likely misspelt optional column)."""

    success: bool
    failures: list[str]
    input_rows: dict[str, int]
    as_of_date: dt.date
    json_path: Path
    html_path: Path
    warnings: list[str] = field(default_factory=list)
    # entity -> {files, raw_rows} an earlier door judged and this one did not read again
    already_judged: dict[str, dict[str, int]] = field(default_factory=dict)


@dataclass(frozen=True)
class _Check:
    """One expectation of a suite and how the report describes it.

    `subject` says what a passing row is ("city filled"), `unit` what a row is when it
    is not the suite's own unit, and `var` which vars set the bound.
    """

    expectation: Any
    column: str
    subject: str
    var: str
    unit: str | None = None


@dataclass
class _SuiteOutcome:
    """One validated suite: its name, row count, verdict, report rows and GX result."""

    name: str
    rows: int
    success: bool
    expectations: list[dict[str, Any]]
    failures: list[str]
    gx_result: dict[str, Any]
    scope: str = "every row"


def probe_files(raw: RawInput) -> tuple[dict[str, int], dict[str, dict[str, str]], list[str]]:
    """Check every entity's file with the project's file rules (the ones dbt's
    crm_check_raw_files runs); return each entity's raw row count, its contract columns
    ({name: header in the file}) and the warnings, or raise BadRawFile listing every
    problem."""
    found, warnings = _probe(raw, {})
    rows = {entity: int(item["rows"]) for entity, item in found.items()}
    columns = {entity: item["columns"] for entity, item in found.items()}
    return rows, columns, warnings


def _probe(raw: RawInput, skip: dict[str, set[str]]) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """probe_files, leaving out the files of a folder named in `skip` (entity -> paths as
    `raw.files` names them): entity -> {rows, columns, file_rows: {file: rows}} of the
    files read, and the warnings. Raises BadRawFile listing every problem."""
    spec_of = contract.raw_contract()
    request = {
        entity: {
            "path": str(raw.read_path(entity)),
            "reader": raw.reader_sql(entity),
            "spec": spec_of[entity],
            "label": str(raw.path(entity)),
            "layout": "folder" if raw.is_folder(entity) else "file",
            # a folder whose other files were judged before may hold only empty new ones
            "complete": not skip.get(entity),
            "skipped": len(skip.get(entity, ())),
        }
        for entity in ENTITIES
    }
    for entity, item in request.items():
        if item["layout"] == "folder":
            item["files"] = [
                {
                    "path": str((raw.read_dir or raw.folder) / path.relative_to(raw.folder)),
                    "reader": raw.file_reader_sql(path),
                    "label": str(path),
                }
                for path in raw.files(entity)
                if str(path) not in skip.get(entity, ())
            ]
    verdict = inspect_files(request, raw.file_format)
    if verdict["problems"]:
        raise BadRawFile(verdict["problems"])
    return verdict["files"], verdict["warnings"]


def _quote(name: str) -> str:
    """A SQL identifier, quoted."""
    return '"' + name.replace('"', '""') + '"'


def _typed_sql(name: str, col_type: str) -> str:
    """SQL that types one raw column as the dbt staging does: the macro crm_cast itself
    (crm_value.contract), on the value as text. Then, for pandas and GX: a timestamp
    (UTC, as crm_cast leaves it) becomes a UTC timestamptz, which reaches pandas as
    datetime64[us, UTC]: GX compares that dtype vectorised (a naive datetime64[us] column
    it compares value by value in Python), and microseconds hold any year, where
    nanoseconds stop at 2262. Decimals and integers reach pandas as float64."""
    typed = contract.cast_sql(f"cast({_quote(name)} as varchar)", col_type)
    if col_type == "timestamp":
        return f"timezone('UTC', {typed})"
    if col_type in {"decimal", "integer"}:
        return f"cast({typed} as double)"
    if col_type == "text":
        return typed
    raise ValueError(f"no door typing for contract type {col_type!r} (column {name})")


def _distinct_typed_sql(
    raw: RawInput,
    entity: str,
    present: dict[str, str],
    wanted: list[str],
    per_file: bool = False,
    only: list[Path] | None = None,
) -> str:
    """The distinct raw rows of an entity (exact duplicates collapsed over every contract
    column, on the values as the file holds them, as dbt does), with `wanted` typed.
    `per_file`: rows are distinct within each file of a folder, as dbt's batch store keeps
    them, and carry the file's position (`batch`) among the files read: every file of the
    folder, or those of `only`.

    After the distinct every value is cast to text and typed from there, so CSV and
    Parquet go through one path; an optional column the file lacks reads as null.
    """
    spec = contract.raw_contract()[entity]
    raw_columns = ",\n            ".join(
        (_quote(present[column["name"]]) if column["name"] in present else "cast(null as varchar)")
        + f" as {_quote(column['name'])}"
        for column in spec["columns"]
    )
    if per_file:
        raw_columns += ",\n            file_index as batch"
    types = {column["name"]: column["type"] for column in spec["columns"]}
    typed = ",\n        ".join(
        [f"{_typed_sql(name, types[name])} as {_quote(name)}" for name in wanted]
        + (["batch"] if per_file else [])
    )
    return f"""
    with distinct_raw as (
        select distinct
            {raw_columns}
        from {raw.reader_sql(entity, only)}
    )
    select
        {typed}
    from distinct_raw
    """


def _fetch(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    params: list[Any] | None = None,
    categories: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Run `sql` into a pandas frame through Arrow (text arrives as pandas' Arrow-backed
    strings, timestamps as datetime64, without a copy of every value as a Python object),
    with the `categories` columns, low-cardinality text, as pandas categories."""
    table = con.sql(sql, params=params).to_arrow_table()
    frame = table.to_pandas(self_destruct=True, split_blocks=True)
    del table
    for column in categories:
        frame[column] = frame[column].astype("category")
    return frame


def _orders_frame(
    con: duckdb.DuckDBPyConnection,
    raw: RawInput,
    present: dict[str, str],
    only: list[Path] | None = None,
) -> pd.DataFrame:
    """The distinct raw order rows, typed, with only the columns the suite reads; from a
    folder of increments, distinct within each file and with the file's position (`batch`)
    among the files read (every file, or those of `only`)."""
    wanted = ["order_id", "customer_id", "ordered_at", "status", "quantity", "amount", "cost"]
    per_file = raw.is_folder("orders")
    sql = _distinct_typed_sql(raw, "orders", present, wanted, per_file=per_file, only=only)
    return _fetch(con, sql, categories=("status",))


def _load_customers(con: duckdb.DuckDBPyConnection, raw: RawInput, present: dict[str, str]) -> None:
    """Materialise the distinct typed customer rows once, as temp table `customers_typed`,
    for the two customer suites."""
    wanted = [
        "customer_id",
        "customer_name",
        "customer_type",
        "region",
        "city",
        "industry",
        "email",
        "phone",
        "created_at",
        "updated_at",
    ]
    con.execute(
        "create temp table customers_typed as "
        + _distinct_typed_sql(raw, "customers", present, wanted)
    )


def _customers_frame(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The distinct customer rows for the `customers` suite. `is_latest_version` marks the
    rows at their customer's latest updated_at: ties there are what the contract rejects."""
    return _fetch(
        con,
        """
        select
            customer_id,
            customer_type,
            created_at,
            updated_at,
            coalesce(
                customer_id is not null
                and updated_at = max(updated_at) over (partition by customer_id),
                false
            ) as is_latest_version
        from customers_typed
        """,
        categories=("customer_type",),
    )


def _filled_sql(field: str) -> str:
    """Whether one profile field counts as filled: the dbt macro crm_profile_field_filled
    itself (crm_value.contract), so the door and the audit share one rule. The macro says
    null where a field does not apply (industry of a non-business customer): not missing."""
    return f"coalesce({contract.profile_field_filled_sql(field)}, true)"


def _customer_files_frame(
    con: duckdb.DuckDBPyConnection, fields: list[str], as_of_date: dt.date
) -> pd.DataFrame:
    """The customer files the dbt audits judge: per customer_id the latest version by
    updated_at (a customer whose latest versions tie is left out, as dbt rejects it),
    opened before as_of_date. `contact` is email or phone; `profile_complete` says every
    field of `fields` is filled."""
    text_fields = [f for f in fields if f not in {"contact", "customer_type"}]
    selected = ", ".join(_quote(f) for f in text_fields)
    return _fetch(
        con,
        f"""
        with latest as (
            select *
            from customers_typed
            where customer_id is not null and updated_at is not null
            qualify rank() over (partition by customer_id order by updated_at desc) = 1
                and count(*) over (partition by customer_id, updated_at) = 1
        )
        select
            {selected + "," if selected else ""}
            customer_type,
            coalesce(email, phone) as contact,
            updated_at,
            {" and ".join(_filled_sql(f) for f in fields)} as profile_complete
        from latest
        where created_at < ?
        """,
        [as_of_date],
        categories=("customer_type",),
    )


def _as_utc(moment: dt.datetime) -> dt.datetime:
    """A naive UTC datetime (or an aware one) as an aware UTC datetime."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def _scalar(sql: str) -> Any:
    """The value of one SQL expression, computed by DuckDB."""
    with duckdb.connect() as con:
        con.execute("set TimeZone = 'UTC'")
        return con.execute(f"select {sql}").fetchall()[0][0]


def _future_limit(dbt_vars: dict[str, Any], clock: dt.datetime) -> dt.datetime:
    """The latest timestamp a raw row may carry (macro crm_future_limit)."""
    naive_clock = _as_utc(clock).replace(tzinfo=None)
    return _as_utc(_scalar(contract.future_limit_sql(dbt_vars, naive_clock)))


def _latest_completed(orders: pd.DataFrame, limit: dt.datetime) -> dict[int, dt.datetime]:
    """Per file read (`batch`; 0 for a single file), the latest completed order with a
    parseable amount >= 0 that is not after `limit`; a file without one is left out."""
    valid = (orders["status"] == "completed") & (orders["amount"] >= 0)
    valid &= orders["ordered_at"] <= limit
    kept = orders.loc[valid]
    if kept.empty:
        return {}
    if "batch" not in kept.columns:
        return {0: kept["ordered_at"].max().to_pydatetime()}
    latest = kept.groupby("batch", observed=True)["ordered_at"].max()
    return {int(batch): moment.to_pydatetime() for batch, moment in latest.items()}


def _estimate_as_of_date(latest: list[dt.datetime]) -> dt.date | None:
    """The analysis date a build would resolve if the latest of `latest` (see
    _latest_completed) were the latest valid order (macro crm_as_of_from_latest_order);
    None when empty."""
    if not latest:
        return None
    latest_day = max(latest).date().isoformat()
    return _scalar(contract.as_of_date_sql(f"date '{latest_day}'"))


def _row_checks(
    entity: str, dbt_vars: dict[str, Any], limit: dt.datetime, per_file: bool = False
) -> list[_Check]:
    """The row-level checks of the customers or orders suite: each may fail on at most
    the entity's rejected share of rows. `per_file` (orders from a folder of increments):
    an order_id must be unique within each file; a later file's row for the same order
    replaces the earlier one (a status change), as the dbt validation has it."""
    _import_gx()
    import great_expectations.expectations as gxe

    share, share_var = contract.rejected_share_bound(dbt_vars, entity)
    mostly = 1 - share
    checks = _contract_checks(gxe, contract.raw_contract()[entity], mostly, share_var)
    if entity == "customers":
        checks += _customer_checks(gxe, mostly, share_var)
        event_columns = ["created_at", "updated_at"]
    else:
        checks += _order_checks(gxe, mostly, share_var, per_file)
        event_columns = ["ordered_at"]
    future_var = f"future_tolerance_days, {share_var}"
    checks += [
        _Check(
            gxe.ExpectColumnValuesToBeBetween(column=name, max_value=limit, mostly=mostly),
            name,
            f"{name} not after {limit:%Y-%m-%d %H:%M:%S}",
            future_var,
        )
        for name in event_columns
    ]
    return checks


def _contract_checks(gxe: Any, spec: dict[str, Any], mostly: float, share_var: str) -> list[_Check]:
    """The contract's own rules: every required value present and parseable, every coded
    value in its set."""
    checks = [
        _Check(
            gxe.ExpectColumnValuesToNotBeNull(column=column["name"], mostly=mostly),
            column["name"],
            f"{column['name']} present and parseable",
            share_var,
        )
        for column in spec["columns"]
        if column["required"]
    ]
    return checks + [
        _Check(
            gxe.ExpectColumnValuesToBeInSet(
                column=column["name"], value_set=allowed, mostly=mostly
            ),
            column["name"],
            f"{column['name']} in {{{', '.join(allowed)}}}",
            share_var,
        )
        for column in spec["columns"]
        if (allowed := column.get("values"))
    ]


def _customer_checks(gxe: Any, mostly: float, share_var: str) -> list[_Check]:
    """One row per customer version; updated_at not before created_at."""
    from great_expectations.expectations.row_conditions import Column

    return [
        _Check(
            gxe.ExpectCompoundColumnsToBeUnique(
                column_list=["customer_id", "updated_at"],
                row_condition=Column("is_latest_version") == True,  # noqa: E712
                mostly=mostly,
            ),
            "customer_id, updated_at",
            "customer_id, updated_at unique",
            share_var,
            "latest-version customer rows",
        ),
        _Check(
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="updated_at",
                column_B="created_at",
                or_equal=True,
                ignore_row_if="either_value_is_missing",
                mostly=mostly,
            ),
            "updated_at",
            "updated_at not before created_at",
            share_var,
        ),
    ]


def _order_checks(gxe: Any, mostly: float, share_var: str, per_file: bool) -> list[_Check]:
    """No negative money or quantity; one row per order_id (within each file of a folder)."""
    checks = [
        _Check(
            gxe.ExpectColumnValuesToBeBetween(column=name, min_value=0, mostly=mostly),
            name,
            f"{name} at least 0",
            share_var,
        )
        for name in ("amount", "quantity", "cost")
    ]
    if per_file:
        unique = gxe.ExpectCompoundColumnsToBeUnique(
            column_list=["batch", "order_id"], mostly=mostly
        )
        return [*checks, _Check(unique, "order_id", "order_id unique within each file", share_var)]
    unique = gxe.ExpectColumnValuesToBeUnique(column="order_id", mostly=mostly)
    return [*checks, _Check(unique, "order_id", "order_id unique", share_var)]


def _customer_file_checks(dbt_vars: dict[str, Any], as_of_date: dt.date) -> list[_Check]:
    """Completeness (one check per profile field, and one for the whole file, which is
    what the dbt audit counts) and timeliness of the customer files."""
    _import_gx()
    import great_expectations.expectations as gxe
    from great_expectations.expectations.row_conditions import Column

    fields = list(dbt_vars["profile_fields"])
    completeness = float(dbt_vars["min_profile_completeness"])
    checks = [
        _Check(
            gxe.ExpectColumnValuesToNotBeNull(
                column=field,
                mostly=completeness,
                row_condition=Column("customer_type") == "business"
                if field == "industry"
                else None,
            ),
            field,
            f"{field} filled",
            "min_profile_completeness",
            "business customer files" if field == "industry" else None,
        )
        for field in fields
    ]
    checks.append(
        _Check(
            gxe.ExpectColumnValuesToBeInSet(
                column="profile_complete", value_set=[True], mostly=completeness
            ),
            "profile_complete",
            "every profile field filled",
            "profile_fields, min_profile_completeness",
        )
    )
    oldest = as_of_date - dt.timedelta(days=int(dbt_vars["profile_max_age_days"]))
    checks.append(
        _Check(
            gxe.ExpectColumnValuesToBeBetween(
                column="updated_at",
                min_value=dt.datetime.combine(oldest, dt.time(), tzinfo=dt.UTC),
                mostly=float(dbt_vars["min_profile_timeliness"]),
            ),
            "updated_at",
            f"updated_at on or after {oldest.isoformat()}",
            "profile_max_age_days, min_profile_timeliness",
        )
    )
    return checks


@functools.cache
def _import_gx() -> None:
    """Import Great Expectations without pyspark. GX imports pyspark when it is
    installed (`make setup-spark`), which costs every door about half a second and prints
    pyspark's warnings about pandas; the door validates pandas frames only. pyspark is
    hidden for GX's import alone, and only when nothing imported it before."""
    hide = "pyspark" not in sys.modules
    if hide:
        sys.modules["pyspark"] = None  # type: ignore[assignment]  # its import raises
    try:
        import great_expectations  # noqa: F401
    finally:
        if hide and sys.modules.get("pyspark", False) is None:
            del sys.modules["pyspark"]


def _gx_context() -> Any:
    """An ephemeral GX context with analytics and progress bars off."""
    os.environ["GX_ANALYTICS_ENABLED"] = "false"
    _import_gx()
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.enable_analytics(False)
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    context.data_sources.add_pandas("raw_files")
    return context


def _pct(share: float) -> str:
    """A share as a percentage, with more decimals when one decimal would hide a shortfall
    (99.96% is not 100.0%)."""
    text = f"{share:.1%}"
    return f"{share:.3%}" if text == "100.0%" and share < 1 else text


def _describe(suite: str, check: _Check, result: dict[str, Any], mostly: float) -> dict[str, Any]:
    """One expectation's report row from its GX result: observed share of passing rows
    among the rows it judged (GX leaves nulls out of every rule but not-null)."""
    element_count = int(result.get("element_count") or 0)
    missing = int(result.get("missing_count") or 0)
    judged = element_count - missing
    unexpected = int(result.get("unexpected_count") or 0)
    share = 1.0 - unexpected / judged if judged else 1.0
    unit = check.unit or _UNITS[suite]
    scope = f"{judged:,} {unit}" + (" with a value" if missing else "")
    return {
        "column": check.column,
        "rule": check.subject,
        "mostly": mostly,
        "element_count": element_count,
        "missing_count": missing,
        "unexpected_count": unexpected,
        "unexpected_percent": result.get("unexpected_percent"),
        "observed_share": round(share, 6),
        "observed": f"{_pct(share)} of {scope} ({unexpected:,} not)",
        "allowed": f"at least {_pct(mostly)}",
        "var": check.var,
    }


def _gx_error(exception_info: dict[str, Any]) -> str | None:
    """The message of an error GX caught while evaluating an expectation, if any. GX reports
    it either at the top level or per failed metric (keyed by the metric's id)."""
    if exception_info.get("raised_exception"):
        return str(exception_info.get("exception_message"))
    for value in exception_info.values():
        if isinstance(value, dict) and value.get("exception_message"):
            return str(value["exception_message"])
    return None


def _validate(context: Any, suite: str, frame: pd.DataFrame, checks: list[_Check]) -> _SuiteOutcome:
    """Run one suite on one frame and describe every expectation."""
    _import_gx()
    import great_expectations as gx

    asset = context.data_sources.get("raw_files").add_dataframe_asset(suite)
    batch = asset.add_batch_definition_whole_dataframe(suite)
    gx_suite = context.suites.add(gx.ExpectationSuite(name=suite))
    by_id = {
        gx_suite.add_expectation(check.expectation).id: (position, check)
        for position, check in enumerate(checks)
    }
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=suite, data=batch, suite=gx_suite)
    )
    with warnings.catch_warnings():
        # GX collects a column pair's unexpected values through Series.values, which pandas
        # 3.1 deprecates for timezone-aware columns; the values it gets are still right.
        warnings.filterwarnings(
            "ignore", message="Series.values returning an ndarray", category=Pandas4Warning
        )
        result = definition.run(batch_parameters={"dataframe": frame}, result_format="BASIC")
    described: list[tuple[int, dict[str, Any], str | None]] = []
    for outcome in result.results:
        config = outcome.expectation_config
        position, check = by_id[config.id]
        error = _gx_error(outcome.exception_info)
        if error:
            raise RuntimeError(f"GX could not evaluate {suite}: {check.subject}: {error}")
        mostly = float(config.kwargs.get("mostly", 1.0))
        row = _describe(suite, check, outcome.result, mostly)
        row = {"expectation": config.type, "success": bool(outcome.success), **row}
        failure = None
        if not outcome.success:
            failure = (
                f"{suite}: {check.subject} in {row['observed']}, "
                f"{row['allowed']} required ({check.var})"
            )
        described.append((position, row, failure))
    described.sort(key=lambda item: item[0])
    return _SuiteOutcome(
        name=suite,
        rows=len(frame),
        success=bool(result.success),
        expectations=[row for _, row, _ in described],
        failures=[failure for _, _, failure in described if failure],
        gx_result=result.to_json_dict(),
    )


def _bounds(dbt_vars: dict[str, Any]) -> dict[str, Any]:
    """Every var the door used, with its value (the rejected share resolved per entity)."""
    as_of_var = explicit_as_of_date(dbt_vars)
    return {
        "max_rejected_share": dbt_vars["max_rejected_share"],
        "max_rejected_share_by_entity": dbt_vars.get("max_rejected_share_by_entity") or {},
        "rejected_share_bound": {
            entity: contract.rejected_share_bound(dbt_vars, entity)[0]
            for entity in ("customers", "orders")
        },
        "future_tolerance_days": dbt_vars["future_tolerance_days"],
        "as_of_date": None if as_of_var is None else as_of_var.isoformat(),
        "profile_fields": list(dbt_vars["profile_fields"]),
        "profile_max_age_days": dbt_vars["profile_max_age_days"],
        "min_profile_completeness": dbt_vars["min_profile_completeness"],
        "min_profile_timeliness": dbt_vars["min_profile_timeliness"],
    }


@contextlib.contextmanager
def _without_batch_fingerprint() -> Iterator[None]:
    """Skip the fingerprint GX's pandas engine takes of every batch, while the door runs.

    Below HASH_THRESHOLD (1e9 bytes) of frame memory, PandasExecutionEngine hashes the
    whole frame (pd.util.hash_pandas_object) for a batch marker this report does not use.
    At 15 million orders that costs about 10 s and 3 GB per suite, more than every
    expectation of the suite together. GX has no option for it, so the threshold is set to
    0 and restored afterwards; a test checks that the marker stays absent.
    """
    _import_gx()
    from great_expectations.execution_engine import pandas_execution_engine as engine

    saved = engine.HASH_THRESHOLD
    engine.HASH_THRESHOLD = 0
    try:
        yield
    finally:
        engine.HASH_THRESHOLD = saved


@contextlib.contextmanager
def _duckdb() -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-process DuckDB on a UTC session (as the dbt profile pins it), whose memory is
    capped at DUCKDB_MEMORY_LIMIT: the distinct over a big orders file spills to a
    temporary folder instead of growing past it."""
    with (
        tempfile.TemporaryDirectory(prefix="crm_door_") as spill,
        duckdb.connect(
            config={"memory_limit": DUCKDB_MEMORY_LIMIT, "temp_directory": spill}
        ) as con,
    ):
        con.execute("set TimeZone = 'UTC'")
        yield con


def _judge(
    raw: RawInput,
    columns: dict[str, dict[str, str]],
    dbt_vars: dict[str, Any],
    clock: dt.datetime,
    judged: dict[str, dict[str, dict[str, Any]]],
) -> tuple[dict[str, _SuiteOutcome], dt.date, str, dict[str, str]]:
    """Validate the three suites; return their outcomes, as_of_date, where it came from and,
    per orders file read, its latest completed order (ISO text; see _latest_completed).

    Orders go first, as the estimated as_of_date comes from them, and their frame, the
    biggest, is dropped before the customer frames are read. Orders files in `judged`
    (see _already_judged) are not read: their latest completed orders come from the ledger.
    """
    limit = _future_limit(dbt_vars, clock)
    context = _gx_context()
    with _duckdb() as con, _without_batch_fingerprint():
        orders, latest, latest_by_file = _judge_orders(
            con, context, raw, columns["orders"], dbt_vars, limit, judged.get("orders", {})
        )
        as_of_date, as_of_source = _as_of_date(dbt_vars, latest, clock)
        _load_customers(con, raw, columns["customers"])
        customers = _validate(
            context, "customers", _customers_frame(con), _row_checks("customers", dbt_vars, limit)
        )
        customer_files = _validate(
            context,
            "customer_files",
            _customer_files_frame(con, list(dbt_vars["profile_fields"]), as_of_date),
            _customer_file_checks(dbt_vars, as_of_date),
        )
    outcomes = {"orders": orders, "customers": customers, "customer_files": customer_files}
    return outcomes, as_of_date, as_of_source, latest_by_file


def _judge_orders(
    con: duckdb.DuckDBPyConnection,
    context: Any,
    raw: RawInput,
    present: dict[str, str],
    dbt_vars: dict[str, Any],
    limit: dt.datetime,
    skipped: dict[str, dict[str, Any]],
) -> tuple[_SuiteOutcome, list[dt.datetime], dict[str, str]]:
    """The orders suite on the files not in `skipped` (judged by an earlier door), the
    latest completed order of every file, and of each file read (ISO text)."""
    new_files = [path for path in raw.files("orders") if str(path) not in skipped]
    latest = [
        dt.datetime.fromisoformat(entry["latest_completed"])
        for entry in skipped.values()
        if entry.get("latest_completed")
    ]
    latest = [moment for moment in latest if moment <= limit]
    latest_by_file: dict[str, str] = {}
    per_file = raw.is_folder("orders")
    # Every file of the folder judged before, or new ones with only a header (a day
    # without orders): nothing to judge.
    outcome = _SuiteOutcome("orders", 0, True, [], [], {})
    if new_files:
        # A folder's files are listed, so that `batch` is the position in new_files.
        orders = _orders_frame(con, raw, present, new_files if per_file else None)
        for batch, moment in _latest_completed(orders, limit).items():
            latest.append(moment)
            latest_by_file[str(new_files[batch])] = moment.isoformat()
        if len(orders) or not skipped:
            checks = _row_checks("orders", dbt_vars, limit, per_file=per_file)
            outcome = _validate(context, "orders", orders, checks)
        del orders
    if skipped:
        outcome.scope = (
            f"new files only: {len(new_files)} read, {len(skipped)} judged by an "
            "earlier door and not read again"
        )
    return outcome, latest, latest_by_file


def _as_of_date(
    dbt_vars: dict[str, Any], latest: list[dt.datetime], clock: dt.datetime
) -> tuple[dt.date, str]:
    """The analysis date the customer suites use, and where it came from: the var, else
    as a build would resolve it from the latest completed order, else the clock's."""
    as_of_date = explicit_as_of_date(dbt_vars)
    if as_of_date is not None:
        return as_of_date, "var as_of_date"
    estimated = _estimate_as_of_date(latest)
    if estimated is not None:
        return estimated, _AS_OF_ESTIMATE_NOTE
    return _as_utc(clock).date() + dt.timedelta(days=1), _AS_OF_FALLBACK_NOTE


def _ledger_fingerprint(raw: RawInput, dbt_vars: dict[str, Any]) -> str:
    """What a judged file's verdict depends on besides the file: the input, the contract
    and every bound of the door but as_of_date (which only the customer suites read)."""
    bounds = {k: v for k, v in _bounds(dbt_vars).items() if k != "as_of_date"}
    basis = {"input": raw.describe(), "contract": contract.raw_contract(), "bounds": bounds}
    return hashlib.sha256(json.dumps(basis, sort_keys=True, default=str).encode()).hexdigest()


def _file_identity(path: Path) -> dict[str, int]:
    stat = path.stat()
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def _already_judged(
    raw: RawInput, ledger: Path | None, fingerprint: str
) -> dict[str, dict[str, dict[str, Any]]]:
    """entity -> {file: its ledger entry} of the folders' files an earlier door passed under
    the same fingerprint, with the size and modification time they have now. A missing,
    unreadable or outdated ledger judges everything."""
    if ledger is None or not ledger.exists():
        return {}
    try:
        saved = json.loads(ledger.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if saved.get("version") != LEDGER_VERSION or saved.get("fingerprint") != fingerprint:
        return {}
    judged: dict[str, dict[str, dict[str, Any]]] = {}
    for entity in SKIPPABLE:
        if not raw.is_folder(entity):
            continue
        before = saved.get("files", {}).get(entity, {})
        for path in raw.files(entity):
            entry = before.get(str(path))
            if entry and {k: entry.get(k) for k in ("size", "mtime_ns")} == _file_identity(path):
                judged.setdefault(entity, {})[str(path)] = entry
    return judged


def _write_ledger(
    ledger: Path,
    fingerprint: str,
    judged: dict[str, dict[str, dict[str, Any]]],
    identities: dict[str, dict[str, dict[str, int]]],
    probed: dict[str, dict[str, Any]],
    latest: dict[str, str],
) -> str | None:
    """Record every file of the folders as judged (after the door passed): the ones judged
    before as they were, the new ones with the identity taken before they were read.
    Written whole to a temporary file and renamed. Returns a warning when it cannot be
    written (the next door then reads every file again), else None."""
    files: dict[str, dict[str, Any]] = {}
    for entity, known in identities.items():
        files[entity] = dict(judged.get(entity, {}))
        for label, identity in known.items():
            if label in files[entity]:
                continue
            rows = probed[entity]["file_rows"].get(label)
            if rows is None:  # gone between the listing and the read: not judged
                continue
            entry = {**identity, "rows": int(rows)}
            if label in latest:
                entry["latest_completed"] = latest[label]
            files[entity][label] = entry
    body = {"version": LEDGER_VERSION, "fingerprint": fingerprint, "files": files}
    try:
        ledger.parent.mkdir(parents=True, exist_ok=True)
        temporary = ledger.with_name(ledger.name + ".tmp")
        temporary.write_text(json.dumps(body, indent=1) + "\n", encoding="utf-8")
        os.replace(temporary, ledger)
    except OSError as exc:
        return (
            f"the door's ledger {ledger} could not be written ({exc}): "
            "the next door reads every file"
        )
    return None


def _report(
    raw: RawInput,
    dbt_vars: dict[str, Any],
    clock: dt.datetime,
    suites: list[_SuiteOutcome],
    as_of_date: dt.date,
    as_of_source: str,
) -> dict[str, Any]:
    """The door's report: the verdict, the date, the bounds and every suite's checks."""
    return {
        "success": all(suite.success for suite in suites),
        "as_of_date": as_of_date.isoformat(),
        "as_of_date_source": as_of_source,
        "clock": _as_utc(clock).replace(tzinfo=None).isoformat(sep=" "),
        "input": raw.describe(),
        "bounds": _bounds(dbt_vars),
        "suites": [
            {
                "name": suite.name,
                "rows": suite.rows,
                "scope": suite.scope,
                "success": suite.success,
                "expectations": suite.expectations,
            }
            for suite in suites
        ],
        "gx_results": {suite.name: suite.gx_result for suite in suites},
    }


def _write_report(report: dict[str, Any], out_dir: Path) -> tuple[Path, Path]:
    """expectations.json and the self-contained expectations.html, in `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / "expectations.json"
    html_path = out_dir / "expectations.html"
    json_path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    html_path.write_text(door_report.render_html(report), encoding="utf-8")
    return json_path, html_path


def run_expectations(
    raw: RawInput,
    dbt_vars: dict[str, Any],
    clock: dt.datetime,
    out_dir: Path,
    ledger: Path | None = None,
) -> DoorResult:
    """Judge the raw files at the door and write `expectations.json` and `.html` to `out_dir`.

    `dbt_vars` is settings.project_vars(overrides); `clock` is the refresh's start time
    (naive UTC). `ledger`: the door's ledger of judged increments (see the module
    docstring); without one every file is read. Raises BadRawFile, before writing
    anything, when a file cannot be judged. `input_rows` counts every file, judged now or
    before.
    """
    fingerprint = _ledger_fingerprint(raw, dbt_vars)
    judged = _already_judged(raw, ledger, fingerprint)
    identities = {
        entity: {str(path): _file_identity(path) for path in raw.files(entity)}
        for entity in SKIPPABLE
        if raw.is_folder(entity)
    }
    probed, warnings = _probe(raw, {entity: set(files) for entity, files in judged.items()})
    columns = {entity: found["columns"] for entity, found in probed.items()}
    already = {
        entity: {"files": len(files), "raw_rows": sum(int(e["rows"]) for e in files.values())}
        for entity, files in judged.items()
    }
    input_rows = {
        entity: int(found["rows"]) + already.get(entity, {}).get("raw_rows", 0)
        for entity, found in probed.items()
    }
    outcomes, as_of_date, as_of_source, latest = _judge(raw, columns, dbt_vars, clock, judged)
    suites = [outcomes[name] for name in SUITE_ORDER]
    success = all(suite.success for suite in suites)
    failures = [line for suite in suites for line in suite.failures]
    if success and ledger is not None:
        problem = _write_ledger(ledger, fingerprint, judged, identities, probed, latest)
        warnings += [problem] if problem else []
    report = _report(raw, dbt_vars, clock, suites, as_of_date, as_of_source)
    report.update(
        input_rows=input_rows, already_judged=already, failures=failures, file_warnings=warnings
    )
    json_path, html_path = _write_report(report, out_dir)
    return DoorResult(
        success, failures, input_rows, as_of_date, json_path, html_path, warnings, already
    )


def door_stage(run: Run) -> tuple[DoorResult, dict[str, tuple[int, int]]]:
    """The door as a refresh runs it: the files checked, then the suites; the verdict,
    the counts and the warnings go to the run's row. Returns the door's result and the
    files' stamps (the build checks that no file changed since). Raises StageFailed."""
    row, raw = run.row, run.raw
    say(f"1/4 expectations at the door on {raw.describe()}")
    stage_start = time.perf_counter()
    try:
        door = run_expectations(
            raw, run.dbt_vars, run.started_at, Path(row["report_dir"]), run.work_dir / DOOR_LEDGER
        )
        stamps = file_stamps(raw)
    except BadRawFile as exc:
        raise StageFailed("input", str(exc)) from exc
    run.stage = "expectations"
    row["expectations_seconds"] = round(time.perf_counter() - stage_start, 2)
    report = json.loads(door.json_path.read_text(encoding="utf-8"))
    evaluated = sum(len(suite["expectations"]) for suite in report["suites"])
    row.update({f"{e}_raw_rows": n for e, n in door.input_rows.items()})
    row.update(
        as_of_date=row["as_of_date"] or door.as_of_date,
        expectations_evaluated=evaluated,
        expectations_failed=len(door.failures),
    )
    for entity, seen in door.already_judged.items():
        say(
            f"    {entity}: {seen['files']:,} files ({seen['raw_rows']:,} rows) passed an "
            "earlier door and are unchanged: not read again"
        )
    file_warnings = [f"file: {line}" for line in door.warnings]
    for line in file_warnings:
        say(f"    warning: {line}")
    row["warnings"] = "; ".join(filter(None, [row.get("warnings"), *file_warnings])) or None
    say(f"    report: {door.html_path}")
    if not door.success:
        raise StageFailed("expectations", "; ".join(door.failures))
    say(f"    all {evaluated} expectations met")
    return door, stamps
