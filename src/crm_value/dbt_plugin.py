"""dbt-duckdb plugin: lets the dbt project check its raw files before it reads them.

DuckDB's own errors for an unreadable CSV do not name the file, and Jinja cannot catch
an error. This plugin registers one scalar function on every dbt connection,
``crm_inspect_raw_files(request_json, file_format)``, which runs the project's file rules
(`crm_value.raw_files.inspect_files`) on private in-memory connections and returns a JSON
verdict instead of raising. The macro ``crm_check_raw_files`` turns its problems into an
error that names the file and the column. Configured in ``profiles/profiles.yml`` under
``plugins``.
"""

from __future__ import annotations

import json

import duckdb
from dbt.adapters.duckdb.plugins import BasePlugin

from crm_value.raw_files import inspect_files


def inspect_raw_files(request_json: str, file_format: str) -> str:
    """`inspect_files` on a JSON request, answered as JSON. Never raises."""
    return json.dumps(inspect_files(json.loads(request_json), file_format))


class Plugin(BasePlugin):
    """Registers ``crm_inspect_raw_files`` on each connection dbt-duckdb opens."""

    def configure_connection(self, conn: duckdb.DuckDBPyConnection) -> None:
        conn.create_function(
            "crm_inspect_raw_files",
            inspect_raw_files,
            ["VARCHAR", "VARCHAR"],
            "VARCHAR",
            side_effects=True,
        )
