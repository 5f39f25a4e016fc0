"""A bad raw file stops the build with an error naming the file and the column.

Bad files are caught before anything builds (the on-run-start check), so no model runs.
A file that merely lacks an optional column, or an optional entity with only a header,
is not bad: it builds.
"""

from __future__ import annotations

import duckdb
import pytest
from conftest import RawFolder, run_dbt

RAW_LAYERS = ["--select", "path:models/staging", "path:models/audit", "path:seeds/reference"]


def assert_stopped(run, *fragments: str) -> None:
    assert run.returncode != 0, run.output[-3000:]
    assert "Bad raw input, nothing was built" in run.output, run.output[-3000:]
    for fragment in fragments:
        assert fragment in run.output, f"{fragment!r} not in:\n{run.output[-3000:]}"
    assert (
        not run.warehouse.exists()
        or not duckdb.connect(str(run.warehouse), read_only=True)
        .execute("select count(*) from information_schema.tables where table_schema = 'staging'")
        .fetchone()[0]
    )


def test_missing_required_column_names_file_and_column(raw: RawFolder, work):
    raw.drop_column("orders", "amount")
    run = run_dbt(["build", *RAW_LAYERS], work, raw_dir=raw.path)
    assert_stopped(run, f"{raw.path}/orders.csv", "entity orders", "required column 'amount'")


def test_missing_file_is_named(raw: RawFolder, work):
    (raw.path / "surveys.csv").unlink()
    run = run_dbt(["build", *RAW_LAYERS], work, raw_dir=raw.path)
    assert_stopped(run, f"{raw.path}/surveys.csv", "is missing")


def test_unreadable_file_is_named(raw: RawFolder, work):
    (raw.path / "customers.csv").write_bytes(b"\xff\xfe\x00\x01 not a csv \x00\x9f")
    run = run_dbt(["build", *RAW_LAYERS], work, raw_dir=raw.path)
    assert_stopped(run, f"{raw.path}/customers.csv", "cannot be read")


@pytest.mark.parametrize("entity", ["customers", "orders"])
def test_empty_customers_or_orders_file_stops_the_build(raw: RawFolder, work, entity):
    raw.write(entity, [])
    run = run_dbt(["build", *RAW_LAYERS], work, raw_dir=raw.path)
    assert_stopped(run, f"{raw.path}/{entity}.csv", "holds no rows")


def test_zero_byte_file_is_named_empty(raw: RawFolder, work):
    (raw.path / "receivables.csv").write_bytes(b"")
    run = run_dbt(["build", *RAW_LAYERS], work, raw_dir=raw.path)
    assert_stopped(run, f"{raw.path}/receivables.csv", "is empty (0 bytes): not even a header")


def test_unreadable_parquet_is_named(raw: RawFolder, work):
    to_parquet(raw)
    (raw.path / "orders.parquet").write_bytes(b"PAR1 this is not parquet")
    run = run_dbt(["build", *RAW_LAYERS], work, raw_dir=raw.path, raw_format="parquet")
    assert_stopped(run, f"{raw.path}/orders.parquet", "cannot be read")


def test_header_only_optional_entities_and_missing_optional_columns_build(raw, work):
    for entity in ("receivables", "service_tickets", "surveys"):
        raw.write(entity, [])
    raw.drop_column("orders", "channel")
    raw.drop_column("customers", "industry")
    run = run_dbt(["build", *RAW_LAYERS], work, raw_dir=raw.path)
    assert run.returncode == 0, run.output[-3000:]
    assert run.scalar("select count(*) from staging.stg_crm__orders where channel is null") == 10
    assert run.scalar("select count(*) from staging.stg_crm__receivables") == 0


def test_extra_columns_bom_and_column_order_do_not_matter(raw, work):
    rows = raw.rows("orders")
    header = ["note", *reversed(raw.header("orders"))]
    raw.write("orders", [{**r, "note": "ignored"} for r in rows], header)
    path = raw.path / "customers.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    run = run_dbt(["build", *RAW_LAYERS], work, raw_dir=raw.path)
    assert run.returncode == 0, run.output[-3000:]
    assert run.scalar("select count(*) from staging.stg_crm__orders") == 10
    assert run.scalar("select count(*) from staging.stg_crm__customers") == 6


def to_parquet(raw: RawFolder) -> None:
    """Write each CSV of the folder as Parquet with proper types, beside it."""
    with duckdb.connect() as con:
        for csv_path in raw.path.glob("*.csv"):
            con.execute(
                f"copy (select * from read_csv('{csv_path}', header = true)) "
                f"to '{csv_path.with_suffix('.parquet')}' (format parquet)"
            )


def test_parquet_input_gives_the_same_staging_rows_as_csv(raw, work, tmp_path):
    csv_run = run_dbt(["build", *RAW_LAYERS], work, raw_dir=raw.path)
    assert csv_run.returncode == 0, csv_run.output[-3000:]
    to_parquet(raw)
    for csv_path in raw.path.glob("*.csv"):
        csv_path.unlink()
    pq_work = tmp_path / "work_parquet"
    pq_work.mkdir()
    pq_run = run_dbt(["build", *RAW_LAYERS], pq_work, raw_dir=raw.path, raw_format="parquet")
    assert pq_run.returncode == 0, pq_run.output[-3000:]
    for entity, key in [
        ("customers", "customer_id"),
        ("orders", "order_id"),
        ("receivables", "invoice_id"),
        ("service_tickets", "ticket_id"),
        ("surveys", "response_id"),
    ]:
        sql = f"select * from staging.stg_crm__{entity} order by {key}"
        assert csv_run.query(sql) == pq_run.query(sql), entity
        counts = (
            "select * exclude (invocation_id, checked_at) "
            "from audit.crm_row_reconciliation order by entity"
        )
        assert csv_run.query(counts) == pq_run.query(counts)
