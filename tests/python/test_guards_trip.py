"""Every dbt guard can fail: build a clean warehouse once, then for each guard damage a
copy of it in exactly the way the guard exists to catch, and check that the guard's test
fails (and names itself). The clean build, where all of them pass, is the control."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import RawFolder, run_dbt
from test_raw_rows import NO_BOUND, ORDER

BASE_ORDERS = "staging.base_crm__orders_validated"
BASE_CUSTOMERS = "staging.base_crm__customers_validated"


@pytest.fixture(scope="module")
def clean_build(tmp_path_factory):
    """A warehouse built from the clean fixture plus one rejected order."""
    from conftest import CLEAN

    root = tmp_path_factory.mktemp("guards")
    raw = RawFolder(root / "raw")
    shutil.copytree(CLEAN, raw.path)
    raw.append("orders", {**ORDER, "customer_id": "C999"})
    work = root / "work"
    work.mkdir()
    run = run_dbt(["build"], work, raw_dir=raw.path, dbt_vars=NO_BOUND)
    assert run.returncode == 0, run.output[-3000:]
    return raw, run


@pytest.fixture(scope="module")
def guard_work(tmp_path_factory):
    """One work folder for every guard case a worker runs, one after another: the same
    warehouse path, vars and target folder let dbt reuse its parse (partial parsing)
    instead of parsing the project again for each case. Each case copies the clean
    warehouse over the last one's."""
    work = tmp_path_factory.mktemp("guard_runs") / "work"
    work.mkdir()
    return work


CASES = [
    # guard (dbt selector), damage, the test name expected among the failures
    (
        "crm_row_reconciliation",
        f"delete from {BASE_ORDERS} where order_id = 'O001'",
        "crm_rows_reconcile_orders",
    ),
    (
        "test_name:crm_reason_codes_known,rejected_orders",
        "update audit.rejected_orders set reject_reasons = 'unknown_customer,made_up_code'",
        "crm_reason_codes_known_rejected_orders",
    ),
    (
        # crm_in_range, one test per model: a negative amount
        "stg_crm__orders_columns_in_range",
        f"update {BASE_ORDERS} set amount = -1 where order_id = 'O001'",
        "stg_crm__orders_columns_in_range",
    ),
    (
        "test_name:crm_expression_is_true,stg_crm__customers",
        f"update {BASE_CUSTOMERS} set updated_at = created_at - interval 1 day "
        "where customer_id = 'C001'",
        "crm_expression_is_true_stg_crm__customers",
    ),
    (
        "test_name:crm_expression_is_true,base_crm__orders_validated",
        f"update {BASE_ORDERS} set reject_reasons = 'negative_amount' where order_id = 'O001'",
        "crm_expression_is_true_base_crm__orders_validated",
    ),
    (
        "test_name:unique,stg_crm__orders",
        f"insert into {BASE_ORDERS} select * from {BASE_ORDERS} where order_id = 'O001'",
        "unique_stg_crm__orders_order_id",
    ),
    (
        # crm_not_null on a staging view: a typed value lost between the store and staging
        "stg_crm__orders_columns_not_null",
        f"update {BASE_ORDERS} set amount = null where order_id = 'O001'",
        "stg_crm__orders_columns_not_null",
    ),
    (
        # and on a mart table: one customer without a recency score
        "fct_customer_rfm_columns_not_null",
        "update marts.fct_customer_rfm set r_score = null "
        "where customer_id = (select min(customer_id) from marts.fct_customer_rfm)",
        "fct_customer_rfm_columns_not_null",
    ),
    (
        "test_name:relationships,stg_crm__orders",
        f"update {BASE_ORDERS} set customer_id = 'C404' where order_id = 'O001'",
        "relationships_stg_crm__orders",
    ),
    (
        "test_name:accepted_values,stg_crm__orders",
        f"update {BASE_ORDERS} set status = 'shipped' where order_id = 'O001'",
        "accepted_values_stg_crm__orders_status",
    ),
    (
        "test_name:crm_has_one_strategy,fct_customer_pyramid",
        "update marts.dim_tier_strategy set tier_code = tier_code || '_renamed' "
        "where scheme = 'pyramid'",
        "crm_has_one_strategy_fct_customer_pyramid_pyramid_tier__pyramid",
    ),
    (
        "assert_rfm_segment_grid_covers_each_cell_once",
        "delete from reference.rfm_segment_grid where r_score = 3 and fm_score = 3",
        "assert_rfm_segment_grid_covers_each_cell_once",
    ),
    (
        "assert_abc_class_a_holds_its_share",
        "update marts.fct_customer_abc set abc_class = 'B' where abc_rank = 1",
        "assert_abc_class_a_holds_its_share",
    ),
    (
        "assert_pyramid_counts_match_cut_points",
        "update marts.fct_customer_pyramid set pyramid_tier = 'medium' "
        "where pyramid_rank = (select max(pyramid_rank) from marts.fct_customer_pyramid)",
        "assert_pyramid_counts_match_cut_points",
    ),
    (
        "assert_tier_summary_shares_sum_to_one",
        "update marts.fct_rfm8_segment_summary set share_of_customers = share_of_customers / 2",
        "assert_tier_summary_shares_sum_to_one",
    ),
    (
        "assert_value_levels_follow_their_measures",
        "update marts.fct_customer_value_dimensions set mean_order_amount = 1e9 "
        "where purchasing_power = 'low'",
        "assert_value_levels_follow_their_measures",
    ),
    (
        "assert_quality_customers_are_the_top_share",
        "update marts.fct_customer_quality set is_quality_customer = not is_quality_customer",
        "assert_quality_customers_are_the_top_share",
    ),
    (
        "assert_lifecycle_and_loyalty_type_follow_their_inputs",
        "update marts.fct_customer_lifecycle set loyalty_type = 'lost', churn_risk = 'low' "
        "where value_window_orders > 0",
        "assert_lifecycle_and_loyalty_type_follow_their_inputs",
    ),
    (
        "assert_net_value_adds_up",
        "update marts.fct_customer_quality set net_value = net_value + 1",
        "assert_net_value_adds_up",
    ),
    (
        "test_name:crm_has_one_strategy,fct_customer_lifecycle",
        "delete from marts.dim_tier_strategy where scheme = 'loyalty_type'",
        "crm_has_one_strategy_fct_customer_lifecycle_loyalty_type__loyalty_type",
    ),
    (
        "test_name:crm_expression_is_true,int_analysis_date_resolved",
        "insert into intermediate.int_analysis_date_resolved "
        "select * from intermediate.int_analysis_date_resolved",
        "crm_expression_is_true_int_analysis_date_resolved",
    ),
    (
        "test_name:unique,fct_customer_rfm",
        "insert into marts.fct_customer_rfm select * from marts.fct_customer_rfm limit 1",
        "unique_fct_customer_rfm_customer_id",
    ),
    (
        "clv_calibration_inputs_are_consistent",
        "update intermediate.int_customers_clv_inputs set holdout_purchases = "
        "holdout_purchases + 1 where is_calibration_customer",
        "clv_calibration_inputs_are_consistent",
    ),
    (
        "clv_one_purchase_model_chosen",
        "update marts.fct_clv_model_fits set is_chosen = true",
        "clv_one_purchase_model_chosen",
    ),
    (
        "clv_models_fitted_twice_each",
        "delete from intermediate.int_clv_models_fitted where model = 'mbgnbd'",
        "clv_models_fitted_twice_each",
    ),
    (
        "clv_purchase_series_sums_each_term_once",
        # a row whose terms were summed twice (a customer's row and a tracking lag alike)
        "insert into intermediate.int_clv_purchase_series (fit_window, model, "
        "repeat_purchases, age_days, horizon_days, is_converged, survived_purchases, "
        "last_term, series_terms, summed_terms) values "
        "('calibration', 'bgnbd', 0, 0, 273, true, 2.0, 0.0, 120, 240)",
        "clv_purchase_series_sums_each_term_once",
    ),
    (
        "clv_purchase_series_converged",
        "insert into intermediate.int_clv_purchase_series (fit_window, model, "
        "repeat_purchases, age_days, horizon_days, is_converged, survived_purchases, "
        "last_term, series_terms, summed_terms) values "
        "('full', 'bgnbd', 3, 70, 365, true, 2.0, 0.5, 120, 120)",
        "clv_purchase_series_converged",
    ),
    (
        "clv_pareto_nbd_series_converged",
        "insert into intermediate.int_clv_pareto_nbd_series (fit_window, repeat_purchases, "
        "time_days, ln_f, is_converged, last_term, series_terms) values "
        "('full', 3, 70, -5.0, true, 0.01, 40)",
        "clv_pareto_nbd_series_converged",
    ),
    (
        "assert_tier_migration_reconciles",
        # a move to a date the history does not hold, from a tier that had no one
        "insert into marts.fct_tier_migration select 'abc', as_of_date, as_of_date + 30, "
        "'A', 'B', 'down', 1, 0, 0, 0 from marts.fct_customer_tier_history limit 1",
        "assert_tier_migration_reconciles",
    ),
    (
        "int_customer_tier_runs_present_are_this_snapshot",
        # a customer of this snapshot that the state calls absent
        "update intermediate.int_customer_tier_runs set is_present = false "
        "where customer_id = (select min(customer_id) from intermediate.int_customer_tier_runs)",
        "int_customer_tier_runs_present_are_this_snapshot",
    ),
    (
        "int_customer_tier_runs_of_one_build",
        # one row left from a build of another kind
        "update intermediate.int_customer_tier_runs set built_by = 'folded' "
        "where customer_id = (select min(customer_id) from intermediate.int_customer_tier_runs)",
        "int_customer_tier_runs_of_one_build",
    ),
    (
        "assert_cohort_retention_adds_up",
        "update marts.fct_cohort_retention set revenue = revenue + 1 where months_since = 0",
        "assert_cohort_retention_adds_up",
    ),
    (
        "test_name:crm_unique_combination,crm_reject_reasons",
        "insert into reference.crm_reject_reasons "
        "select * from reference.crm_reject_reasons limit 1",
        "crm_unique_combination_crm_reject_reasons",
    ),
]


def damaged_copy(clean: Path, work: Path, damage: str) -> Path:
    """Copy the clean warehouse `clean` into `work` (over the last case's) and damage it."""
    (work / "warehouse.duckdb.wal").unlink(missing_ok=True)
    shutil.copy(clean, work / "warehouse.duckdb")
    with duckdb.connect(str(work / "warehouse.duckdb")) as con:
        con.execute(damage)
    return work


@pytest.mark.parametrize(("selector", "damage", "test_name"), CASES, ids=[c[2] for c in CASES])
def test_guard_fails_on_the_damage_it_exists_to_catch(
    clean_build, guard_work, selector, damage, test_name
):
    raw, clean = clean_build
    work = damaged_copy(clean.warehouse, guard_work, damage)
    run = run_dbt(["build", "--select", selector], work, raw_dir=raw.path, dbt_vars=NO_BOUND)
    assert run.returncode != 0, run.output[-3000:]
    failures = [line for line in run.output.splitlines() if "FAIL" in line]
    assert any(test_name in line for line in failures), "\n".join(failures) or run.output[-3000:]


@pytest.mark.parametrize(
    ("test_name", "damage", "caught"),
    [
        (
            "stg_crm__orders_columns_in_range",
            f"update {BASE_ORDERS} set amount = -1, quantity = -1 where order_id = 'O001'",
            [("amount", 1), ("quantity", 1)],
        ),
        (
            "fct_customer_rfm_columns_not_null",
            "update marts.fct_customer_rfm set r_score = null, rfm8_segment = null "
            "where customer_id = (select min(customer_id) from marts.fct_customer_rfm)",
            [("r_score", 1), ("rfm8_segment", 1)],
        ),
    ],
    ids=["crm_in_range", "crm_not_null"],
)
def test_a_per_model_guard_names_each_column_it_caught(
    clean_build, guard_work, test_name, damage, caught
):
    """One test per model checks many columns: its failing rows say which, and how many
    rows each."""
    raw, clean = clean_build
    work = damaged_copy(clean.warehouse, guard_work, damage)
    run = run_dbt(
        ["test", "--select", test_name, "--store-failures"],
        work,
        raw_dir=raw.path,
        dbt_vars=NO_BOUND,
    )
    assert run.returncode != 0, run.output[-3000:]
    with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as con:
        (schema,) = con.execute(
            "select table_schema from information_schema.tables where table_name = ?",
            [test_name],
        ).fetchall()[0]
        counted = con.execute(
            f"select column_name, {'null_rows' if 'not_null' in test_name else 'out_of_range_rows'}"
            f' from "{schema}"."{test_name}" order by 1'
        ).fetchall()
    assert counted == caught


def test_a_short_window_with_a_long_new_period_passes_every_guard(tmp_path):
    """A legitimate setting the rules allow: value_window_days shorter than
    new_customer_days. C006's only order is before the 30-day window but within 90 days of
    as_of_date, so it is lifecycle `new` with no window order (and loyalty type `lost`);
    no invariant may call that a fault."""
    from conftest import CLEAN

    raw = RawFolder(tmp_path / "raw")
    shutil.copytree(CLEAN, raw.path)
    raw.append(
        "orders",
        {**ORDER, "order_id": "O901", "customer_id": "C006", "ordered_at": "2025-05-10 10:00:00"},
    )
    work = tmp_path / "work"
    work.mkdir()
    run = run_dbt(
        ["build"],
        work,
        raw_dir=raw.path,
        dbt_vars={**NO_BOUND, "value_window_days": 30, "new_customer_days": 90},
    )
    assert run.returncode == 0, run.output[-3000:]
    assert run.query(
        "select lifecycle_stage, loyalty_type, value_window_orders "
        "from marts.fct_customer_lifecycle where customer_id = 'C006'"
    ) == [("new", "lost", 0)]
