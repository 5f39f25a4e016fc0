"""The customer-file audits: completeness and timeliness are judged per customer against
as_of_date, and the build fails (or warns) when their shares drop below the bounds.

Each test builds the audit model and all it reads (BUILD), not the value marts, which
the audits neither read nor guard."""

from __future__ import annotations

from conftest import RawFolder, run_dbt

BUILD = ["build", "--select", "+fct_customer_file_quality", "--indirect-selection", "cautious"]


def change(raw: RawFolder, ids: set[str], **values: str) -> None:
    raw.write(
        "customers",
        [{**r, **values} if r["customer_id"] in ids else r for r in raw.rows("customers")],
    )


def test_clean_files_pass_and_each_customer_shows_what_is_missing(raw: RawFolder, work):
    change(raw, {"C002"}, industry="")  # a business customer without its industry
    change(raw, {"C001"}, city="")
    run = run_dbt(
        BUILD,
        work,
        raw_dir=raw.path,
        dbt_vars={"min_profile_completeness": 0.5, "warn_profile_completeness": 0.5},
    )
    assert run.returncode == 0, run.output[-3000:]
    rows = dict(
        run.query("select customer_id, missing_profile_fields from marts.fct_customer_file_quality")
    )
    assert rows["C002"] == "industry"
    assert rows["C001"] == "city"
    assert rows["C003"] is None  # an individual needs no industry; email alone is contact
    assert (
        run.scalar(
            "select profile_fields_expected from marts.fct_customer_file_quality "
            "where customer_id = 'C003'"
        )
        == 5
    )


def test_completeness_below_its_bound_fails_the_build(raw: RawFolder, work):
    change(raw, {"C001", "C002", "C003"}, city="", email="", phone="")
    run = run_dbt(BUILD, work, raw_dir=raw.path)
    assert run.returncode != 0
    failing = [line for line in run.output.splitlines() if "FAIL" in line]
    assert any("audit_profile_completeness" in line for line in failing), failing


def test_stale_files_fail_the_timeliness_audit(raw: RawFolder, work):
    change(
        raw,
        {"C001", "C002", "C003"},
        created_at="2021-01-01 00:00:00",
        updated_at="2022-01-01 00:00:00",
    )
    run = run_dbt(BUILD, work, raw_dir=raw.path)
    assert run.returncode != 0
    failing = [line for line in run.output.splitlines() if "FAIL" in line]
    assert any("audit_profile_timeliness" in line for line in failing), failing


def test_between_the_bounds_the_build_warns_and_passes(raw: RawFolder, work):
    change(raw, {"C001"}, city="")  # 5 of 6 complete: 0.83, above 0.75, below 0.85
    run = run_dbt(BUILD, work, raw_dir=raw.path)
    assert run.returncode == 0, run.output[-3000:]
    warned = [line for line in run.output.splitlines() if "WARN" in line]
    assert any("audit_profile_completeness_warn" in line for line in warned), warned


def test_timeliness_is_judged_against_as_of_date_not_the_clock(raw: RawFolder, work):
    # C003 was last updated 2024-03-15: stale for the default as_of_date (2025-07-01),
    # current when the build looks back to 2024-06-30.
    run = run_dbt(BUILD, work, raw_dir=raw.path, dbt_vars={"as_of_date": "2024-06-30"})
    assert run.returncode == 0, run.output[-3000:]
    assert (
        run.scalar(
            "select is_current from marts.fct_customer_file_quality where customer_id = 'C003'"
        )
        is True
    )


def test_a_warn_bound_below_its_error_bound_is_refused(raw: RawFolder, work):
    run = run_dbt(
        BUILD,
        work,
        raw_dir=raw.path,
        dbt_vars={"min_profile_timeliness": 0.9, "warn_profile_timeliness": 0.8},
    )
    assert run.returncode != 0
    assert (
        "Invalid var 'warn_profile_timeliness' = 0.8: must be at least min_profile_timeliness"
        in run.output
    )
