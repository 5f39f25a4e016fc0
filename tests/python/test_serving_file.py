"""What a BI reader finds in the demo release: every table, view and column described, no
empty schema, a guide in the schema it opens first, and the docs site beside the file."""

from __future__ import annotations

import duckdb

from crm_value.publish import DOCS_PAGE, SERVING_FILE


def _read(demo_serve, sql: str) -> list[tuple]:
    with duckdb.connect(str(demo_serve / "current" / SERVING_FILE), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_every_table_view_and_column_of_the_serving_file_is_described(demo_serve):
    undescribed = _read(
        demo_serve,
        "select schema_name || '.' || table_name from duckdb_tables() "
        "where database_name = current_database() and coalesce(comment, '') = '' "
        "union all select schema_name || '.' || view_name from duckdb_views() "
        "where database_name = current_database() and not internal "
        "and coalesce(comment, '') = '' "
        "union all select schema_name || '.' || table_name || '.' || column_name "
        "from duckdb_columns() where database_name = current_database() "
        "and schema_name not in ('information_schema', 'pg_catalog') "
        "and coalesce(comment, '') = ''",
    )
    assert undescribed == []
    described = _read(
        demo_serve,
        "select count(*) from duckdb_columns() where database_name = current_database() "
        "and schema_name = 'ops' and comment is not null",
    )
    assert described[0][0] > 40  # the release's columns and the run history's


def test_no_schema_is_empty_and_the_guide_lists_every_table_and_view(demo_serve):
    empty = _read(
        demo_serve,
        "select s.schema_name from duckdb_schemas() as s "
        "where s.database_name = current_database() and not s.internal "
        "and s.schema_name not in (select schema_name from duckdb_tables() "
        "where database_name = current_database() union all select schema_name "
        "from duckdb_views() where database_name = current_database() and not internal)",
    )
    assert empty == []
    listed = _read(
        demo_serve,
        "select schema_name, table_name from main.served_tables "
        "where table_name <> 'served_tables' order by all",
    )
    present = _read(
        demo_serve,
        "select schema_name, table_name from duckdb_tables() "
        "where database_name = current_database() and table_name <> 'served_tables' "
        "union all select schema_name, view_name from duckdb_views() "
        "where database_name = current_database() and not internal order by all",
    )
    assert listed == present
    assert ("marts", "dim_customers") in listed
    assert ("ops", "run_history") in listed


def test_the_release_carries_the_docs_site_of_its_build(demo_serve):
    page = (demo_serve / "current" / DOCS_PAGE).read_text(encoding="utf-8")
    # dbt's static page holds the manifest and the catalog: the marts and their columns.
    for name in ("model.crm_value.dim_customers", "fct_key_customers_at_risk", "rfm8_segment"):
        assert name in page
