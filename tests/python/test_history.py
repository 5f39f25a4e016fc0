"""The warehouse remembers (issue 12): the tier history, the backfill, migration, the key
customers at risk, the effect per tier and cohort retention.

- On the demo as `make build` leaves it (12 monthly dates backfilled, then the refresh),
  and on generated data: the history row of a past date equals a point-in-time build for
  that date, every label; the migration, the at-risk list and the cohort table equal
  the independent implementation in reference_history.py.
- On the clean fixture, the store's behaviour: a failed refresh adds nothing, rebuilding
  one date leaves every other stored file byte-identical, a deleted work database loses
  nothing, a backfill that fails part-way keeps its finished dates and a rerun does only
  the rest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import os
import shutil
from pathlib import Path

import duckdb
import pytest
import reference_history as ref
from conftest import (
    CLEAN,
    adopt,
    history,
    query,
    run_backfill,
    run_dbt,
    run_refresh,
)

from crm_value.backfill import dates_before, dates_between
from crm_value.generate import generate

HISTORY_COLUMNS = [
    "value_window_revenue",
    "valid_orders",
    "last_order_date",
    "r_score",
    "f_score",
    "m_score",
    "rfm_cell",
    "is_quality_customer",
    "clv",
    "p_alive",
    *ref.SCHEMES.values(),
]
POINT_IN_TIME = [
    "build",
    "--select",
    "+dim_customers",
    "--exclude-resource-type",
    "unit_test",
    "--indirect-selection",
    "cautious",
]


def store_prints(serve: Path) -> dict[str, str]:
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted((serve / "history").iterdir())
    }


def store_rows(serve: Path) -> dict[str, list[tuple]]:
    """Every stored file's rows, in customer order."""
    with duckdb.connect() as con:
        return {
            path.name: con.execute(
                "select * from read_parquet(?) order by customer_id", [str(path)]
            ).fetchall()
            for path in sorted((serve / "history").iterdir())
        }


def same(a, b) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and math.isclose(a, b, rel_tol=0, abs_tol=1e-12)
    return a == b


# --- The demo, as `make build` leaves it, and generated data ---------------------------


@pytest.fixture(scope="session")
def generated(tmp_path_factory) -> tuple[Path, Path]:
    """Generated raw files (1,500 customers, a year and more of orders, anomalies and all)
    with two quarter-ends backfilled and the refresh published."""
    root = tmp_path_factory.mktemp("generated")
    raw = root / "raw"
    generate(raw, "csv", n_customers=1500, n_orders=15000, seed=7)
    serve = root / "serve"
    run = run_backfill(raw, serve, "--last", "2", "--every", "quarter", "--skip-freshness")
    assert run.returncode == 0, (run.stdout + run.stderr)[-4000:]
    return raw, serve


def served_history(serve: Path) -> list[dict]:
    return query(serve, "select * from marts.fct_customer_tier_history")


def dates_of(serve: Path) -> list[dt.date]:
    rows = query(
        serve, "select distinct as_of_date from marts.fct_customer_tier_history order by 1"
    )
    return [row["as_of_date"] for row in rows]


def test_the_demo_build_holds_twelve_monthly_dates(demo_serve):
    dates = dates_of(demo_serve)
    current = query(demo_serve, "select as_of_date from ops.release")[0]["as_of_date"]
    assert dates[-1] == current
    assert dates[-13:-1] == dates_before(current, "month", 12)
    for mart in ("fct_tier_migration", "fct_tier_effect", "fct_key_customers_at_risk"):
        assert query(demo_serve, f"select count(*) as n from marts.{mart}")[0]["n"] > 0, mart
    pairs = query(
        demo_serve, "select count(distinct from_as_of_date) as n from marts.fct_tier_migration"
    )
    assert pairs[0]["n"] == len(dates) - 1


def check_point_in_time(serve: Path, day: dt.date, work: Path, raw_dir: Path | None) -> None:
    build = run_dbt(POINT_IN_TIME, work, raw_dir=raw_dir, dbt_vars={"as_of_date": day.isoformat()})
    assert build.returncode == 0, build.output[-3000:]
    columns = ", ".join(HISTORY_COLUMNS)
    fresh = {
        row[0]: dict(zip(HISTORY_COLUMNS, row[1:], strict=True))
        for row in build.query(f"select customer_id, {columns} from marts.dim_customers")
    }
    kept = {
        row["customer_id"]: {c: row[c] for c in HISTORY_COLUMNS}
        for row in query(
            serve, "select * from marts.fct_customer_tier_history where as_of_date = ?", [day]
        )
    }
    assert kept.keys() == fresh.keys()
    differing = [
        (customer, column, kept[customer][column], fresh[customer][column])
        for customer in fresh
        for column in HISTORY_COLUMNS
        if not same(kept[customer][column], fresh[customer][column])
    ]
    assert not differing, differing[:10]


@pytest.mark.parametrize("back", [12, 5])
def test_demo_history_equals_point_in_time_builds(demo_serve, tmp_path, back):
    day = dates_of(demo_serve)[-1 - back]
    check_point_in_time(demo_serve, day, tmp_path, None)


def test_generated_history_equals_a_point_in_time_build(generated, tmp_path):
    raw, serve = generated
    check_point_in_time(serve, dates_of(serve)[0], tmp_path, raw)


@pytest.fixture(params=["demo", "generated"])
def any_serve(request) -> Path:
    if request.param == "demo":
        return request.getfixturevalue("demo_serve")
    return request.getfixturevalue("generated")[1]


def test_migration_equals_the_reference(any_serve):
    check_migration(any_serve)


def check_migration(any_serve: Path) -> None:
    expected = ref.migration(served_history(any_serve))
    served = {
        (r["scheme"], r["from_as_of_date"], r["to_as_of_date"], r["from_tier"], r["to_tier"]): {
            key: r[key]
            for key in (
                "movement",
                "customers",
                "from_revenue",
                "to_revenue",
                "bought_again_customers",
            )
        }
        for r in query(any_serve, "select * from marts.fct_tier_migration")
    }
    assert served.keys() == expected.keys()
    assert [k for k in expected if served[k] != expected[k]] == []


TIER_CHANGE_COLUMNS = (
    "current_tier",
    "previous_tier",
    "changed_on",
    "tier_since",
    "days_in_current_tier",
    "snapshots",
)


def check_tier_changes(serve: Path) -> dict[tuple, dict]:
    """The served tier changes equal the reference over the served history; returns them."""
    as_of = query(serve, "select as_of_date from ops.release")[0]["as_of_date"]
    expected = ref.tier_changes(served_history(serve), as_of)
    served = {
        (r["customer_id"], r["scheme"]): {c: r[c] for c in TIER_CHANGE_COLUMNS}
        for r in query(serve, "select * from marts.fct_customer_tier_changes")
    }
    assert served.keys() == expected.keys()
    assert [(k, served[k], expected[k]) for k in expected if served[k] != expected[k]][:5] == []
    return expected


def test_tier_changes_equal_the_reference(any_serve):
    check_tier_changes(any_serve)


def test_tier_effect_adds_up_from_the_history(any_serve):
    """Each tier's shares of up, stayed, down, changed and exited sum to one, and its
    customers are the tier's customers in the history."""
    counts: dict[tuple, int] = {}
    for row in served_history(any_serve):
        for scheme, column in ref.SCHEMES.items():
            if row[column] is not None:
                key = (scheme, row["as_of_date"], row[column])
                counts[key] = counts.get(key, 0) + 1
    effect = query(any_serve, "select * from marts.fct_tier_effect")
    assert {
        (r["scheme"], r["as_of_date"], r["tier_code"]): r["customers"] for r in effect
    } == counts
    latest = max(r["as_of_date"] for r in effect)
    for r in effect:
        shares = [
            r[f"{m}_share"] for m in ("moved_up", "stayed", "moved_down", "changed", "exited")
        ]
        if r["as_of_date"] == latest:
            assert r["next_as_of_date"] is None and shares == [None] * 5
        else:
            assert math.isclose(sum(shares), 1.0, abs_tol=1e-9), r


def test_at_risk_list_is_what_the_definition_selects(any_serve):
    check_at_risk(any_serve)


def check_at_risk(any_serve: Path) -> None:
    as_of = query(any_serve, "select as_of_date from ops.release")[0]["as_of_date"]
    current = {r["customer_id"]: r for r in query(any_serve, "select * from marts.dim_customers")}
    expected = ref.at_risk(served_history(any_serve), current, as_of)
    served = {
        r["customer_id"]: r
        for r in query(any_serve, "select * from marts.fct_key_customers_at_risk")
    }
    assert served.keys() == expected.keys()
    for customer, want in expected.items():
        got = {key: served[customer][key] for key in want}
        assert got == want, customer
        assert served[customer]["revenue_now"] == current[customer]["value_window_revenue"]
        assert served[customer]["recommended_actions_zh"], customer
        assert served[customer]["recommended_actions_en"], customer
    ranks = sorted(served.values(), key=lambda r: r["call_rank"])
    assert [r["revenue_then"] for r in ranks] == sorted(
        (r["revenue_then"] for r in ranks), reverse=True
    )


def test_cohort_retention_equals_the_reference(tmp_path):
    """On generated data with its rejected rows: the cohort table from the accepted valid
    orders, counted in Python."""
    raw = tmp_path / "raw"
    generate(raw, "csv", n_customers=400, n_orders=4000, seed=11)
    build = run_dbt(
        ["build", "--select", "+fct_cohort_retention", "--indirect-selection", "cautious"],
        tmp_path,
        raw_dir=raw,
    )
    assert build.returncode == 0, build.output[-3000:]
    orders = [
        (customer, ordered_at.date(), amount)
        for customer, ordered_at, amount in build.query(
            "select customer_id, ordered_at, amount from staging.stg_crm__orders where is_completed"
        )
    ]
    as_of = build.scalar("select as_of_date from intermediate.int_analysis_date_resolved")
    expected = ref.cohorts(orders, as_of)
    served = {
        (row[0], row[1]): dict(
            zip(
                ["cohort_customers", "active_customers", "orders", "revenue", "cumulative_revenue"],
                row[2:],
                strict=True,
            )
        )
        for row in build.query(
            "select cohort_month, months_since, cohort_customers, active_customers, orders, "
            "revenue, cumulative_revenue from marts.fct_cohort_retention"
        )
    }
    assert served == expected
    assert sum(v["revenue"] for v in served.values()) == sum(o[2] for o in orders if o[1] < as_of)


# --- The store, on the clean fixture ---------------------------------------------------


@pytest.fixture(scope="session")
def two_dates(tmp_path_factory) -> Path:
    """The clean fixture with two past dates stored (not published), built once."""
    root = tmp_path_factory.mktemp("two_dates")
    raw = root / "raw"
    shutil.copytree(CLEAN, raw)
    serve = root / "serve"
    run = run_backfill(raw, serve, "--dates", "2024-12-01,2025-03-01", "--no-publish")
    assert run.returncode == 0, (run.stdout + run.stderr)[-4000:]
    return root


def copy_state(source: Path, target: Path) -> tuple[Path, Path]:
    """Copy a raw folder, serving folder and work database (copies keep the files' times,
    which the tier state's record of the store holds); the copy's raw and serving folders."""
    for name in ("raw", "serve"):
        shutil.copytree(source / name, target / name, symlinks=True)
    shutil.copy(source / "work.duckdb", target / "work.duckdb")
    return target / "raw", target / "serve"


@pytest.fixture
def small(two_dates, tmp_path) -> tuple[Path, Path]:
    """A copy of it (raw folder, serving folder and work database) to change."""
    return copy_state(two_dates, tmp_path)


@pytest.fixture(scope="session")
def april(two_dates, tmp_path_factory) -> Path:
    """The two stored dates, then a refresh published for 2025-04-01: the first refresh
    after a backfill, which recomputes the tier state. Built once."""
    root = tmp_path_factory.mktemp("april")
    raw, serve = copy_state(two_dates, root)
    run = run_refresh(raw, serve, {"as_of_date": "2025-04-01"})
    assert run.returncode == 0, run.output[-3000:]
    return root


@pytest.fixture
def small_after_april(april, tmp_path) -> tuple[Path, Path]:
    """A copy of it to change, serving the copied raw folder."""
    raw, serve = copy_state(april, tmp_path)
    adopt(serve, raw)
    return raw, serve


def test_each_past_date_keeps_what_it_ran(two_dates):
    """Each date's dbt results are kept: its models and data tests passed, no unit test
    ran, staging was built by the first date only, and dim_customers was compiled (the
    snapshot is its SELECT), not written."""
    kept = two_dates / "serve" / ".work" / "target" / "backfill"
    ran = {}
    for day in ("2024-12-01", "2025-03-01"):
        results = json.loads((kept / day / "run_results.json").read_text())["results"]
        assert {r["status"] for r in results} <= {"success", "pass", "warn"}, day
        ran[day] = {r["unique_id"] for r in results}
    for nodes in ran.values():
        assert {"model.crm_value.fct_customer_rfm", "model.crm_value.fct_customer_clv"} <= nodes
        assert any(n.startswith("test.crm_value.") for n in nodes)
        assert not any(n.startswith("unit_test.") for n in nodes)
        assert not any("dim_customers" in n for n in nodes)
    assert "model.crm_value.stg_crm__orders" in ran["2024-12-01"]
    assert "model.crm_value.stg_crm__orders" not in ran["2025-03-01"]


def test_a_failed_refresh_adds_no_history(small):
    raw, serve = small
    before = store_prints(serve)
    with open(raw / "orders.csv", "a", encoding="utf-8") as f:  # an order of no customer
        f.write("O999,C404,2025-06-01 10:00:00,completed,1,10.00,5.00,web\n")
    failed = run_refresh(raw, serve, {"as_of_date": "2025-07-01", "max_rejected_share": 0})
    assert failed.returncode == 1, failed.output[-2000:]
    assert store_prints(serve) == before
    assert history(serve)[-1]["outcome"] == "failed"
    assert history(serve)[-1]["history_dates"] is None


def test_rebuilding_a_date_leaves_the_others_byte_identical_and_nothing_is_lost(small):
    raw, serve = small
    # The work database goes (a full rebuild from nothing): the stored dates do not.
    (serve.parent / "work.duckdb").unlink()
    first = run_refresh(raw, serve, {"as_of_date": "2025-07-01"})
    assert first.returncode == 0, first.output[-3000:]
    before = store_prints(serve)
    assert sorted(before) == ["2024-12-01.parquet", "2025-03-01.parquet", "2025-07-01.parquet"]
    redo = run_backfill(raw, serve, "--dates", "2025-03-01", "--redo", "--no-publish")
    assert redo.returncode == 0, (redo.stdout + redo.stderr)[-3000:]
    after = store_prints(serve)
    assert {k: v for k, v in after.items() if k != "2025-03-01.parquet"} == {
        k: v for k, v in before.items() if k != "2025-03-01.parquet"
    }
    assert dates_of(serve) == [dt.date(2024, 12, 1), dt.date(2025, 3, 1), dt.date(2025, 7, 1)]
    # A store deleted by hand is written again from the current release, which holds it all.
    published = {
        f"{day}.parquet": [
            tuple(row.values())
            for row in query(
                serve,
                "select * from marts.fct_customer_tier_history where as_of_date = ? "
                "order by customer_id",
                [day],
            )
        ]
        for day in dates_of(serve)
    }
    shutil.rmtree(serve / "history")
    run = run_backfill(raw, serve, "--dates", "2024-12-01", "--no-publish")
    assert run.returncode == 0, (run.stdout + run.stderr)[-3000:]
    assert "restored 2024-12-01, 2025-03-01, 2025-07-01 from the current release" in run.stdout
    assert "1 dates planned, 1 already stored" in run.stdout
    assert store_rows(serve) == published


def test_a_backfill_that_fails_part_way_keeps_what_it_finished(small):
    raw, serve = small
    blocked = serve / "history" / "2025-05-01.parquet"
    blocked.mkdir()  # the store cannot take this date's file
    run = run_backfill(raw, serve, "--dates", "2025-04-01,2025-05-01", "--no-publish")
    assert run.returncode == 1
    assert "FAILED at stage 'build': 2025-05-01: the snapshot could not be stored" in run.stdout
    row = history(serve)[-1]
    assert (row["run_kind"], row["outcome"], row["history_dates"]) == (
        "backfill",
        "failed",
        "2025-04-01",
    )
    blocked.rmdir()
    rerun = run_backfill(raw, serve, "--dates", "2025-04-01,2025-05-01", "--no-publish")
    assert rerun.returncode == 0, (rerun.stdout + rerun.stderr)[-3000:]
    assert "2 dates planned, 1 already stored, 1 to build" in rerun.stdout
    assert history(serve)[-1]["history_dates"] == "2025-05-01"


def built_by(work: Path) -> list[str]:
    with duckdb.connect(str(work), read_only=True) as con:
        rows = con.execute("select distinct built_by from intermediate.int_customer_tier_runs")
        return [row[0] for row in rows.fetchall()]


def pairs_computed_on(work: Path) -> dict[tuple, dt.date]:
    """{(from date, to date): the as_of_date of the build that computed the pair}."""
    with duckdb.connect(str(work), read_only=True) as con:
        rows = con.execute(
            "select distinct from_as_of_date, to_as_of_date, computed_as_of_date "
            "from intermediate.int_tier_moves"
        )
        return {(a, b): c for a, b, c in rows.fetchall()}


def dbt_logs(serve: Path) -> str:
    """Every refresh's dbt debug log in the serving folder, rotated files included."""
    files = sorted((serve / ".work" / "logs").glob("dbt.log*"))
    return "\n".join(f.read_text(encoding="utf-8", errors="replace") for f in files)


def history_mart_by_date(serve: Path, work: Path) -> dict[dt.date, tuple[int, int]]:
    """{date: (first rowid, rows)} of the work database's history mart, after checking that
    every stored date holds exactly its file's rows. A date whose first rowid is the same
    after two builds was not written again."""
    mart = "marts.fct_customer_tier_history"
    with duckdb.connect(str(work), read_only=True) as con:
        for file in sorted((serve / "history").glob("*.parquet")):
            held = f"select * from {mart} where as_of_date = '{file.stem}'"
            stored = f"select * from read_parquet('{file}')"
            for one, other in ((held, stored), (stored, held)):
                left = con.execute(f"select count(*) from ({one} except all {other})")
                assert left.fetchall()[0][0] == 0, f"{file.stem}: the mart is not the stored file"
        rows = con.execute(f"select as_of_date, min(rowid), count(*) from {mart} group by 1")
        return {day: (first, n) for day, first, n in rows.fetchall()}


def test_daily_refreshes_fold_the_tier_runs_and_a_changed_store_recomputes_them(
    small_after_april,
):
    """A refresh after the previous one folds its snapshot into the state (no pass over
    the history) and keeps the migration of the pairs of dates it did not touch, with the
    answers of the reference over every stored date. When a stored file changes behind
    their back, the next refresh recomputes the state and the pairs that read the file:
    here every class at the first date is edited, which changes the answer of a customer whose
    class stayed the same since."""
    raw, serve = small_after_april  # April refreshed (recomputed), May to come
    work = serve.parent / "work.duckdb"
    marts = []
    for day, how in (("2025-04-01", "recomputed"), ("2025-05-01", "folded")):
        if day != "2025-04-01":
            run = run_refresh(raw, serve, {"as_of_date": day})
            assert run.returncode == 0, run.output[-3000:]
        assert built_by(work) == [how], day
        marts.append(history_mart_by_date(serve, work))
        check_tier_changes(serve)
        check_migration(serve)
        check_at_risk(serve)
    december, march, april, may = (dt.date(2024, 12, 1), *(dt.date(2025, m, 1) for m in (3, 4, 5)))
    # The history mart kept the dates it held: only May was written.
    assert {d: v for d, v in marts[1].items() if d != may} == marts[0]
    assert pairs_computed_on(work) == {
        (december, march): april,
        (march, april): may,
        (april, may): may,
    }
    # Every class at the first date moves one along (A to B, B to C, C to A).
    first = serve / "history" / "2024-12-01.parquet"
    rotate = "case abc_class when 'A' then 'B' when 'B' then 'C' when 'C' then 'A' end"
    with duckdb.connect() as con:
        con.execute(
            f"copy (select * replace ({rotate} as abc_class) from read_parquet('{first}')) "
            f"to '{first}.new' (format parquet)"
        )
        edited = dict(
            con.execute(
                f"select customer_id, abc_class from read_parquet('{first}.new') "
                "where abc_class is not null"
            ).fetchall()
        )
    os.replace(f"{first}.new", first)
    run = run_refresh(raw, serve, {"as_of_date": "2025-06-01"})
    assert run.returncode == 0, run.output[-3000:]
    assert built_by(work) == ["recomputed"]
    june = dt.date(2025, 6, 1)
    # The mart rewrote the edited date and June (appended after the dates it kept; the
    # deletion renumbers rowids, not their order), and kept the others as they were.
    june_mart = history_mart_by_date(serve, work)
    by_rowid = sorted(june_mart, key=june_mart.get)
    kept = [d for d in sorted(marts[1], key=marts[1].get) if d != december]
    assert (by_rowid[:3], set(by_rowid[3:])) == (kept, {december, june})
    expected = check_tier_changes(serve)
    check_migration(serve)
    check_at_risk(serve)
    assert pairs_computed_on(work) == {
        (december, march): june,
        (march, april): may,
        (april, may): june,
        (may, june): june,
    }
    assert any(
        expected.get((c, "abc"), {}).get("changed_on") == dt.date(2025, 3, 1)
        and expected[(c, "abc")]["previous_tier"] == tier
        for c, tier in edited.items()
    ), "the edit changed no answer: the test could not catch a stale fold"
    # A stored file left with no rows: the mart drops that date, as a full build would.
    emptied = serve / "history" / "2025-04-01.parquet"
    with duckdb.connect() as con:
        con.execute(
            f"copy (select * from read_parquet('{emptied}') where false) "
            f"to '{emptied}.new' (format parquet)"
        )
    os.replace(f"{emptied}.new", emptied)
    run = run_refresh(raw, serve, {"as_of_date": "2025-06-01"})
    assert run.returncode == 0, run.output[-3000:]
    assert april not in history_mart_by_date(serve, work)
    # Tables whose columns are the contract's are kept: no build here dropped one.
    assert "this build writes it whole" not in dbt_logs(serve)


def test_a_history_table_left_with_other_columns_is_written_whole(small_after_april):
    """A code upgrade that changes the history mart's columns: the table the earlier code
    left (here one column gone, one extra and one of another type) is dropped before the
    build, which writes every date again from the store, instead of dbt's incremental
    refusing the changed columns and every refresh failing until someone rebuilds by
    hand."""
    raw, serve = small_after_april  # refreshed for 2025-04-01
    work = serve.parent / "work.duckdb"
    mart = "marts.fct_customer_tier_history"
    with duckdb.connect(str(work)) as con:
        declared = con.execute(f"describe {mart}").fetchall()
        con.execute(f"alter table {mart} drop column churn_risk")
        con.execute(f"alter table {mart} add column retired_score integer")
        con.execute(f"alter table {mart} alter column p_alive type float")
    run = run_refresh(raw, serve, {"as_of_date": "2025-05-01"})
    assert run.returncode == 0, run.output[-3000:]
    said = [line for line in dbt_logs(serve).splitlines() if "this build writes it whole" in line]
    assert said and all(
        part in said[-1]
        for part in ("new churn_risk VARCHAR", "gone retired_score", "p_alive FLOAT -> DOUBLE")
    ), said
    with duckdb.connect(str(work), read_only=True) as con:
        assert con.execute(f"describe {mart}").fetchall() == declared
    # every stored date holds its file's rows again, and this build's date is there
    assert set(history_mart_by_date(serve, work)) == {
        dt.date(2024, 12, 1),
        *(dt.date(2025, m, 1) for m in (3, 4, 5)),
    }


# --- Planning dates and the command line ------------------------------------------------


def test_dates_step_by_calendar_months_and_clamp_month_ends():
    assert dates_between(dt.date(2024, 1, 31), dt.date(2024, 5, 1), "month") == [
        dt.date(2024, 1, 31),
        dt.date(2024, 2, 29),
        dt.date(2024, 3, 31),
        dt.date(2024, 4, 30),
    ]
    assert dates_between(dt.date(2024, 1, 1), dt.date(2024, 12, 31), "quarter")[-1] == dt.date(
        2024, 10, 1
    )
    assert dates_between(dt.date(2024, 1, 1), dt.date(2024, 1, 15), "week") == [
        dt.date(2024, 1, 1),
        dt.date(2024, 1, 8),
        dt.date(2024, 1, 15),
    ]
    assert dates_before(dt.date(2025, 3, 31), "month", 2) == [
        dt.date(2025, 1, 31),
        dt.date(2025, 2, 28),
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "give exactly one of --from/--to, --last or --dates"),
        (["--from", "2024-01-01", "--to", "2024-06-01"], "--every"),
        (["--from", "2024-06-01", "--to", "2024-01-01", "--every", "month"], "is after --to"),
        (["--dates", "2024-13-01"], "not a date"),
        (
            ["--last", "3", "--every", "month", "--vars", json.dumps({"as_of_date": "2024-01-01"})],
            "may not set as_of_date",
        ),
    ],
)
def test_bad_backfill_arguments_exit_2(tmp_path, args, message):
    run = run_backfill(None, tmp_path / "serve", *args)
    assert run.returncode == 2
    assert message in run.stderr


def test_dates_on_or_after_the_data_date_are_refused(tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(CLEAN, raw)
    run = run_backfill(raw, tmp_path / "serve", "--dates", "2030-01-01", "--no-publish")
    assert run.returncode == 1
    assert "on or after the data's as_of_date" in run.stdout
    assert not (tmp_path / "serve" / "history").exists() or not os.listdir(
        tmp_path / "serve" / "history"
    )
