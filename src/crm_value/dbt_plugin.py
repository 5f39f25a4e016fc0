"""dbt-duckdb plugin: lets the dbt project inspect a raw file before it reads it.

DuckDB's own errors for an unreadable CSV do not name the file, and Jinja cannot catch
an error. This plugin registers one scalar function on every dbt connection,
``crm_probe_raw_file(path, reader_sql, count_rows)``, which opens the file on a private
in-memory connection and returns a JSON verdict instead of raising. The macro
``crm_check_raw_files`` turns the verdict into an error that names the file and the
column. Configured in ``profiles/profiles.yml`` under ``plugins``.
"""

from __future__ import annotations

import glob
import json
import os

import duckdb
from dbt.adapters.duckdb.plugins import BasePlugin

_MAX_ERROR_CHARS = 400


def probe_raw_file(path: str, reader_sql: str, count_rows: bool) -> str:
    """Inspect one raw file and describe it as JSON.

    Returns ``{"status": "missing"}``, ``{"status": "unreadable", "error": ...}`` or
    ``{"status": "ok", "columns": [...], "rows": n | null}``. Never raises.
    """
    if not glob.glob(path) or not os.path.isfile(path):
        return json.dumps({"status": "missing"})
    if os.path.getsize(path) == 0:
        return json.dumps({"status": "ok", "columns": [], "rows": 0})
    con = duckdb.connect()
    try:
        columns = [row[0] for row in con.execute(f"describe select * from {reader_sql}").fetchall()]
        rows = None
        if count_rows:
            result = con.execute(f"select count(*) from {reader_sql}").fetchone()
            rows = int(result[0]) if result else 0
    except duckdb.Error as exc:
        message = " ".join(str(exc).split())[:_MAX_ERROR_CHARS]
        return json.dumps({"status": "unreadable", "error": message})
    finally:
        con.close()
    return json.dumps({"status": "ok", "columns": columns, "rows": rows})


class Plugin(BasePlugin):
    """Registers ``crm_probe_raw_file`` on each connection dbt-duckdb opens."""

    def configure_connection(self, conn: duckdb.DuckDBPyConnection) -> None:
        conn.create_function(
            "crm_probe_raw_file",
            probe_raw_file,
            ["VARCHAR", "VARCHAR", "BOOLEAN"],
            "VARCHAR",
            side_effects=True,
        )
