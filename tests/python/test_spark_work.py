"""What a refresh on Spark reads of its build (crm_value.spark_work), without Spark: a
warehouse laid out as Spark lays it out (`<schema>.db/<table>/part-*.parquet`), with the
manifest and run results dbt writes. The whole refresh on Spark is in test_spark.py."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from crm_value.dbt_env import PROJECT_DIR
from crm_value.spark_work import copy_to_duckdb, warehouse_dir


def _node(schema: str, name: str, materialized: str = "table", **extra) -> dict:
    return {
        "resource_type": "model",
        "schema": schema,
        "name": name,
        "alias": name,
        "config": {"materialized": materialized},
        "description": "",
        "columns": {},
        **extra,
    }


def _spark_table(warehouse: Path, schema: str, name: str, sql: str) -> None:
    folder = warehouse / f"{schema}.db" / name
    folder.mkdir(parents=True)
    (folder / "_SUCCESS").touch()
    with duckdb.connect() as con:
        con.execute(f"copy ({sql}) to '{folder / 'part-00000.parquet'}' (format parquet)")


@pytest.fixture
def built(tmp_path) -> tuple[Path, Path, dict]:
    warehouse = tmp_path / "warehouse"
    _spark_table(warehouse, "marts", "dim_customers", "select 'C1' as customer_id, 2.5 as clv")
    _spark_table(warehouse, "marts", "fct_failed", "select 1 as x")
    _spark_table(warehouse, "audit", "rejected_orders", "select 'O1' as order_id where false")
    _spark_table(warehouse, "intermediate", "int_other", "select 1 as x")
    _spark_table(
        warehouse, "intermediate", "int_analysis_date_resolved", "select date '2025-12-28' as d"
    )
    nodes = {
        "model.crm_value.dim_customers": _node(
            "marts",
            "dim_customers",
            description="One row per customer.",
            columns={
                "customer_id": {"name": "customer_id", "description": "The customer's id."},
                "gone": {"name": "gone", "description": "Not in the table."},
            },
        ),
        "model.crm_value.fct_failed": _node("marts", "fct_failed"),
        "model.crm_value.rejected_orders": _node("audit", "rejected_orders", "incremental"),
        "model.crm_value.int_other": _node("intermediate", "int_other"),
        "model.crm_value.int_analysis_date_resolved": _node(
            "intermediate", "int_analysis_date_resolved"
        ),
        "model.crm_value.stg_view": _node("marts", "stg_view", "view"),
    }
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"nodes": nodes}), encoding="utf-8")
    results = {
        "results": [
            {"unique_id": unique_id, "status": "error" if "failed" in unique_id else "success"}
            for unique_id in nodes
        ]
    }
    return warehouse, manifest, results


def test_the_served_tables_this_build_wrote_are_copied_with_their_descriptions(built, tmp_path):
    warehouse, manifest, results = built
    out = tmp_path / "copy.duckdb"
    copied = copy_to_duckdb(warehouse, manifest, results, out, ("marts", "audit"))
    # a failed model, a view and an intermediate table the refresh does not read are not
    assert copied == [
        "audit.rejected_orders",
        "intermediate.int_analysis_date_resolved",
        "marts.dim_customers",
    ]
    with duckdb.connect(str(out), read_only=True) as con:
        assert con.execute("select * from marts.dim_customers").fetchall() == [("C1", 2.5)]
        assert con.execute("select count(*) from audit.rejected_orders").fetchall() == [(0,)]
        comments = con.execute(
            "select comment from duckdb_tables() where table_name = 'dim_customers' union all "
            "select column_name || ': ' || comment from duckdb_columns() "
            "where table_name = 'dim_customers' and comment is not null"
        ).fetchall()
    assert comments == [("One row per customer.",), ("customer_id: The customer's id.",)]


def test_a_table_spark_reported_built_without_its_files_is_named(built, tmp_path):
    warehouse, manifest, results = built
    for part in (warehouse / "marts.db" / "dim_customers").iterdir():
        part.unlink()
    with pytest.raises(RuntimeError, match=r"Spark built marts\.dim_customers, but .* holds no"):
        copy_to_duckdb(warehouse, manifest, results, tmp_path / "copy.duckdb", ("marts",))


def test_spark_s_warehouse_is_the_profile_s(monkeypatch):
    assert warehouse_dir({}) == PROJECT_DIR / "spark" / "warehouse"
    assert warehouse_dir({"CRM_SPARK_WAREHOUSE": "/data/wh"}) == Path("/data/wh")
    assert warehouse_dir({"CRM_SPARK_WAREHOUSE": "wh"}) == PROJECT_DIR / "wh"
