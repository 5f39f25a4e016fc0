"""Publish: copy the audited marts from the work database into a new serving release,
then switch readers to it with one atomic rename.

Layout of the serving folder::

    <serve_dir>/
      current -> releases/<release_id>     the one switch (a symlink, replaced atomically)
      releases/<release_id>/
        crm_value.duckdb                   schemas marts, audit, ops and main (BI reads
                                           this file): no direct identifiers (PERSONAL_COLUMNS)
        parquet/<schema>/<table>.parquet   the same tables for tools that read Parquet
        parquet/marts/fct_customer_tier_history/<date>.parquet
                                           a BY_DATE table: one file per date
        docs/index.html                    the dbt docs site of the build (one page)
        restricted/                        mode 0700: its owner alone
          crm_value_restricted.duckdb      mode 0600: the personal data (schema restricted:
                                           customer_contacts, call_list; schema audit: the
                                           rejected rows as read)
      run_history.parquet                  every refresh (read by the view ops.run_history)

A release is written completely under a temporary name and renamed into place before the
switch, so `current` only ever points at a whole release. A reader that opened the old
file keeps its open file (and so its data) until it reconnects; old releases are pruned
only after the switch and, on POSIX, an unlinked file stays readable to whoever holds it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import errno
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from crm_value.run_history import DESCRIPTIONS, history_path
from crm_value.stage import StageFailed, fault_lines, say

if TYPE_CHECKING:
    from crm_value.build import Built
    from crm_value.refresh import Run

SERVING_FILE = "crm_value.duckdb"
SERVED_SCHEMAS = ("marts", "audit")
# The personal data's file, inside the release: readable by its owner alone.
RESTRICTED_DIR = "restricted"
RESTRICTED_FILE = "crm_value_restricted.duckdb"
RESTRICTED_SCHEMA = "restricted"
CALL_LIST_SOURCE = "fct_key_customers_at_risk"
# The run history's free text, masked in the served view (ops.run_history).
HISTORY_TEXT = ("failure_reason", "warnings")
DOCS_PAGE = Path("docs") / "index.html"
# The personal-data policy of the BI serving file (README, Personal data):
# - these columns are direct identifiers: dropped from every served table (the restricted
#   file holds them: restricted.customer_contacts, restricted.call_list);
# - the rejected rows (audit.rejected_*) hold raw text, where anything can be: every text
#   value in them has what looks like an email or a phone number masked (the restricted
#   file holds the rows as read);
# - the run history's free text (HISTORY_TEXT) is masked in the served view;
# - then every served column that carries raw text (named like a raw file's column) is
#   scanned (PII_GUARD_SKIPS aside), and a value that still looks like an email or a
#   phone number stops the publish.
PERSONAL_COLUMNS = ("customer_name", "email", "phone")
EMAIL_PATTERN = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
# A phone number: with a + country code, a mainland China mobile (11 digits from 13 to
# 19), a landline with its area code (010-12345678, 0755-1234567, (010) 12345678), or
# digits in three groups (010-1234-5678, (555) 123 4567, (555)123-4567); never inside a
# longer code (O00012345678) and never a date or a time. It errs towards hiding: in the
# rejected rows an order id such as ORD-2024-001-0001 is masked too.
PHONE_PATTERN = (
    r"(^|[^0-9A-Za-z])(\+[0-9][0-9 ().-]{6,18}[0-9]|1[3-9][0-9]{9}"
    r"|0[1-9][0-9]{1,2}-[0-9]{7,8}|\(0?[0-9]{2,3}\) ?[0-9]{7,8}"
    r"|\(?[0-9]{2,4}\)?[ .-]?[0-9]{3,4}[ .-][0-9]{4})([^0-9A-Za-z]|$)"
)
# Written in the oldest storage format that holds these types, so BI tools whose DuckDB
# driver lags the Python package can still open the file.
STORAGE_VERSION = "v1.0.0"
# Tables that grow by one date a refresh and whose earlier dates rarely change: a release
# starts from the current one's copy of them and writes only the dates that differ, and
# serves their Parquet one file per date (hard links to the earlier release's unchanged
# files), so a daily publish does not grow with the history. table -> its date column.
BY_DATE = {("marts", "fct_customer_tier_history"): "as_of_date"}
# Not scanned by the guard: the tier history's text is the customer key (scanned in
# dim_customers for today's customers; a customer since removed from the customer file is
# not scanned again) and the codes of the value rules; it is the largest table.
PII_GUARD_SKIPS = set(BY_DATE)


class PersonalDataLeak(RuntimeError):
    """A served column holds what looks like an email or a phone number."""


def current_release(serve_dir: Path) -> Path | None:
    """The release `current` points at, or None before the first publish."""
    link = serve_dir / "current"
    return link.resolve() if link.is_symlink() and link.resolve().is_dir() else None


def serving_file(serve_dir: Path) -> Path:
    """The path BI tools open: through the `current` link."""
    return serve_dir / "current" / SERVING_FILE


def _quote(path: Path) -> str:
    return str(path).replace("'", "''")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _copy_comments(
    con: duckdb.DuckDBPyConnection,
    schema: str,
    name: str,
    into: str = "serve",
    dropped: tuple[str, ...] = (),
    to: str | None = None,
) -> None:
    """Carry the table's and its columns' descriptions (dbt persist_docs) from the work
    database into the attached database `into` (to the table `to`, `schema.name`, when it
    has another name there); a column the policy `dropped` is named in the table's
    description instead."""
    target = f"{into}.{to or f'{schema}.{name}'}"
    where = "database_name = 'work' and schema_name = ? and table_name = ?"
    rows = con.execute(f"select comment from duckdb_tables() where {where}", [schema, name])
    table_comment = (rows.fetchall() or [(None,)])[0][0]
    if dropped:
        table_comment = (
            f"{table_comment or ''} Personal data ({', '.join(dropped)}) is left out here: "
            f"the restricted file holds it."
        ).strip()
    if table_comment:
        con.execute(f"comment on table {target} is {sql_text(table_comment)}")
    for column, comment in con.execute(
        f"select column_name, comment from duckdb_columns() where {where} and comment is not null",
        [schema, name],
    ).fetchall():
        if column not in dropped:
            con.execute(f'comment on column {target}."{column}" is {sql_text(comment)}')


def _clear_comments(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> None:
    """Drop a kept table's comments, so only this build's descriptions are carried."""
    con.execute(f"comment on table serve.{schema}.{name} is null")
    for (column,) in con.execute(
        "select column_name from duckdb_columns() where database_name = 'serve' "
        "and schema_name = ? and table_name = ? and comment is not null",
        [schema, name],
    ).fetchall():
        con.execute(f'comment on column serve.{schema}.{name}."{column}" is null')


def _masked(expression: str) -> str:
    """`expression` with what looks like an email or a phone number masked. The phone
    pattern runs twice: a match takes the character after it, so a number right after
    another is only found on the second pass."""
    email = f"regexp_replace({expression}, {sql_text(EMAIL_PATTERN)}, '<email>', 'g')"
    phone = sql_text(PHONE_PATTERN)
    once = f"regexp_replace({email}, {phone}, '\\1<phone>\\3', 'g')"
    return f"regexp_replace({once}, {phone}, '\\1<phone>\\3', 'g')"


def _served_select(
    con: duckdb.DuckDBPyConnection, schema: str, name: str
) -> tuple[str, tuple[str, ...]]:
    """The select list that serves work.<schema>.<name> to BI by the personal-data policy
    (PERSONAL_COLUMNS dropped, the rejected rows' text masked), and the columns dropped."""
    rejected_rows = schema == "audit" and name.startswith("rejected_")
    kept, dropped = [], []
    for column, data_type in _columns(con, "work", schema, name):
        quoted = f'"{column}"'
        if column in PERSONAL_COLUMNS:
            dropped.append(column)
        elif rejected_rows and data_type == "VARCHAR":
            kept.append(f"{_masked(quoted)} as {quoted}")
        else:
            kept.append(quoted)
    return ", ".join(kept), tuple(dropped)


def _raw_text_columns(con: duckdb.DuckDBPyConnection) -> set[str] | None:
    """The names of the raw files' columns, as the rejected-row tables of the work
    database hold them (every raw column, as read): a served column of one of these names
    carries raw text. None when the build has no rejected-row table (scan every column)."""
    names = {
        column
        for (column,) in con.execute(
            "select distinct column_name from duckdb_columns() where database_name = 'work' "
            "and schema_name = 'audit' and starts_with(table_name, 'rejected_') "
            "and column_name not in ('reject_reasons', 'n_raw_rows', 'invocation_id', "
            "'rejected_at')"
        ).fetchall()
    }
    return names or None


def personal_data_found(
    con: duckdb.DuckDBPyConnection,
    database: str,
    schema: str,
    name: str,
    only: set[str] | None = None,
) -> list[str]:
    """What in <database>.<schema>.<name> looks like an email or a phone number: one line
    per column and kind, naming a row by its customer_id where the table has one. Scans the
    text columns named in `only` (all when None): the guard scans those that carry raw
    text, not the labels and actions of the project's own seeds. Each column's distinct
    values are scanned (codes repeat: half the time of every row)."""
    columns = _columns(con, database, schema, name)
    text = [
        column
        for column, data_type in columns
        if data_type == "VARCHAR" and (only is None or column in only)
    ]
    if not text:
        return []
    table = f"{database}.{schema}.{name}"
    email, phone = sql_text(EMAIL_PATTERN), sql_text(PHONE_PATTERN)
    found = con.execute(
        " union all ".join(
            f"select {sql_text(column)}, value, regexp_matches(value, {email}) "
            f'from (select distinct "{column}" as value from {table}) '
            f"where regexp_matches(value, {email}) or regexp_matches(value, {phone})"
            for column in text
        )
    ).fetchall()
    hits: dict[tuple[str, str], list[str]] = {}
    for column, value, is_email in found:
        kind = "an email" if is_email else "a phone number"
        hits.setdefault((column, kind), []).append(value)
    has_key = any(column == "customer_id" for column, _ in columns)
    lines = []
    for (column, kind), values in sorted(hits.items()):
        where = ""
        if has_key and column != "customer_id":
            key = con.execute(
                f'select min(customer_id) from {table} where "{column}" = ?', [values[0]]
            ).fetchall()[0][0]
            where = f" (customer_id {key})"
        lines.append(f"{schema}.{name}.{column}: {len(values):,} value(s) look like {kind}{where}")
    return lines


def _write_restricted(con: duckdb.DuckDBPyConnection, target: Path, built: set[str]) -> list[str]:
    """The release's restricted file: the tables of the restricted schema this build
    created, and the rejected rows as they were read. Its folder is made 0700 before the
    file exists, and the file 0600: only the owner of the serving folder opens it."""
    folder = target / RESTRICTED_DIR
    folder.mkdir(mode=0o700)
    os.chmod(folder, 0o700)  # whatever the umask
    path = folder / RESTRICTED_FILE
    con.execute(f"attach '{_quote(path)}' as secret (storage_version '{STORAGE_VERSION}')")
    os.chmod(path, 0o600)
    wanted = {
        RESTRICTED_SCHEMA: lambda name: name in built,
        "audit": lambda name: name in built and name.startswith("rejected_"),
    }
    tables = []
    for schema, keep in wanted.items():
        for (name,) in con.execute(
            "select table_name from duckdb_tables() where database_name = 'work' "
            "and schema_name = ? order by table_name",
            [schema],
        ).fetchall():
            if keep(name):
                con.execute(f"create schema if not exists secret.{schema}")
                con.execute(
                    f"create table secret.{schema}.{name} as select * from work.{schema}.{name}"
                )
                _copy_comments(con, schema, name, into="secret")
                tables.append(f"{schema}.{name}")
    if {"customer_contacts", CALL_LIST_SOURCE} <= built:
        _write_call_list(con)
        tables.append(f"{RESTRICTED_SCHEMA}.call_list")
    con.execute("detach secret")
    os.chmod(path, 0o600)
    _fsync(path)
    return tables


def _write_run_history_view(con: duckdb.DuckDBPyConnection, history: Path) -> None:
    """ops.run_history: a view over the run history's Parquet file, its free text (why a
    run failed, its warnings: an error can quote a raw value) masked like the rejected
    rows', since the view reads rows written after this publish."""
    source = f"read_parquet('{_quote(history.resolve())}')"
    columns = {
        column
        for (column,) in con.execute(
            f"select column_name from (describe select * from {source})"
        ).fetchall()
    }
    quoted = [f'"{column}"' for column in HISTORY_TEXT if column in columns]
    masked = [f"{_masked(column)} as {column}" for column in quoted]
    replace = f" replace ({', '.join(masked)})" if masked else ""
    con.execute(f"create view serve.ops.run_history as select *{replace} from {source}")


def _write_call_list(con: duckdb.DuckDBPyConnection) -> None:
    """restricted.call_list: the key customers at risk, with names, in call order, and the
    email and phone sales need (a join made here, so that a build without the history
    marts still builds the contacts)."""
    con.execute(
        "create table secret.restricted.call_list as select at_risk.*, contacts.email, "
        f"contacts.phone from work.marts.{CALL_LIST_SOURCE} as at_risk "
        "left join work.restricted.customer_contacts as contacts "
        "on at_risk.customer_id = contacts.customer_id order by at_risk.call_rank"
    )
    _copy_comments(con, "marts", CALL_LIST_SOURCE, into="secret", to="restricted.call_list")
    con.execute(
        "comment on table secret.restricted.call_list is "
        + sql_text(
            "The key customers at risk (marts.fct_key_customers_at_risk, names included) "
            "with the email and phone to call them, in call_rank order. Personal data."
        )
    )
    for column in ("email", "phone"):
        con.execute(
            f"comment on column secret.restricted.call_list.{column} is "
            + sql_text(f"The customer's {column}, from restricted.customer_contacts.")
        )


def _describe_ops(con: duckdb.DuckDBPyConnection) -> None:
    """Comments on the ops objects, like the marts': the run history's from its columns'
    descriptions (run_history.DESCRIPTIONS), the release's and the guide's here."""
    con.execute(
        "comment on view serve.ops.run_history is "
        + sql_text(
            "Every refresh of this serving folder, published or not, one row per run "
            "(read from run_history.parquet beside the releases, so it shows runs after "
            "this release too)."
        )
    )
    for column, _ in _columns(con, "serve", "ops", "run_history"):
        if column in DESCRIPTIONS:
            con.execute(
                f'comment on column serve.ops.run_history."{column}" '
                f"is {sql_text(DESCRIPTIONS[column])}"
            )
    release = {
        "release_id": "This release: the run that published it (its folder's name).",
        "run_id": "The refresh run that built and published it.",
        "as_of_date": "The analysis date every mart of this release values customers at.",
        "published_at": "When the release was switched in (UTC).",
        "raw_input": "What the build read: the demo seeds, or the raw folder and its format.",
        "dbt_vars": "The dbt vars of the build (YAML).",
        "served_tables": "How many tables of schemas marts and audit this file serves.",
    }
    con.execute(
        "comment on table serve.ops.release is "
        + sql_text("The release this file is: one row (what was built, from what, when).")
    )
    for column, description in release.items():
        con.execute(f'comment on column serve.ops.release."{column}" is {sql_text(description)}')


def _write_guide(con: duckdb.DuckDBPyConnection) -> None:
    """main.served_tables: every table and view of the file with its description, so the
    default schema a BI tool opens first is a guide to the others, not empty."""
    con.execute(
        "create table serve.main.served_tables as "
        "select schema_name, table_name, 'table' as table_type, comment as description, "
        "column_count from duckdb_tables() where database_name = 'serve' "
        "union all select v.schema_name, v.view_name, 'view', v.comment, "
        "(select count(*) from duckdb_columns() as c where c.database_name = 'serve' "
        "and c.schema_name = v.schema_name and c.table_name = v.view_name) "
        "from duckdb_views() as v where v.database_name = 'serve' and not v.internal "
        "order by all"
    )
    con.execute(
        "comment on table serve.main.served_tables is "
        + sql_text("A guide to this file: every table and view, its schema and description.")
    )
    for column, description in {
        "schema_name": "marts (the customer-value marts), audit (rejected rows, row "
        "reconciliation, the input ledger) or ops (this release, the run history).",
        "table_name": "The table or view.",
        "table_type": "table or view.",
        "description": "What it holds (dbt's description).",
        "column_count": "How many columns it has.",
    }.items():
        con.execute(
            f'comment on column serve.main.served_tables."{column}" is {sql_text(description)}'
        )


def _fsync(path: Path) -> None:
    with open(path, "rb") as f:
        os.fsync(f.fileno())


def by_date_file(release: Path, schema: str, name: str, day: dt.date) -> Path:
    """Where a release serves one date of a BY_DATE table as Parquet: a plain file per date
    (not a Hive `key=value` folder: the date is a column of the file, and pandas and
    pyarrow refuse a partition key that is also a column)."""
    return release / "parquet" / schema / name / f"{day.isoformat()}.parquet"


def link_or_copy(source: Path, target: Path) -> None:
    """Hard-link `source` as `target` (no copy; removing either name leaves the other),
    or copy it where links are impossible (another file system, no hard links, too many
    links). The file is then shared: whoever changes a published or stored Parquet file
    must write a new file and rename it over the old name, never write into it."""
    try:
        os.link(source, target)
    except OSError as error:
        if error.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP):
            raise
        shutil.copyfile(source, target)


def _columns(con: duckdb.DuckDBPyConnection, database: str, schema: str, name: str) -> list:
    return con.execute(
        "select column_name, data_type from duckdb_columns() "
        "where database_name = ? and schema_name = ? and table_name = ? order by column_index",
        [database, schema, name],
    ).fetchall()


def _dates_to_keep(con: duckdb.DuckDBPyConnection, schema: str, name: str, by: str):
    """Per date of a BY_DATE table: (dates whose rows the earlier release (attached as
    serve) holds exactly as this build does, the dates to write), or None when the table
    must be written whole (absent there, other columns, a null date).

    A date is the same when its row count and the sum of its rows' hashes agree: the
    published table is then this build's table, rows in another order."""
    columns = _columns(con, "work", schema, name)
    if not columns or _columns(con, "serve", schema, name) != columns:
        return None
    row = ", ".join(f'"{column}"' for column, _ in columns)

    def per_date(database: str) -> str:
        return (
            f'select "{by}" as day, count(*) as n, sum(hash({row})) as h '
            f"from {database}.{schema}.{name} group by all"
        )

    compared = con.execute(
        f"select coalesce(w.day, s.day) as day, w.day is not null as built, "
        f"coalesce(w.n = s.n and w.h = s.h, false) as same "
        f"from ({per_date('work')}) as w full join ({per_date('serve')}) as s on w.day = s.day"
    ).fetchall()
    if any(day is None for day, _, _ in compared):
        return None
    same = {day for day, _, equal in compared if equal}
    write = {day for day, built, equal in compared if built and not equal}
    return same, write


def _write_by_date(
    con: duckdb.DuckDBPyConnection,
    schema: str,
    name: str,
    by: str,
    release: Path,
    days: set,
    earlier: Path | None,
    same: set,
) -> tuple[int, int]:
    """The table's Parquet in `release` as one file per date (by_date_file): a date the
    earlier release holds unchanged is hard-linked from that release's file (no copy, and
    pruning either release leaves the other's link), the others written. Returns how many
    dates were linked and how many written."""
    folder = by_date_file(release, schema, name, dt.date.min).parent
    folder.mkdir(parents=True)
    fresh = set(days)
    for day in sorted(same):
        source = by_date_file(earlier, schema, name, day) if earlier else None
        if source is None or not source.is_file():
            continue
        link_or_copy(source, by_date_file(release, schema, name, day))
        fresh.discard(day)
    if fresh:
        staging = folder.with_name(f".{folder.name}.tmp")
        con.execute(
            f'copy (select * from serve.{schema}.{name} where "{by}" in '
            f"(select unnest(?::date[]))) to '{_quote(staging)}' "
            f'(format parquet, compression zstd, partition_by ("{by}"), '
            "write_partition_columns true)",
            [sorted(fresh)],
        )
        for day in sorted(fresh):
            files = sorted((staging / f"{by}={day.isoformat()}").glob("*.parquet"))
            if len(files) != 1:
                raise RuntimeError(f"{staging}: {len(files)} Parquet files for {day}, not one")
            os.replace(files[0], by_date_file(release, schema, name, day))
        shutil.rmtree(staging)
    for file in folder.iterdir():
        _fsync(file)
    _fsync_dir(folder)
    return len(days) - len(fresh), len(fresh)


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def _unusable_start(earlier: Path) -> str | None:
    """Why the current release's database file cannot be the next one's starting point,
    or None. A write-ahead log beside it means something wrote to a published file
    (readers open it read-only): what it holds is not what was published."""
    if not (earlier / SERVING_FILE).is_file():
        return "there is none"
    if (earlier / f"{SERVING_FILE}.wal").exists():
        return "a write-ahead log beside it: something wrote to the published file"
    try:
        with duckdb.connect(str(earlier / SERVING_FILE), read_only=True) as con:
            personal = con.execute(
                "select count(*) from duckdb_columns() where database_name = current_database() "
                "and column_name in (select unnest(?::varchar[]))",
                [list(PERSONAL_COLUMNS)],
            ).fetchall()[0][0]
    except duckdb.Error:
        return None  # _start_from says what is wrong with it
    if personal:
        # Its dropped blocks could still hold their bytes in the copy.
        return "it holds personal data (published before the personal-data policy)"
    return None


def _start_from(
    con: duckdb.DuckDBPyConnection, earlier: Path, db_path: Path, built: set[str]
) -> dict[tuple[str, str], tuple[set, set]]:
    """Copy the earlier release's database file to `db_path`, attach it as serve and
    empty it of everything but the BY_DATE tables' unchanged dates. Returns, per kept
    table, (its unchanged dates, the dates to write). Raises what DuckDB raises on a file
    it cannot read (damaged, or a storage format this DuckDB does not know)."""
    shutil.copyfile(earlier / SERVING_FILE, db_path)
    con.execute(f"attach '{_quote(db_path)}' as serve (storage_version '{STORAGE_VERSION}')")
    reused = {}
    for (schema, name), by in BY_DATE.items():
        if name in built and (plan := _dates_to_keep(con, schema, name, by)):
            reused[(schema, name)] = plan
    objects = con.execute(
        "select schema_name, table_name, 'table' from duckdb_tables() "
        "where database_name = 'serve' union all "
        "select schema_name, view_name, 'view' from duckdb_views() "
        "where database_name = 'serve' and not internal"
    ).fetchall()
    for schema, name, kind in objects:
        if (schema, name) not in reused:
            con.execute(f'drop {kind} serve."{schema}"."{name}"')
    for (schema, name), (same, _) in reused.items():
        con.execute(
            f'delete from serve.{schema}.{name} where "{BY_DATE[(schema, name)]}" '
            "not in (select unnest(?::date[]))",
            [sorted(same)],
        )
    con.execute("checkpoint serve")  # the dropped tables' blocks are free again
    return reused


def _write_release(
    work_db: Path,
    target: Path,
    history: Path,
    meta: dict,
    built: set[str],
    earlier: Path | None = None,
    say: Callable[[str], None] = print,
    docs_page: Path | None = None,
) -> list[str]:
    """Write the serving database and Parquet files of one release into `target`: the
    tables of the served schemas that this run's build created (`built`), nothing older.

    With an earlier release (the current one), its database file is the starting point:
    every table in it is dropped and written again from the work database, except a
    BY_DATE table, whose dates that are unchanged stay and whose other dates are replaced,
    and whose unchanged Parquet files are hard-linked. The result is the same tables as a
    release written from nothing. An earlier file that cannot be the starting point
    (written to after it was published, damaged, unreadable) is said (`say`) and the
    release is written from nothing."""
    db_path = target / SERVING_FILE
    tables: list[str] = []
    leaks: list[str] = []
    con = duckdb.connect()
    try:
        con.execute(f"attach '{_quote(work_db)}' as work (read_only)")
        earlier, reused = _open_release(con, db_path, earlier, built, say)
        raw_text = _raw_text_columns(con)
        for schema in SERVED_SCHEMAS:
            names = _built_tables(con, schema, built)
            if not names:
                raise RuntimeError(f"this build created no tables in schema {schema} of {work_db}")
            con.execute(f"create schema if not exists serve.{schema}")
            (target / "parquet" / schema).mkdir(parents=True)
            for name in names:
                release = _Release(con, target, earlier, reused, say)
                leaks += release.write_table(schema, name, raw_text)
                tables.append(f"{schema}.{name}")
        if leaks:
            raise PersonalDataLeak(
                "the BI serving file would carry personal data, so nothing was published: "
                + "; ".join(leaks)
                + ". Emails and phone numbers belong in the customer file's email and phone "
                "columns (served in the restricted file alone): correct these rows in the "
                "raw files (the customer_id names one)"
            )
        restricted = _write_restricted(con, target, built)
        say(f"restricted file: {len(restricted)} tables (personal data), mode 0600")
        _write_ops(con, history, meta, len(tables))
        con.execute("detach serve")
        con.execute("detach work")
    finally:
        con.close()
    _finish_files(target, docs_page)
    return tables


def _open_release(
    con: duckdb.DuckDBPyConnection,
    db_path: Path,
    earlier: Path | None,
    built: set[str],
    say: Callable[[str], None],
) -> tuple[Path | None, dict[tuple[str, str], tuple[set, set]]]:
    """Attach the release's new database as `serve`: a copy of the earlier release's
    (see _start_from) when it can be the starting point, else a new file. Returns the
    earlier release still used (None when written from nothing) and the BY_DATE tables'
    dates to keep and to write."""
    reused: dict[tuple[str, str], tuple[set, set]] = {}
    if earlier is not None:
        why_not = _unusable_start(earlier)
        if why_not is None:
            try:
                reused = _start_from(con, earlier, db_path, built)
            except (duckdb.Error, OSError) as exc:
                problem = _first_line(exc).replace(str(db_path), str(earlier / SERVING_FILE))
                why_not = f"it cannot be read: {problem}"
                with contextlib.suppress(duckdb.Error):
                    con.execute("detach serve")
                for leftover in (db_path, db_path.with_name(f"{SERVING_FILE}.wal")):
                    leftover.unlink(missing_ok=True)
        if why_not is None:
            return earlier, reused
        say(
            f"the current release's {SERVING_FILE} is not the starting point ({why_not}): "
            "this release is written from nothing"
        )
    con.execute(f"attach '{_quote(db_path)}' as serve (storage_version '{STORAGE_VERSION}')")
    return None, {}


def _built_tables(con: duckdb.DuckDBPyConnection, schema: str, built: set[str]) -> list[str]:
    """The tables of `schema` in the work database that this run's build created."""
    rows = con.execute(
        "select table_name from duckdb_tables() "
        "where database_name = 'work' and schema_name = ? order by table_name",
        [schema],
    ).fetchall()
    return [row[0] for row in rows if row[0] in built]


@dataclasses.dataclass
class _Release:
    """A release being written: the connection (work and serve attached), its folder, the
    earlier release it starts from (None: from nothing) and the BY_DATE tables' dates."""

    con: duckdb.DuckDBPyConnection
    target: Path
    earlier: Path | None
    reused: dict[tuple[str, str], tuple[set, set]]
    say: Callable[[str], None]

    def write_table(self, schema: str, name: str, raw_text: set[str] | None) -> list[str]:
        """One served table into the serving file and Parquet, its comments copied;
        returns the personal data the guard found in it."""
        con, by = self.con, BY_DATE.get((schema, name))
        select, dropped = _served_select(con, schema, name)
        same: set = set()
        if (schema, name) in self.reused:
            same, write = self.reused[(schema, name)]
            _clear_comments(con, schema, name)
            con.execute(
                f"insert into serve.{schema}.{name} select {select} "
                f'from work.{schema}.{name} where "{by}" in (select unnest(?::date[]))',
                [sorted(write)],
            )
        else:
            con.execute(
                f"create table serve.{schema}.{name} as select {select} from work.{schema}.{name}"
            )
        leaks = []
        if (schema, name) not in PII_GUARD_SKIPS:
            leaks = personal_data_found(con, "serve", schema, name, raw_text)
        _copy_comments(con, schema, name, dropped=dropped)
        if by is not None:
            self._write_dated_parquet(schema, name, by, same)
        else:
            parquet = self.target / "parquet" / schema / f"{name}.parquet"
            con.execute(
                f"copy serve.{schema}.{name} to '{_quote(parquet)}' "
                "(format parquet, compression zstd)"
            )
            _fsync(parquet)
        return leaks

    def _write_dated_parquet(self, schema: str, name: str, by: str, same: set) -> None:
        """A BY_DATE table's Parquet files, one per date, the unchanged ones linked."""
        days = {
            row[0]
            for row in self.con.execute(
                f'select distinct "{by}" from serve.{schema}.{name}'
            ).fetchall()
        }
        linked, written = _write_by_date(
            self.con, schema, name, by, self.target, days, self.earlier, same
        )
        self.say(
            f"{schema}.{name}: {linked:,} of {len(days):,} dates unchanged since "
            f"the current release (linked), {written:,} written"
        )


def _write_ops(
    con: duckdb.DuckDBPyConnection, history: Path, meta: dict, served_tables: int
) -> None:
    """Schema ops (the release and the run history) and the file's guide."""
    con.execute("create schema if not exists serve.ops")
    _write_run_history_view(con, history)
    con.execute(
        "create table serve.ops.release as select "
        "cast(? as varchar) as release_id, cast(? as varchar) as run_id, "
        "cast(? as date) as as_of_date, cast(? as timestamp) as published_at, "
        "cast(? as varchar) as raw_input, cast(? as varchar) as dbt_vars, "
        "cast(? as integer) as served_tables",
        [
            meta["release_id"],
            meta["run_id"],
            meta["as_of_date"],
            meta["published_at"],
            meta["raw_input"],
            meta["dbt_vars"],
            served_tables,
        ],
    )
    _describe_ops(con)
    _write_guide(con)


def _finish_files(target: Path, docs_page: Path | None) -> None:
    """The serving file readable by every BI reader, the docs page copied in, and every
    file and folder of the release on disk before the switch."""
    db_path = target / SERVING_FILE
    os.chmod(db_path, 0o644)  # every BI reader, whatever the umask (no personal data)
    _fsync(db_path)
    if docs_page is not None:
        (target / DOCS_PAGE).parent.mkdir()
        shutil.copyfile(docs_page, target / DOCS_PAGE)
        _fsync(target / DOCS_PAGE)
        _fsync_dir(target / DOCS_PAGE.parent)
    for folder in [*(target / "parquet").iterdir(), target / "parquet", target]:
        _fsync_dir(folder)


def clear_leftovers(serve_dir: Path) -> list[str]:
    """Remove what a publish killed half-way left behind; return what was removed.

    Release folders sort by their run's start time. A finished release newer than the
    one `current` points at (or any, before the first switch) was renamed into place by a
    refresh that died before its switch: no reader ever saw it. `.tmp-*` folders are
    unfinished releases, `.current.*.tmp` links unfinished switches. Releases older than
    `current` are the kept earlier ones and stay. Call only while holding the lock.
    """
    removed: list[str] = []
    releases = serve_dir / "releases"
    current = current_release(serve_dir)
    for link in serve_dir.glob(".current.*.tmp"):
        link.unlink(missing_ok=True)
        removed.append(str(link))
    if not releases.is_dir():
        return removed
    # Without a `current` that resolves to a release (none yet, dangling, or replaced by
    # a folder) nothing says which finished release is an orphan: all are kept.
    for folder in sorted(releases.iterdir()):
        if not folder.is_dir() or folder.is_symlink():
            continue
        unfinished = folder.name.startswith(".tmp-")
        unswitched = (
            current is not None
            and not folder.name.startswith(".")
            and folder.name > current.name
            and folder != current
        )
        if unfinished or unswitched:
            shutil.rmtree(folder)
            removed.append(str(folder))
    return removed


def current_problem(serve_dir: Path) -> str | None:
    """Why the serving folder's `current` cannot be switched, or None: it must be absent
    (before the first publish) or a link (the switch replaces a link, never a folder)."""
    link = serve_dir / "current"
    if os.path.lexists(link) and not link.is_symlink():
        return (
            f"{link} is a {'folder' if link.is_dir() else 'file'}, not the link a refresh "
            "switches (a restore that copied it?); readers of it are left alone. Move it "
            "away, or make it a link again: ln -sfn releases/<release> current"
        )
    return None


def tidy_releases(serve_dir: Path, keep: int) -> None:
    """Remove unfinished releases and all but the newest `keep` finished ones (never the
    current one). Run after a publish; a failure here leaves the switch as it is."""
    releases = serve_dir / "releases"
    current = current_release(serve_dir)
    for stale in releases.glob(".tmp-*"):
        shutil.rmtree(stale, ignore_errors=True)
    finished = sorted(p for p in releases.iterdir() if p.is_dir() and not p.name.startswith("."))
    for old in finished[:-keep]:
        if current is None or old.resolve() != current:
            shutil.rmtree(old)


def publish(
    work_db: Path,
    serve_dir: Path,
    release_id: str,
    meta: dict,
    built: set[str],
    say: Callable[[str], None] = print,
    docs_page: Path | None = None,
) -> tuple[Path, list[str]]:
    """Publish the tables this build created (`built`, by name) in the work database's
    served schemas as release `release_id`, by the personal-data policy, with the
    restricted file and the docs site (`docs_page`, dbt's static page, when given), then
    switch `current` to it. Returns the new release folder and the tables it serves.
    Nothing readers see changes before the final rename; an error before it leaves no
    trace but a `.tmp-` folder, removed here."""
    releases = serve_dir / "releases"
    releases.mkdir(parents=True, exist_ok=True)
    staging = releases / f".tmp-{release_id}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    published_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    meta = {**meta, "release_id": release_id, "published_at": published_at}
    try:
        tables = _write_release(
            work_db,
            staging,
            history_path(serve_dir),
            meta,
            built,
            current_release(serve_dir),
            say,
            docs_page,
        )
        final = releases / release_id
        os.rename(staging, final)
        _fsync_dir(releases)
        link_tmp = serve_dir / f".current.{os.getpid()}.tmp"
        link_tmp.unlink(missing_ok=True)
        os.symlink(Path("releases") / release_id, link_tmp)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    try:
        os.replace(link_tmp, serve_dir / "current")  # the switch: atomic on POSIX
    except BaseException:  # no switch: take back what no reader can ever have seen
        link_tmp.unlink(missing_ok=True)
        shutil.rmtree(final, ignore_errors=True)
        raise
    with contextlib.suppress(OSError):  # the switch is made; the fsync is best effort
        _fsync_dir(serve_dir)
    return final, tables


# The published mart whose rows are the customers the release values (a valid order
# before as_of_date): an empty one is never published, a large drop needs a flag.
CUSTOMER_MART = "marts.fct_customer_rfm"


@dataclasses.dataclass
class ServedRelease:
    """What the current release serves: its input and how many customers it values."""

    release: str
    raw_input: str | None
    customers: int | None


def served_release(serve_dir: Path) -> ServedRelease | None:
    """The current release's input and customer count, read from its serving file
    (read-only, as any BI reader), or None before the first publish."""
    release = current_release(serve_dir)
    if release is None:
        return None
    try:
        with duckdb.connect(str(serving_file(serve_dir)), read_only=True) as con:
            raw_input = con.execute("select raw_input from ops.release").fetchall()[0][0]
            customers = con.execute(f"select count(*) from {CUSTOMER_MART}").fetchall()[0][0]
    except (duckdb.Error, IndexError):
        return ServedRelease(release.name, None, None)
    return ServedRelease(release.name, raw_input, int(customers))


def customers_built(warehouse: Path) -> int:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return int(con.execute(f"select count(*) from {CUSTOMER_MART}").fetchall()[0][0])


def check_release_size(
    customers: int, as_of: Any, served: ServedRelease | None, max_drop: float
) -> None:
    """Never publish an empty release; a drop in valued customers past `max_drop` of the
    current release needs the user's say (--max-customer-drop)."""
    if customers == 0:
        raise StageFailed(
            "publish",
            f"the build values no customer ({CUSTOMER_MART} is empty: is as_of_date "
            f"{as_of} before every valid order?); an empty release is never published",
        )
    if served is None or not served.customers:
        return
    drop = 1 - customers / served.customers
    if drop > max_drop:
        raise StageFailed(
            "publish",
            f"the build values {customers:,} customers where the current release "
            f"{served.release} values {served.customers:,} ({drop:.0%} fewer, more than "
            f"--max-customer-drop {max_drop:.0%}); nothing was replaced. If the drop is "
            "real, run again with --max-customer-drop 1",
        )


def publish_stage(run: Run, built: Built, served: ServedRelease | None) -> tuple[Path, list[str]]:
    """The publish stage: a release that is not empty and has not lost more customers than
    the user allows (--max-customer-drop), written and switched in one atomic rename.
    Returns the release and its tables. Raises StageFailed."""
    run.stage = "publish"
    row = run.row
    say("4/4 publish")
    check_release_size(
        customers_built(built.work_db), row["as_of_date"], served, run.options["max_customer_drop"]
    )
    stage_start = time.perf_counter()
    meta = {key: row[key] for key in ("run_id", "as_of_date", "raw_input", "dbt_vars")}
    try:
        release, tables = publish(
            built.work_db, run.serve_dir, run.run_name, meta, built.models, say, built.docs_page
        )
    except PersonalDataLeak as exc:
        raise StageFailed("publish", str(exc)) from exc
    except (OSError, duckdb.Error, RuntimeError) as exc:
        raise StageFailed(
            "publish", fault_lines(str(exc)) or f"{type(exc).__name__}: {exc}"
        ) from exc
    if built.work_db != run.warehouse:  # Spark's copy: published, no longer needed
        built.work_db.unlink(missing_ok=True)
    row["publish_seconds"] = round(time.perf_counter() - stage_start, 2)
    return release, tables
