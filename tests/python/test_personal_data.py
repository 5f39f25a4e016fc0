"""Personal data stays where it belongs: the BI serving file and its Parquet carry no
email, phone number or name, the restricted file holds them and only its owner can open
it, and a publish that would leak one is refused.

The scan here is written apart from the publish's guard (crm_value.publish): Python's
`re`, its own patterns, every text value of every table and view (the tier history and
the run history included) and of every Parquet file, not only the columns the policy
names."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import stat
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from crm_value.publish import (
    DOCS_PAGE,
    EMAIL_PATTERN,
    PHONE_PATTERN,
    RESTRICTED_DIR,
    RESTRICTED_FILE,
    SERVING_FILE,
    PersonalDataLeak,
    publish,
)

EMAIL = re.compile(r"[\w.+%-]+@[\w-]+(\.[\w-]+)*\.[A-Za-z]{2,}")
# + country code; an 11-digit mainland mobile; a landline with its area code; three digit
# groups; never inside a code.
PHONE = re.compile(
    r"(?<![\w+])(\+\d[\d ().-]{6,}\d|1[3-9]\d{9}|0[1-9]\d{1,2}-\d{7,8}|\(0?\d{2,3}\) ?\d{7,8}"
    r"|\(\d{3}\)\d{3}-\d{4}|\(?\d{2,4}\)?[ .-]\d{3,4}[ .-]\d{4})(?!\w)"
)


def _hits(where: str, values) -> list[str]:
    found = []
    for value in values:
        if isinstance(value, str) and (EMAIL.search(value) or PHONE.search(value)):
            found.append(f"{where}: {value!r}")
    return found


def scan_database(path: Path) -> list[str]:
    """Every text value of every table and view in the DuckDB file that looks like an
    email or a phone number, as `schema.table.column: value`."""
    found = []
    with duckdb.connect(str(path), read_only=True) as con:
        columns = con.execute(
            "select schema_name, table_name, column_name from duckdb_columns() "
            "where database_name = current_database() and data_type = 'VARCHAR' "
            "and schema_name not in ('information_schema', 'pg_catalog')"
        ).fetchall()
        for schema, table, column in columns:
            values = con.execute(f'select distinct "{column}" from "{schema}"."{table}"').fetchall()
            found += _hits(f"{schema}.{table}.{column}", (v for (v,) in values))
    return found


def scan_parquet(folder: Path) -> list[str]:
    found = []
    for file in sorted(folder.rglob("*.parquet")):
        table = pq.read_table(file)
        for name, column in zip(table.column_names, table.columns, strict=True):
            if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
                found += _hits(f"{file}:{name}", set(column.to_pylist()))
    return found


def test_the_published_files_carry_no_email_or_phone_and_the_restricted_file_does(demo_serve):
    release = (demo_serve / "current").resolve()
    assert scan_database(release / SERVING_FILE) == []
    assert scan_parquet(release / "parquet") == []
    with duckdb.connect(str(release / SERVING_FILE), read_only=True) as con:
        personal = con.execute(
            "select schema_name || '.' || table_name || '.' || column_name from duckdb_columns() "
            "where column_name in ('customer_name', 'email', 'phone')"
        ).fetchall()
    assert personal == []
    # The same scan finds the demo's contacts where they belong: it is not blind.
    restricted = scan_database(release / RESTRICTED_DIR / RESTRICTED_FILE)
    assert any(hit.startswith("restricted.customer_contacts.email:") for hit in restricted)
    assert any(hit.startswith("restricted.customer_contacts.phone:") for hit in restricted)
    assert any(hit.startswith("audit.rejected_customers.email:") for hit in restricted)


def test_only_the_owner_can_open_the_restricted_file_and_everyone_the_bi_file(demo_serve):
    release = (demo_serve / "current").resolve()
    folder, secret = release / RESTRICTED_DIR, release / RESTRICTED_DIR / RESTRICTED_FILE
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert stat.S_IMODE((release / SERVING_FILE).stat().st_mode) & 0o044 == 0o044
    assert (release / DOCS_PAGE).stat().st_size > 100_000  # dbt's page, manifest inside


def test_the_scan_finds_a_leaked_email_and_phone(tmp_path):
    """The check above can fail: a file and a Parquet export that leak."""
    leaky = tmp_path / "leaky.duckdb"
    with duckdb.connect(str(leaky)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.dim_customers as select * from (values "
            "('C1', '深圳市'), ('C2', 'write to li.lei@example.com'), ('C3', '+86 755 1234 5678'))"
            " as t(customer_id, city)"
        )
        con.execute(f"copy marts.dim_customers to '{tmp_path / 'dim_customers.parquet'}'")
    assert sorted(scan_database(leaky)) == [
        "marts.dim_customers.city: '+86 755 1234 5678'",
        "marts.dim_customers.city: 'write to li.lei@example.com'",
    ]
    assert len(scan_parquet(tmp_path)) == 2


def _publish_copy(published: Path, tmp_path: Path, change: str) -> tuple[Path, Path]:
    """The `published` fixture's work database, copied and changed by the SQL `change`,
    published into a new serving folder; returns (work copy, serving folder)."""
    work = tmp_path / "work.duckdb"
    shutil.copy(published.parent / "work.duckdb", work)
    with duckdb.connect(str(work)) as con:
        con.execute(change)
    serve = tmp_path / "serve"
    serve.mkdir()
    duckdb.execute(
        "copy (select 'r' as run_id, 'stopped: call 13912345678' as failure_reason) "
        f"to '{serve / 'run_history.parquet'}'"
    )
    publish(work, serve, "r1", META, _built(work), say=lambda _: None)
    return work, serve


META = {"run_id": "r", "as_of_date": dt.date(2025, 7, 1), "raw_input": "-", "dbt_vars": ""}


def _built(work: Path) -> set[str]:
    with duckdb.connect(str(work), read_only=True) as con:
        return {
            name
            for (name,) in con.execute(
                "select table_name from duckdb_tables() "
                "where schema_name in ('marts', 'audit', 'restricted')"
            ).fetchall()
        }


def test_a_publish_that_would_leak_an_email_is_refused(published, tmp_path):
    change = "update marts.dim_customers set city = 'li.lei@example.com' where customer_id = 'C002'"
    with pytest.raises(PersonalDataLeak) as refused:
        _publish_copy(published, tmp_path, change)
    message = str(refused.value)
    assert "marts.dim_customers.city: 1 value(s) look like an email (customer_id C002)" in message
    assert "nothing was published" in message
    assert not (tmp_path / "serve" / "current").exists()
    assert list((tmp_path / "serve" / "releases").iterdir()) == []


def test_the_rejected_rows_are_masked_for_bi_and_kept_whole_in_the_restricted_file(
    published, tmp_path
):
    raw_region = "call 138-1234-5678, 13912345678 or zhang.wei@example.cn"
    change = (
        "insert into audit.rejected_customers (customer_id, customer_name, region, email, "
        "phone, reject_reasons) values ('C9', '张伟', "
        f"'{raw_region}', 'zhang.wei@example.cn', '+86 138 0000 0009', 'invalid_customer_type')"
    )
    _, serve = _publish_copy(published, tmp_path, change)
    release = serve / "current"
    with duckdb.connect(str(release / SERVING_FILE), read_only=True) as con:
        served = con.execute(
            "select * from audit.rejected_customers where customer_id = 'C9'"
        ).fetchall()
        columns = [d[0] for d in con.description]
    row = dict(zip(columns, served[0], strict=True))
    assert row["region"] == "call <phone>, <phone> or <email>"
    assert {"customer_name", "email", "phone"}.isdisjoint(columns)
    assert scan_database(release / SERVING_FILE) == []
    with duckdb.connect(str(release / RESTRICTED_DIR / RESTRICTED_FILE), read_only=True) as con:
        kept = con.execute(
            "select customer_name, region, email, phone from audit.rejected_customers "
            "where customer_id = 'C9'"
        ).fetchall()
    assert kept == [("张伟", raw_region, "zhang.wei@example.cn", "+86 138 0000 0009")]
    with duckdb.connect(str(release / SERVING_FILE), read_only=True) as con:
        reasons = con.execute("select failure_reason from ops.run_history").fetchall()
    assert reasons == [("stopped: call <phone>",)]


def test_a_release_from_before_the_policy_is_not_the_next_ones_starting_point(published, tmp_path):
    """Its dropped columns' bytes could survive in a copy: the next release is written
    from nothing."""
    work, serve = _publish_copy(published, tmp_path, "select 1")
    old = (serve / "current").resolve() / SERVING_FILE
    with duckdb.connect(str(old)) as con:
        con.execute("alter table marts.dim_customers add column email varchar")
        con.execute("update marts.dim_customers set email = 'li.lei@example.com'")
    said: list[str] = []
    release, _ = publish(work, serve, "r2", META, _built(work), say=said.append)
    assert any("it holds personal data" in line for line in said), said
    assert scan_database(release / SERVING_FILE) == []


EXAMPLES = {
    # what looks like an email or a phone number
    "li.lei@example.com": True,
    "write to zhang_wei+crm@mail.example.cn today": True,
    "13812345678": True,
    "+86 138 1234 5678": True,
    "010-12345678": True,
    "0755-1234567": True,
    "(010) 12345678": True,
    "(555)123-4567": True,
    "555-123-4567": True,
    "call 138-1234-5678 now": True,
    # what does not
    "2025-12-28": False,
    "2025-12-28 10:00:00": False,
    "2025-12-28T10:00:00+08:00": False,
    "-79.96": False,
    "1234567.89": False,
    "C0000001": False,
    "O00012345678": False,
    "A13812345678": False,
    "深圳市": False,
    "x@y": False,
}


@pytest.mark.parametrize(("value", "personal"), EXAMPLES.items())
def test_the_publish_patterns_tell_contacts_from_dates_amounts_and_codes(value, personal):
    found = duckdb.execute(
        "select regexp_matches(?, ?) or regexp_matches(?, ?)",
        [value, EMAIL_PATTERN, value, PHONE_PATTERN],
    ).fetchall()[0][0]
    assert found is personal
    # and the test's own scan agrees
    assert bool(_hits("x", [value])) is personal
