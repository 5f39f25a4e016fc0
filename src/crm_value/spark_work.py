"""The work of a refresh on Spark, as the rest of the refresh reads it.

A Spark build writes each table as a folder of Parquet files in Spark's warehouse
(`<warehouse>/<schema>.db/<table>/`). After the build, the tables the publish serves and
the ones the refresh reads its facts from are copied, with the descriptions dbt holds for
them, into one DuckDB file: the refresh's checks, the publish (a DuckDB serving file and
its Parquet tables, one atomic switch) and the tier-history store then run exactly as
they run after a DuckDB build. The Spark tables stay where Spark wrote them.

Spark's warehouse must be a local or mounted folder (`method: session`, or a cluster
whose warehouse this machine mounts).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import duckdb

from crm_value.dbt_env import PROJECT_DIR
from crm_value.publish import sql_text

# Besides the served schemas: the table the refresh reads the build's as_of_date from.
FACT_TABLES = {("intermediate", "int_analysis_date_resolved")}
TABLE_MATERIALIZATIONS = ("table", "incremental")


def warehouse_dir(environ: dict[str, str] | None = None) -> Path:
    """Spark's warehouse folder, as profiles/profiles.yml sets it (CRM_SPARK_WAREHOUSE, a
    relative path read from the project folder, where dbt runs)."""
    environ = os.environ if environ is None else environ
    return PROJECT_DIR / (environ.get("CRM_SPARK_WAREHOUSE") or "spark/warehouse")


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def tables_built(
    manifest: dict[str, Any], results: dict[str, Any] | None, schemas: tuple[str, ...]
) -> list[dict[str, Any]]:
    """The table models this build wrote in `schemas` (and FACT_TABLES), each once, by
    schema and name: the manifest's nodes whose result was a success."""
    succeeded = {
        result["unique_id"]
        for result in (results or {}).get("results", [])
        if result.get("status") == "success"
    }
    nodes = []
    for unique_id, node in manifest.get("nodes", {}).items():
        if node.get("resource_type") != "model" or unique_id not in succeeded:
            continue
        schema, name = node["schema"], node.get("alias") or node["name"]
        if node["config"].get("materialized") not in TABLE_MATERIALIZATIONS:
            continue
        if schema in schemas or (schema, name) in FACT_TABLES:
            nodes.append({**node, "_table": (schema, name)})
    return sorted(nodes, key=lambda node: node["_table"])


def copy_to_duckdb(
    warehouse: Path,
    manifest_path: Path,
    results: dict[str, Any] | None,
    out: Path,
    schemas: tuple[str, ...],
) -> list[str]:
    """Copy the tables this Spark build wrote (tables_built) from `warehouse` into a new
    DuckDB file `out`, with their descriptions as comments; returns them as schema.name.
    A table Spark reported built whose folder is missing is an error that names it."""
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    out.unlink(missing_ok=True)
    out.with_name(out.name + ".wal").unlink(missing_ok=True)
    copied = []
    with duckdb.connect(str(out)) as con:
        for node in tables_built(manifest, results, schemas):
            schema, name = node["_table"]
            folder = warehouse / f"{schema}.db" / name
            if not any(folder.glob("*.parquet")):
                raise RuntimeError(
                    f"Spark built {schema}.{name}, but {folder} holds no Parquet file: is "
                    "CRM_SPARK_WAREHOUSE the warehouse the build wrote (a local or mounted "
                    "folder)?"
                )
            con.execute(f"create schema if not exists {_ident(schema)}")
            table = f"{_ident(schema)}.{_ident(name)}"
            con.execute(
                f"create table {table} as select * from "
                f"read_parquet({sql_text(str(folder / '*.parquet'))})"
            )
            _describe(con, table, node)
            copied.append(f"{schema}.{name}")
        con.execute("checkpoint")
    return copied


def _describe(con: duckdb.DuckDBPyConnection, table: str, node: dict[str, Any]) -> None:
    """The descriptions a DuckDB build persists (persist_docs), from the manifest."""
    if node.get("description"):
        con.execute(f"comment on table {table} is {sql_text(node['description'])}")
    have = {
        row[0].lower(): row[0]
        for row in con.execute(f"select column_name from (describe {table})").fetchall()
    }
    for column in node.get("columns", {}).values():
        actual = have.get(column["name"].lower())
        if actual is not None and column.get("description"):
            con.execute(
                f"comment on column {table}.{_ident(actual)} is {sql_text(column['description'])}"
            )
