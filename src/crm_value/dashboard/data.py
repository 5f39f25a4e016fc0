"""Read-only access to the published serving file, for the dashboard.

Every rerun resolves `<serve dir>/current` again and names the release it points at by a
key: the release folder and the identity of its database file (device, inode, change time,
size). One DuckDB connection is cached per key (st.cache_resource), so a publish (a new
release behind `current`) gives the next rerun a new connection, while a session in the
middle of a rerun keeps the one it has (an old release's file stays readable to whoever
holds it, even once pruned).

A connection is an in-memory DuckDB with the release's file ATTACHed read-only: DuckDB's
`connect(path)` shares one database instance per path within a process, so a file that a
later release (or a test's copy) put at the same path would be served from the old
instance; an attach opens the file that is there now. Nothing is ever opened for writing.
Each query runs on its own cursor (a connection with an unfinished result refuses the next
query, and Streamlit runs sessions on threads). Results are cached per key and SQL.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from crm_value.dashboard import CONTACTS_ENV, DEFAULT_SERVE_DIR, SERVE_DIR_ENV
from crm_value.publish import (
    DOCS_PAGE,
    RESTRICTED_DIR,
    RESTRICTED_FILE,
    SERVING_FILE,
    current_release,
    sql_text,
)

ALIAS = "serving"
RESTRICTED_ALIAS = "restricted_file"
# Where the restricted file keeps the contacts and the call list (schema, table): the
# publish's names first, then the names the first design used.
CONTACT_TABLES = (("restricted", "customer_contacts"), ("contacts", "customers"))
CALL_LIST_TABLES = (("restricted", "call_list"), ("contacts", "call_list"))

ReleaseKey = tuple[str, int, int, int, int]


class NoRelease(Exception):
    """Nothing to read: no serving folder, no release yet, or its file cannot be opened."""


def serve_dir() -> Path:
    return Path(os.environ.get(SERVE_DIR_ENV) or DEFAULT_SERVE_DIR)


def release_key(serve: Path) -> ReleaseKey:
    """The key of the release `current` points at now (raises NoRelease)."""
    release = current_release(serve)
    if release is None:
        raise NoRelease(f"no release in {serve} yet (no `current` link to a release)")
    try:
        stat = (release / SERVING_FILE).stat()
    except OSError as exc:
        raise NoRelease(f"{release / SERVING_FILE} cannot be read: {exc.strerror}") from exc
    return (str(release), stat.st_dev, stat.st_ino, stat.st_ctime_ns, stat.st_size)


def _close(con: duckdb.DuckDBPyConnection) -> None:
    con.close()


def _attach(path: Path, alias: str) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(config={"threads": 2})
    try:
        con.execute(f"attach {sql_text(str(path))} as {alias} (read_only)")
    except duckdb.Error:
        con.close()
        raise
    return con


@st.cache_resource(max_entries=4, on_release=_close, show_spinner=False)
def connection(key: ReleaseKey) -> duckdb.DuckDBPyConnection:
    """The release's serving file, attached read-only: one connection per release."""
    return _attach(Path(key[0]) / SERVING_FILE, ALIAS)


@st.cache_resource(max_entries=4, on_release=_close, show_spinner=False)
def restricted_connection(key: ReleaseKey) -> duckdb.DuckDBPyConnection:
    """The release's restricted file, attached read-only (call when readable only)."""
    return _attach(restricted_path(key), RESTRICTED_ALIAS)


def restricted_path(key: ReleaseKey) -> Path:
    return Path(key[0]) / RESTRICTED_DIR / RESTRICTED_FILE


def readable(path: Path) -> bool:
    """Whether this account may read `path` (the restricted file is its owner's alone)."""
    try:
        return os.access(path, os.R_OK) and path.is_file()
    except OSError:
        return False


def _run(con: duckdb.DuckDBPyConnection, alias: str, sql: str, params: list) -> pd.DataFrame:
    cursor = con.cursor()
    try:
        cursor.execute(f"use {alias}")
        return cursor.execute(sql, params).df()
    finally:
        cursor.close()


@st.cache_data(max_entries=1024, show_spinner=False)
def _frame(key: ReleaseKey, sql: str, params: list) -> pd.DataFrame:
    return _run(connection(key), ALIAS, sql, params)


@st.cache_data(max_entries=64, show_spinner=False)
def _tables(key: ReleaseKey, alias: str) -> frozenset[str]:
    con = connection(key) if alias == ALIAS else restricted_connection(key)
    names = _run(
        con,
        alias,
        "select schema_name || '.' || table_name as name from duckdb_tables() "
        "where database_name = ? union all select schema_name || '.' || view_name "
        "from duckdb_views() where database_name = ? and not internal",
        [alias, alias],
    )
    return frozenset(names["name"])


@dataclass(frozen=True)
class Serving:
    """One release of the serving folder, as this rerun sees it."""

    key: ReleaseKey

    @classmethod
    def current(cls, serve: Path | None = None) -> Serving:
        """The release `current` points at now, opened (raises NoRelease)."""
        key = release_key(serve or serve_dir())
        try:
            connection(key)
        except duckdb.Error as exc:
            raise NoRelease(f"{Path(key[0]) / SERVING_FILE} cannot be opened: {exc}") from exc
        return cls(key)

    @property
    def path(self) -> Path:
        return Path(self.key[0])

    @property
    def docs_page(self) -> Path:
        return self.path / DOCS_PAGE

    def df(self, sql: str, params: list | tuple = ()) -> pd.DataFrame:
        """The result of `sql` (with `?` parameters) on the serving file."""
        return _frame(self.key, sql, list(params))

    def value(self, sql: str, params: list | tuple = ()):
        frame = self.df(sql, params)
        return None if frame.empty else frame.iat[0, 0]

    def missing(self, *tables: str) -> list[str]:
        """Which of `tables` ("schema.name") this release does not serve."""
        served = _tables(self.key, ALIAS)
        return [table for table in tables if table not in served]

    def restricted_state(self) -> str:
        """'readable'; 'absent' (no restricted file), 'unreadable' (there, but this account
        may not read it) or 'off': the dashboard was not started with --show-contacts, so
        whoever opens it sees no names, emails or phones (the account running it may read
        the file; its viewers are anyone who reaches the port)."""
        path = restricted_path(self.key)
        if not os.path.lexists(path.parent):
            return "absent"
        if not readable(path):
            return "unreadable"
        return "readable" if os.environ.get(CONTACTS_ENV) == "1" else "off"

    def restricted_df(self, candidates: tuple, columns: str, where: str = "", params=()):
        """`select columns` from the first of `candidates` (schema, table) the restricted
        file holds, or None: not readable, not there, or no such table."""
        if self.restricted_state() != "readable":
            return None
        try:
            served = _tables(self.key, RESTRICTED_ALIAS)
        except duckdb.Error:
            return None
        for schema, table in candidates:
            if f"{schema}.{table}" in served:
                sql = f"select {columns} from {schema}.{table} {where}"
                return _run(restricted_connection(self.key), RESTRICTED_ALIAS, sql, list(params))
        return None
