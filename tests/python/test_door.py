"""The expectations at the door (crm_value.door), without dbt.

Each test copies the clean fixture folder, makes one stated change and asserts the exact
failure line the door writes (or the BadRawFile message), so every guard is shown to
trip on what it exists to catch and to stay quiet on the clean files.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from conftest import CLEAN, RawFolder

from crm_value.contract import ENTITIES
from crm_value.door import BadRawFile, DoorResult, run_expectations
from crm_value.inputs import RawInput
from crm_value.settings import parse_vars, project_vars

CLOCK = dt.datetime(2025, 7, 2)
AS_OF = {"as_of_date": "2025-07-01"}
SUITES = ["customers", "customer_files", "orders"]


def door(
    folder: Path,
    out_dir: Path,
    overrides: dict | None = None,
    raw_format: str = "csv",
    clock: dt.datetime = CLOCK,
) -> DoorResult:
    """Run the door on `folder` with the fixture's as_of_date (unless overridden) and check
    that the JSON report it wrote parses and agrees with the result."""
    dbt_vars = project_vars({**AS_OF, **(overrides or {})})
    result = run_expectations(RawInput(folder, raw_format), dbt_vars, clock, out_dir)
    report = json.loads(result.json_path.read_text(encoding="utf-8"))
    assert report["success"] is result.success
    assert report["failures"] == result.failures
    assert [suite["name"] for suite in report["suites"]] == SUITES
    return result


def change(raw: RawFolder, entity: str, key: str, ids: set[str], **values: str) -> None:
    """Set `values` on the rows of `entity` whose `key` is in `ids`."""
    raw.write(entity, [{**r, **values} if r[key] in ids else r for r in raw.rows(entity)])


def report_of(result: DoorResult) -> dict:
    """The JSON report a door run wrote."""
    return json.loads(result.json_path.read_text(encoding="utf-8"))


def test_clean_fixture_passes_and_writes_both_reports(tmp_path: Path):
    folder = tmp_path / "raw <&> export"
    shutil.copytree(CLEAN, folder)
    result = door(folder, tmp_path / "door")
    assert result.success, result.failures
    assert result.failures == []
    assert result.as_of_date == dt.date(2025, 7, 1)
    report = report_of(result)
    assert report["as_of_date_source"] == "var as_of_date"
    assert report["input"] == f"{folder} (csv)"
    assert report["bounds"]["min_profile_completeness"] == 0.75
    assert report["bounds"]["rejected_share_bound"] == {"customers": 0.05, "orders": 0.05}
    assert set(report["gx_results"]) == set(SUITES)
    for gx_result in report["gx_results"].values():
        # the whole-frame fingerprint GX would take of each batch is switched off
        assert "pandas_data_fingerprint" not in gx_result["meta"]["batch_markers"]
    page = result.html_path.read_text(encoding="utf-8")
    for suite in SUITES:
        assert f"<h2>{suite}:" in page
    assert "raw &lt;&amp;&gt; export" in page
    assert "<&>" not in page
    assert "http" not in page  # self-contained: nothing fetched from anywhere


def test_completeness_drop_fails_naming_the_field_and_its_var(raw: RawFolder, tmp_path: Path):
    change(raw, "customers", "customer_id", {"C001", "C002", "C003"}, city="")
    result = door(raw.path, tmp_path / "door")
    assert not result.success
    assert (
        "customer_files: city filled in 50.0% of 6 customer files (3 not), "
        "at least 75.0% required (min_profile_completeness)"
    ) in result.failures
    assert (
        "customer_files: every profile field filled in 50.0% of 6 customer files (3 not), "
        "at least 75.0% required (profile_fields, min_profile_completeness)"
    ) in result.failures
    assert len(result.failures) == 2


def test_lowering_min_profile_completeness_lets_the_same_files_pass(raw: RawFolder, tmp_path: Path):
    change(raw, "customers", "customer_id", {"C001", "C002", "C003"}, city="")
    result = door(raw.path, tmp_path / "door", {"min_profile_completeness": 0.5})
    assert result.success, result.failures
    report = report_of(result)
    assert report["bounds"]["min_profile_completeness"] == 0.5
    files = next(s for s in report["suites"] if s["name"] == "customer_files")
    city = next(e for e in files["expectations"] if e["column"] == "city")
    assert (city["mostly"], city["unexpected_count"], city["success"]) == (0.5, 3, True)


def test_industry_is_only_expected_of_business_customers(raw: RawFolder, tmp_path: Path):
    change(raw, "customers", "customer_id", {"C002"}, industry="")
    result = door(raw.path, tmp_path / "door")
    assert (
        "customer_files: industry filled in 50.0% of 2 business customer files (1 not), "
        "at least 75.0% required (min_profile_completeness)"
    ) in result.failures


def test_stale_files_fail_timeliness_naming_updated_at(raw: RawFolder, tmp_path: Path):
    # C003 is already stale (2024-03-15); three more files last updated in mid 2023.
    change(
        raw, "customers", "customer_id", {"C001", "C002", "C005"}, updated_at="2023-06-01 00:00:00"
    )
    result = door(raw.path, tmp_path / "door")
    assert result.failures == [
        "customer_files: updated_at on or after 2024-07-01 in 33.3% of 6 customer files "
        "(4 not), at least 70.0% required (profile_max_age_days, min_profile_timeliness)"
    ]


def test_invalid_status_on_many_orders_fails_naming_status(raw: RawFolder, tmp_path: Path):
    change(raw, "orders", "order_id", {"O001", "O002", "O003", "O004", "O005"}, status="shipped")
    result = door(raw.path, tmp_path / "door")
    assert result.failures == [
        "orders: status in {completed, cancelled, returned} in 50.0% of 10 order rows (5 not), "
        "at least 95.0% required (max_rejected_share)"
    ]


def test_a_per_entity_override_sets_the_rejected_share_bound(raw: RawFolder, tmp_path: Path):
    change(raw, "orders", "order_id", {"O001", "O002", "O003", "O004", "O005"}, status="shipped")
    overrides = {"max_rejected_share_by_entity": {"orders": 0.4}}
    result = door(raw.path, tmp_path / "door", overrides)
    assert result.failures == [
        "orders: status in {completed, cancelled, returned} in 50.0% of 10 order rows (5 not), "
        "at least 60.0% required (max_rejected_share_by_entity.orders)"
    ]


def test_conflicting_duplicate_order_id_fails_uniqueness(raw: RawFolder, tmp_path: Path):
    first = raw.rows("orders")[0]
    raw.append("orders", {**first, "amount": "200.00"})
    result = door(raw.path, tmp_path / "door")
    assert result.failures == [
        "orders: order_id unique in 81.8% of 11 order rows (2 not), "
        "at least 95.0% required (max_rejected_share)"
    ]


def test_in_a_folder_a_later_file_may_repeat_an_order_but_one_file_may_not(
    raw: RawFolder, tmp_path: Path
):
    """Increments: a later file's row for an order replaces the earlier one (a status
    change), so the door judges uniqueness within each file, as dbt does."""
    folder = raw.path / "orders"
    folder.mkdir()
    (raw.path / "orders.csv").rename(folder / "0001.csv")
    first = RawFolder(folder)
    rows = first.rows("0001")
    returned = [{**row, "status": "returned"} for row in rows[:5]]
    first.write("0002", returned, first.header("0001"))
    result = door(raw.path, tmp_path / "door")
    assert result.success, result.failures  # half the orders changed status: no conflict
    first.write("0002", [*returned, {**returned[0], "amount": "1.00"}], first.header("0001"))
    result = door(raw.path, tmp_path / "again")
    assert result.failures == [
        "orders: order_id unique within each file in 87.5% of 16 order rows (2 not), "
        "at least 95.0% required (max_rejected_share)"
    ]


def test_exact_duplicate_rows_are_collapsed_not_conflicts(raw: RawFolder, tmp_path: Path):
    raw.append("orders", raw.rows("orders")[0])
    raw.append("customers", raw.rows("customers")[0])
    result = door(raw.path, tmp_path / "door")
    assert result.success, result.failures
    assert (result.input_rows["orders"], result.input_rows["customers"]) == (11, 7)
    rows = {s["name"]: s["rows"] for s in report_of(result)["suites"]}
    assert rows == {"customers": 6, "customer_files": 6, "orders": 10}


def test_customer_versions_tying_on_the_latest_updated_at_conflict(raw: RawFolder, tmp_path: Path):
    first = raw.rows("customers")[0]
    raw.append("customers", {**first, "city": "广州市"})
    result = door(raw.path, tmp_path / "door")
    assert result.failures == [
        "customers: customer_id, updated_at unique in 71.4% of 7 latest-version customer rows "
        "(2 not), at least 95.0% required (max_rejected_share)"
    ]


def test_an_older_customer_version_is_no_conflict(raw: RawFolder, tmp_path: Path):
    first = raw.rows("customers")[0]
    raw.append("customers", {**first, "city": "广州市", "updated_at": "2024-01-01 00:00:00"})
    result = door(raw.path, tmp_path / "door")
    assert result.success, result.failures


def test_updated_before_created_fails(raw: RawFolder, tmp_path: Path):
    change(raw, "customers", "customer_id", {"C006"}, updated_at="2025-04-01 08:00:00")
    result = door(raw.path, tmp_path / "door")
    assert result.failures == [
        "customers: updated_at not before created_at in 83.3% of 6 customer rows (1 not), "
        "at least 95.0% required (max_rejected_share)"
    ]


def test_negative_amount_fails(raw: RawFolder, tmp_path: Path):
    change(raw, "orders", "order_id", {"O008"}, amount="-45.00")
    result = door(raw.path, tmp_path / "door")
    assert result.failures == [
        "orders: amount at least 0 in 90.0% of 10 order rows (1 not), "
        "at least 95.0% required (max_rejected_share)"
    ]


def test_an_unparseable_value_reads_as_missing(raw: RawFolder, tmp_path: Path):
    change(raw, "orders", "order_id", {"O008"}, amount="1_000")
    result = door(raw.path, tmp_path / "door")
    assert result.failures == [
        "orders: amount present and parseable in 90.0% of 10 order rows (1 not), "
        "at least 95.0% required (max_rejected_share)"
    ]


def test_a_utc_offset_is_converted_before_the_future_check(raw: RawFolder, tmp_path: Path):
    # The limit is the clock plus one day: 2025-07-03 00:00 UTC. 07:00+08:00 is 23:00 UTC
    # the day before, so only the Z order, an hour past the limit, is in the future.
    template = raw.rows("orders")[0]
    raw.append(
        "orders",
        {**template, "order_id": "O011", "ordered_at": "2025-07-03 07:00:00+08:00"},
        {**template, "order_id": "O012", "ordered_at": "2025-07-03T01:00:00Z"},
    )
    result = door(raw.path, tmp_path / "door")
    assert result.failures == [
        "orders: ordered_at not after 2025-07-03 00:00:00 in 91.7% of 12 order rows (1 not), "
        "at least 95.0% required (future_tolerance_days, max_rejected_share)"
    ]


def test_as_of_date_is_estimated_from_completed_orders(raw: RawFolder, tmp_path: Path):
    template = raw.rows("orders")[0]
    raw.append(
        "orders",
        # neither moves the estimate: one is cancelled, the other is in the future
        {
            **template,
            "order_id": "O011",
            "ordered_at": "2025-07-01 10:00:00",
            "status": "cancelled",
        },
        {**template, "order_id": "O012", "ordered_at": "2030-01-01 10:00:00"},
    )
    result = door(raw.path, tmp_path / "door", {"as_of_date": None})
    assert result.as_of_date == dt.date(2025, 7, 1)  # the day after O010, 2025-06-30
    assert report_of(result)["as_of_date_source"].startswith("estimated at the door")


def test_as_of_date_var_may_be_a_yaml_date(raw: RawFolder, tmp_path: Path):
    result = door(raw.path, tmp_path / "door", parse_vars("{as_of_date: 2025-07-01}"))
    assert result.success, result.failures
    assert report_of(result)["bounds"]["as_of_date"] == "2025-07-01"


def test_absent_optional_columns_read_as_null(raw: RawFolder, tmp_path: Path):
    for column in ("quantity", "cost", "channel"):
        raw.drop_column("orders", column)
    raw.drop_column("customers", "acquisition_channel")
    result = door(raw.path, tmp_path / "door")
    assert result.success, result.failures
    orders = next(s for s in report_of(result)["suites"] if s["name"] == "orders")
    cost = next(e for e in orders["expectations"] if e["column"] == "cost")
    assert (cost["element_count"], cost["missing_count"]) == (10, 10)


def test_missing_required_column_raises_naming_file_and_column(raw: RawFolder, tmp_path: Path):
    raw.drop_column("orders", "amount")
    with pytest.raises(BadRawFile) as caught:
        door(raw.path, tmp_path / "door")
    assert caught.value.problems == [
        f"raw file {raw.path}/orders.csv (entity orders) lacks required column 'amount'"
    ]
    assert not (tmp_path / "door").exists()


def test_missing_file_raises(raw: RawFolder, tmp_path: Path):
    (raw.path / "surveys.csv").unlink()
    with pytest.raises(BadRawFile) as caught:
        door(raw.path, tmp_path / "door")
    assert caught.value.problems == [f"raw file {raw.path}/surveys.csv (entity surveys) is missing"]


def test_unreadable_file_raises(raw: RawFolder, tmp_path: Path):
    (raw.path / "customers.csv").write_bytes(b"\xff\xfe\x00\x01 not a csv \x00\x9f")
    with pytest.raises(BadRawFile) as caught:
        door(raw.path, tmp_path / "door")
    [problem] = caught.value.problems
    assert problem.startswith(
        f"raw file {raw.path}/customers.csv (entity customers) cannot be read: "
    )


@pytest.mark.parametrize("entity", ["customers", "orders"])
def test_empty_customers_or_orders_file_raises(raw: RawFolder, tmp_path: Path, entity: str):
    raw.write(entity, [])
    with pytest.raises(BadRawFile) as caught:
        door(raw.path, tmp_path / "door")
    assert caught.value.problems == [
        f"raw file {raw.path}/{entity}.csv (entity {entity}) holds no rows; "
        f"{entity} must not be empty"
    ]


def test_every_bad_file_is_listed_at_once(raw: RawFolder, tmp_path: Path):
    raw.drop_column("customers", "updated_at")
    (raw.path / "receivables.csv").unlink()
    (raw.path / "service_tickets.csv").write_bytes(b"")
    with pytest.raises(BadRawFile) as caught:
        door(raw.path, tmp_path / "door")
    message = str(caught.value)
    assert f"raw file {raw.path}/customers.csv (entity customers) lacks required column " in message
    assert "'updated_at'" in message
    assert f"raw file {raw.path}/receivables.csv (entity receivables) is missing" in message
    assert "(entity service_tickets) is empty (0 bytes): not even a header row" in message


def test_parquet_gives_the_same_result_as_csv(raw: RawFolder, tmp_path: Path):
    change(raw, "customers", "customer_id", {"C001", "C002", "C003"}, city="")
    parquet = tmp_path / "parquet"
    parquet.mkdir()
    with duckdb.connect() as con:
        for entity in ENTITIES:
            # typed columns (timestamps, doubles, bigints), as an export would write them
            con.execute(
                f"copy (select * from read_csv('{raw.path}/{entity}.csv', header = true)) "
                f"to '{parquet}/{entity}.parquet' (format parquet)"
            )
        assert con.execute(
            f"select column_type from (describe select * from '{parquet}/orders.parquet') "
            "where column_name = 'ordered_at'"
        ).fetchone() == ("TIMESTAMP",)
    from_csv = door(raw.path, tmp_path / "csv_door")
    from_parquet = door(parquet, tmp_path / "parquet_door", raw_format="parquet")
    assert from_parquet.failures == from_csv.failures
    assert len(from_csv.failures) == 2
    assert from_parquet.input_rows == from_csv.input_rows
    assert report_of(from_parquet)["suites"] == report_of(from_csv)["suites"]


def test_demo_seeds_pass_with_default_vars(tmp_path: Path):
    dbt_vars = project_vars()
    result = run_expectations(RawInput(None), dbt_vars, dt.datetime(2026, 1, 2), tmp_path)
    assert result.success, result.failures
    assert result.as_of_date == dt.date(2025, 12, 28)  # the date dbt resolves on the demo
    assert report_of(result)["input"] == "demo seeds"


def test_input_rows_are_the_line_counts_of_the_files(raw: RawFolder, tmp_path: Path):
    raw.append("orders", raw.rows("orders")[3])
    result = door(raw.path, tmp_path / "door")
    lines = {
        entity: len((raw.path / f"{entity}.csv").read_text(encoding="utf-8").splitlines()) - 1
        for entity in ENTITIES
    }
    assert result.input_rows == lines
    assert lines["orders"] == 11


def test_a_folder_is_judged_one_delivery_at_a_time(raw: RawFolder, tmp_path: Path):
    """With a ledger, a door reads only the files of a folder that no earlier door passed
    (or that changed since): a bad delivery is judged on its own rows, where the whole
    history would dilute it below the bound. Without a ledger, or under another bound,
    every file is read."""
    folder = raw.path / "orders"
    folder.mkdir()
    orders = RawFolder(folder)
    template = raw.rows("orders")
    header = raw.header("orders")
    (raw.path / "orders.csv").unlink()
    history = [
        {**row, "order_id": f"{row['order_id']}-{copy}"} for copy in range(5) for row in template
    ]
    orders.write("0001", history, header)
    ledger = tmp_path / "door_ledger.json"
    clock = dt.datetime(2025, 7, 2)

    def judge(out: str, overrides: dict | None = None, with_ledger: bool = True) -> DoorResult:
        dbt_vars = project_vars(overrides or {})
        return run_expectations(
            RawInput(raw.path), dbt_vars, clock, tmp_path / out, ledger if with_ledger else None
        )

    first = judge("first")
    assert first.success, first.failures
    assert first.already_judged == {}
    saved = json.loads(ledger.read_text(encoding="utf-8"))["files"]["orders"]
    assert {Path(p).name: e["rows"] for p, e in saved.items()} == {"0001.csv": 50}
    assert first.as_of_date == dt.date(2025, 7, 1)  # estimated: the day after 2025-06-30

    # A day of two orders, one with a negative amount: half the delivery is bad.
    new = [{**template[0], "order_id": "N1"}, {**template[1], "order_id": "N2", "amount": "-5"}]
    orders.write("0002", new, header)
    second = judge("second")
    assert second.failures == [
        "orders: amount at least 0 in 50.0% of 2 order rows (1 not), "
        "at least 95.0% required (max_rejected_share)"
    ]
    report = report_of(second)
    (suite,) = [s for s in report["suites"] if s["name"] == "orders"]
    assert suite["rows"] == 2
    assert suite["scope"] == (
        "new files only: 1 read, 1 judged by an earlier door and not read again"
    )
    assert report["already_judged"] == {"orders": {"files": 1, "raw_rows": 50}}
    assert second.input_rows["orders"] == 52  # every file counts, read now or before
    # the estimate still sees the judged file's latest completed order
    assert second.as_of_date == dt.date(2025, 7, 1)
    assert "0002.csv" not in ledger.read_text(encoding="utf-8")  # a failed door records nothing
    # The whole folder at once dilutes the bad row to 1 of 52: it would pass.
    assert judge("whole", with_ledger=False).success

    orders.write("0002", [new[0], {**new[1], "amount": "5"}], header)
    third = judge("third")
    assert third.success, third.failures
    saved = json.loads(ledger.read_text(encoding="utf-8"))["files"]["orders"]
    assert {Path(p).name: e["rows"] for p, e in saved.items()} == {"0001.csv": 50, "0002.csv": 2}

    # A day without orders (a file with only its header) has nothing to judge.
    orders.write("0003", [], header)
    quiet = judge("quiet")
    assert quiet.success, quiet.failures
    (suite,) = [s for s in report_of(quiet)["suites"] if s["name"] == "orders"]
    assert (suite["rows"], suite["expectations"]) == (0, [])
    (folder / "0003.csv").unlink()

    # A file that changed since it was judged is read again, as is everything under
    # another bound.
    orders.write("0001", history[:-1], header)
    changed = judge("changed")
    assert changed.already_judged == {"orders": {"files": 1, "raw_rows": 2}}
    assert report_of(changed)["input_rows"]["orders"] == 51
    # A removed file counts no more (the build, told to reprocess, deletes its rows).
    (folder / "0002.csv").unlink()
    removed = judge("removed")
    assert (removed.already_judged, removed.input_rows["orders"]) == (
        {"orders": {"files": 1, "raw_rows": 49}},
        49,
    )
    stricter = judge("stricter", {"max_rejected_share": 0.04})
    assert stricter.already_judged == {}
    (suite,) = [s for s in report_of(stricter)["suites"] if s["name"] == "orders"]
    assert (suite["rows"], suite["scope"]) == (49, "every row")


def test_the_door_does_not_import_pyspark(tmp_path: Path):
    """With pyspark installed (`make setup-spark`), GX would import it on every door: half
    a second and pyspark's warnings. The door hides it from GX's import; pyspark stays
    importable afterwards. (Without pyspark the first check holds trivially.)"""
    script = (
        "import datetime as dt, sys\n"
        "from pathlib import Path\n"
        "from crm_value.door import run_expectations\n"
        "from crm_value.inputs import RawInput\nfrom crm_value.settings import project_vars\n"
        f"run_expectations(RawInput(Path({str(CLEAN)!r}), 'csv'), project_vars({AS_OF!r}),\n"
        f"    dt.datetime(2025, 7, 2), Path({str(tmp_path)!r}))\n"
        "print('pyspark' in sys.modules)\n"
        "import importlib.util\n"
        "print(importlib.util.find_spec('pyspark') is not None)\n"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-3000:]
    imported, installed = run.stdout.split()[-2:]
    assert imported == "False", run.stdout
    assert "FutureWarning" not in run.stderr
    if importlib.util.find_spec("pyspark") is not None:
        assert installed == "True"  # hidden from GX only, not from the process
