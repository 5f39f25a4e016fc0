"""The value-picture macros (dimensions, lifecycle, loyalty type, quality score) on literals.

One `dbt show --inline` per var set renders every case as a column; the expected values
are worked out by hand from the issue-5 rulings beside each case, not from the SQL. Each
branch is taken, and each boundary is hit exactly and one step beside it. A second var set
shows that the macros follow their vars; some of its values are picked so that a binary
float would put an exact boundary on the wrong side (0.53 * 2520 * 5 comes out just above
6678, 0.58 * 50 just below 29), so only exact decimal arithmetic passes.
"""

from __future__ import annotations

import json

import pytest
from conftest import run_dbt


def call(macro: str, *args: object) -> str:
    """The Jinja call of `macro` on SQL literals: crm_x('1', 'null')."""
    return f"{macro}({', '.join(repr(str(a)) for a in args)})"


def text(expr: str) -> str:
    """Serve an exact decimal as text, so that it compares digit for digit."""
    return f"cast({{{{ {expr} }}}} as varchar)"


def p_alive(value: str) -> str:
    """A P(alive) literal as the double it is in fct_customer_clv."""
    return f"cast({value} as double)" if value != "null" else "null"


def tercile(rank, population) -> str:
    return call("crm_tercile_level", rank, population)


def mean(total, count) -> str:
    return text(call("crm_exact_mean", total, count))


def satisfaction(points, surveys) -> str:
    return call("crm_satisfaction_level", points, surveys)


def churn(value: str) -> str:
    return call("crm_churn_risk_level", p_alive(value))


def loyalty(tenure_days, active_quarters, window_orders) -> str:
    return call("crm_loyalty_level", tenure_days, active_quarters, window_orders)


def nps(score) -> str:
    return call("crm_nps_class", score)


def stage(has_valid_order, first_order_age, window_orders, gap) -> str:
    return call("crm_lifecycle_stage", has_valid_order, first_order_age, window_orders, gap)


def kind(has_order, window_orders, churn_risk, loyalty_level, tier, lifecycle, potential):
    """crm_loyalty_type; the text arguments become SQL string literals."""
    texts = [f"'{v}'" for v in (churn_risk, loyalty_level, tier, lifecycle, potential)]
    return call("crm_loyalty_type", has_order, window_orders, *texts)


def tier(is_quality, is_unprofitable) -> str:
    return call("crm_quality_tier", is_quality, is_unprofitable)


def quality(position, paying) -> str:
    return call("crm_is_quality_customer", position, paying)


def weight(measure: str) -> str:
    return text(call("crm_quality_weight", measure))


def percent_rank(rank_below, population) -> str:
    return call("crm_percent_rank", rank_below, population)


def decimal_var(name: str) -> str:
    return text(call("crm_decimal_var", name))


MEASURES = ["revenue", "volume", "margin", "overdue_debt", "purchase_cycle", "cost_to_serve"]
WEIGHT_SUM = " + ".join(f"{{{{ {call('crm_quality_weight', m)} }}}}" for m in MEASURES)

# Default vars (dbt_project.yml): satisfaction 1.0 / 0.8, churn 0.3 / 0.7, loyalty 365 days
# and 3 quarters or 2 window orders, NPS 9 / 6, new 90 days, value window 365 days,
# quality_top_share 0.20, weights 0.25 / 0.15 / 0.20 / 0.15 / 0.15 / 0.10.
DEFAULT_CASES = {
    # --- crm_tercile_level(rank k, population n): high when 3(k-1) >= 2(n-1), medium when
    # 3(k-1) >= n-1, else low; n = 1 is low; no rank is unknown.
    "tercile_no_rank": (tercile("null", 5), "unknown"),
    "tercile_n1": (tercile(1, 1), "low"),  # 3*0 >= 2*0 would say high: n = 1 is low
    "tercile_n2_r1": (tercile(1, 2), "low"),  # 0 < 1
    "tercile_n2_r2": (tercile(2, 2), "high"),  # 3 >= 2
    "tercile_n3_r1": (tercile(1, 3), "low"),  # 0 < 2
    "tercile_n3_r2": (tercile(2, 3), "medium"),  # 3 >= 2, 3 < 4
    "tercile_n3_r3": (tercile(3, 3), "high"),  # 6 >= 4
    "tercile_n4_r1": (tercile(1, 4), "low"),  # 0 < 3
    "tercile_n4_r2": (tercile(2, 4), "medium"),  # 3 = n-1: percent_rank exactly 1/3
    "tercile_n4_r3": (tercile(3, 4), "high"),  # 6 = 2(n-1): percent_rank exactly 2/3
    "tercile_n4_r4": (tercile(4, 4), "high"),  # 9 >= 6
    "tercile_n7_r2": (tercile(2, 7), "low"),  # 3 < 6: just below 1/3
    "tercile_n7_r3": (tercile(3, 7), "medium"),  # 6 = 6: exactly 1/3
    "tercile_n7_r4": (tercile(4, 7), "medium"),  # 9 < 12: just below 2/3
    "tercile_n7_r5": (tercile(5, 7), "high"),  # 12 = 12: exactly 2/3
    "tercile_n301_r100": (tercile(100, 301), "low"),  # 297 < 300
    "tercile_n301_r101": (tercile(101, 301), "medium"),  # 300 = 300
    "tercile_n301_r200": (tercile(200, 301), "medium"),  # 597 < 600
    "tercile_n301_r201": (tercile(201, 301), "high"),  # 600 = 600
    # --- crm_exact_mean(total, count): total / count rounded half-up to 6 places.
    "mean_half_up": (mean("0.01", 32), "0.000313"),  # 0.0003125 -> up
    "mean_three_quarters_up": (mean("0.03", 64), "0.000469"),  # 0.00046875 -> up
    "mean_quarter_down": (mean("0.01", 64), "0.000156"),  # 0.00015625 -> down
    "mean_thirds_down": (mean("10.00", 3), "3.333333"),  # 3.3333333.. -> down
    "mean_thirds_up": (mean("20.00", 3), "6.666667"),  # 6.6666666.. -> up
    "mean_small_thirds_up": (mean("0.02", 3), "0.006667"),  # 0.0066666.. -> up
    "mean_whole": (mean("100.00", 4), "25.000000"),
    "mean_zero_total": (mean("0.00", 5), "0.000000"),
    # 12345678.91 / 7 = 1763668.41571428..; (1234567891 * 20000 + 7) // 14 = 1763668415714.
    "mean_large": (mean("12345678.91", 7), "1763668.415714"),
    "mean_no_orders": (mean("0.00", 0), None),
    "mean_null_count": (mean("5.00", "null"), None),
    "mean_type": (f"typeof({{{{ {call('crm_exact_mean', '10.00', 3)} }}}})", "DECIMAL(18,6)"),
    # --- crm_satisfaction_level(points in 1/2520, surveys): high at >= 1.0 * 2520 * surveys,
    # medium at >= 0.8 * 2520 * surveys, else low; no survey (or no points) unknown.
    "satisfaction_high_exact": (satisfaction(5040, 2), "high"),  # 1.0 * 2520 * 2
    "satisfaction_high_minus_1": (satisfaction(5039, 2), "medium"),
    "satisfaction_max": (satisfaction(25200, 1), "high"),  # 10 / 1
    "satisfaction_medium_exact_1": (satisfaction(2016, 1), "medium"),  # 0.8 * 2520
    "satisfaction_medium_minus_1": (satisfaction(2015, 1), "low"),
    "satisfaction_medium_exact_3": (satisfaction(6048, 3), "medium"),  # 0.8 * 2520 * 3
    "satisfaction_medium_minus_1_3": (satisfaction(6047, 3), "low"),
    "satisfaction_zero_points": (satisfaction(0, 1), "low"),
    "satisfaction_no_survey": (satisfaction(0, 0), "unknown"),
    "satisfaction_points_no_survey": (satisfaction(2520, 0), "unknown"),
    "satisfaction_null_surveys": (satisfaction(2520, "null"), "unknown"),
    "satisfaction_null_points": (satisfaction("null", 2), "unknown"),
    # --- crm_churn_risk_level(p_alive): high < 0.3, medium < 0.7, else low; null unknown.
    "churn_null": (churn("null"), "unknown"),
    "churn_zero": (churn("0.0"), "high"),
    "churn_below_high": (churn("0.2999999"), "high"),
    "churn_high_exact": (churn("0.3"), "medium"),  # not below 0.3
    "churn_below_medium": (churn("0.6999999"), "medium"),
    "churn_medium_exact": (churn("0.7"), "low"),  # not below 0.7
    "churn_one": (churn("1.0"), "low"),
    # --- crm_loyalty_level(tenure_days, active_quarters, value_window_orders): high at
    # tenure >= 365 and quarters >= 3; medium at window orders >= 2; else low.
    "loyalty_high_exact": (loyalty(365, 3, 3), "high"),
    "loyalty_tenure_minus_1": (loyalty(364, 4, 5), "medium"),
    "loyalty_quarters_minus_1": (loyalty(800, 2, 2), "medium"),  # 2 orders: exactly medium
    "loyalty_orders_minus_1": (loyalty(800, 1, 1), "low"),
    "loyalty_short_tenure_one_order": (loyalty(364, 1, 1), "low"),
    "loyalty_prospect": (loyalty("null", 0, 0), "low"),
    # --- crm_nps_class(score): promoter >= 9, detractor <= 6, else passive; null stays null.
    "nps_10": (nps(10), "promoter"),
    "nps_9": (nps(9), "promoter"),
    "nps_8": (nps(8), "passive"),
    "nps_7": (nps(7), "passive"),
    "nps_6": (nps(6), "detractor"),
    "nps_0": (nps(0), "detractor"),
    "nps_null": (nps("null"), None),
    # --- crm_lifecycle_stage(has_valid_order, first order age, window orders, gap days):
    # prospect; new when age <= 90; reactivated when window orders > 0 and gap >= 365;
    # mature when window orders > 0; else lost.
    "stage_prospect": (stage("false", "null", 0, "null"), "prospect"),
    "stage_new_exact": (stage("true", 90, 1, "null"), "new"),
    "stage_new_plus_1": (stage("true", 91, 1, "null"), "mature"),
    "stage_new_without_window_order": (stage("true", 90, 0, "null"), "new"),  # first match
    "stage_new_before_reactivated": (stage("true", 90, 2, 400), "new"),  # order, literally
    "stage_reactivated_exact": (stage("true", 500, 1, 365), "reactivated"),
    "stage_reactivated_minus_1": (stage("true", 500, 1, 364), "mature"),
    "stage_mature_one_day": (stage("true", 500, 3, "null"), "mature"),  # no previous day
    "stage_lost_long_gap": (stage("true", 900, 0, 400), "lost"),  # the gap needs a window order
    "stage_lost": (stage("true", 91, 0, "null"), "lost"),
    # --- crm_loyalty_type(has_valid_order, window orders, churn_risk, loyalty, pyramid tier,
    # lifecycle stage, purchase potential), first match: lost, loyal, potential, marginal.
    "type_prospect": (
        kind("false", 0, "unknown", "low", "prospect", "prospect", "unknown"),
        "potential",
    ),
    "type_prospect_never_lost": (  # even with a (synthetic) high churn risk
        kind("false", 0, "high", "low", "prospect", "prospect", "unknown"),
        "potential",
    ),
    "type_lost_no_window_order": (
        kind("true", 0, "low", "high", "top", "lost", "high"),
        "lost",
    ),
    "type_lost_high_churn_even_loyal": (
        kind("true", 5, "high", "high", "top", "mature", "high"),
        "lost",
    ),
    "type_lost_new_high_churn": (
        kind("true", 1, "high", "low", "small", "new", "unknown"),
        "lost",
    ),
    "type_loyal_top": (kind("true", 5, "low", "high", "top", "mature", "low"), "loyal"),
    "type_loyal_big": (kind("true", 5, "medium", "high", "big", "mature", "medium"), "loyal"),
    "type_loyal_medium": (  # no churn score (model not fitted) is not lost
        kind("true", 5, "unknown", "high", "medium", "mature", "unknown"),
        "loyal",
    ),
    "type_loyal_before_potential": (
        kind("true", 5, "low", "high", "big", "reactivated", "high"),
        "loyal",
    ),
    "type_high_loyalty_small_tier": (
        kind("true", 5, "low", "high", "small", "mature", "medium"),
        "marginal",
    ),
    "type_high_loyalty_small_tier_high_potential": (
        kind("true", 5, "low", "high", "small", "mature", "high"),
        "potential",
    ),
    "type_medium_loyalty_top_tier": (
        kind("true", 5, "low", "medium", "top", "mature", "low"),
        "marginal",
    ),
    "type_new": (kind("true", 1, "medium", "low", "small", "new", "unknown"), "potential"),
    "type_high_potential": (
        kind("true", 2, "medium", "medium", "medium", "reactivated", "high"),
        "potential",
    ),
    "type_marginal": (
        kind("true", 1, "unknown", "low", "small", "mature", "unknown"),
        "marginal",
    ),
    # --- crm_quality_tier(is_quality_customer, is_unprofitable): quality first.
    "tier_quality_and_unprofitable": (tier("true", "true"), "quality"),
    "tier_quality": (tier("true", "false"), "quality"),
    "tier_unprofitable": (tier("false", "true"), "unprofitable"),
    "tier_standard": (tier("false", "false"), "standard"),
    # --- crm_is_quality_customer(position, n): position <= n * 0.20, exactly.
    "quality_n10_p1": (quality(1, 10), True),
    "quality_n10_p2": (quality(2, 10), True),  # 2 <= 2.0
    "quality_n10_p3": (quality(3, 10), False),
    "quality_n15_p3": (quality(3, 15), True),  # 3 <= 3.0
    "quality_n15_p4": (quality(4, 15), False),
    "quality_n5_p1": (quality(1, 5), True),  # 1 <= 1.0
    "quality_n5_p2": (quality(2, 5), False),
    "quality_n4_p1": (quality(1, 4), False),  # 1 > 0.8: four payers have no top 20%
    "quality_n1_p1": (quality(1, 1), False),  # 1 > 0.2
    "quality_n100_p20": (quality(20, 100), True),
    "quality_n100_p21": (quality(21, 100), False),
    # --- crm_quality_weight(measure): the var as decimal(18, 9).
    "weight_revenue": (weight("revenue"), "0.250000000"),
    "weight_volume": (weight("volume"), "0.150000000"),
    "weight_margin": (weight("margin"), "0.200000000"),
    "weight_overdue_debt": (weight("overdue_debt"), "0.150000000"),
    "weight_purchase_cycle": (weight("purchase_cycle"), "0.150000000"),
    "weight_cost_to_serve": (weight("cost_to_serve"), "0.100000000"),
    "weight_sum_exactly_one": (f"cast({WEIGHT_SUM} as varchar)", "1.000000000"),
    # --- crm_decimal_var(name): the var's text as decimal(18, 9), not a binary float.
    "decimal_var_medium": (decimal_var("satisfaction_medium_min"), "0.800000000"),
    "decimal_var_share": (decimal_var("quality_top_share"), "0.200000000"),
    "decimal_var_type": (
        f"typeof({{{{ {call('crm_decimal_var', 'quality_top_share')} }}}})",
        "DECIMAL(18,9)",
    ),
    # 0.8 * 3 = 2.4 exactly; as doubles it is 2.4000000000000004.
    "decimal_var_exact": (
        f"{{{{ {call('crm_decimal_var', 'satisfaction_medium_min')} }}}} * 3 = 2.4",
        True,
    ),
    # --- crm_percent_rank(rank_below, n): rank_below / (n - 1), 0 for n <= 1.
    "percent_rank_single": (percent_rank(0, 1), 0.0),
    "percent_rank_empty": (percent_rank(0, 0), 0.0),
    "percent_rank_lowest": (percent_rank(0, 5), 0.0),
    "percent_rank_middle": (percent_rank(2, 5), 0.5),
    "percent_rank_highest": (percent_rank(4, 5), 1.0),
    "percent_rank_third": (percent_rank(1, 4), 1 / 3),
    "percent_rank_points": (percent_rank("cast(1.35 as decimal(38, 9))", 10), 0.15),
    "percent_rank_null": (percent_rank("null", 5), None),
    "percent_rank_type": (f"typeof({{{{ {percent_rank(0, 1)} }}}})", "DOUBLE"),
}

OVERRIDES = {
    "satisfaction_high_min": 0.95,
    "satisfaction_medium_min": 0.53,
    "churn_risk_high_below": 0.4,
    "churn_risk_medium_below": 0.9,
    "loyalty_min_tenure_days": 100,
    "loyalty_min_active_quarters": 2,
    "loyalty_medium_min_orders": 3,
    "nps_promoter_min": 10,
    "nps_detractor_max": 4,
    "new_customer_days": 30,
    "value_window_days": 180,
    "quality_top_share": 0.58,
    "quality_weights": {
        "revenue": 0.4,
        "volume": 0.1,
        "margin": 0.05,
        "overdue_debt": 0.1,
        "purchase_cycle": 0.2,
        "cost_to_serve": 0.15,
    },
}

OVERRIDE_CASES = {
    # satisfaction high 0.95: 0.95 * 2520 = 2394; medium 0.53: 0.53 * 2520 * 5 = 6678
    # (as doubles 6678.000000000001, which would put 6678 points below it).
    "satisfaction_high_exact": (satisfaction(2394, 1), "high"),
    "satisfaction_high_minus_1": (satisfaction(2393, 1), "medium"),
    "satisfaction_high_exact_2": (satisfaction(4788, 2), "high"),
    "satisfaction_one_is_high": (satisfaction(2520, 1), "high"),
    "satisfaction_medium_exact": (satisfaction(6678, 5), "medium"),
    "satisfaction_medium_minus_1": (satisfaction(6677, 5), "low"),
    "satisfaction_default_medium_now_medium": (satisfaction(1336, 1), "medium"),  # >= 1335.6
    "satisfaction_medium_below_1": (satisfaction(1335, 1), "low"),  # < 1335.6
    # churn high below 0.4, medium below 0.9.
    "churn_default_high_edge": (churn("0.3"), "high"),
    "churn_below_high": (churn("0.3999999"), "high"),
    "churn_high_exact": (churn("0.4"), "medium"),
    "churn_default_medium_edge": (churn("0.7"), "medium"),
    "churn_below_medium": (churn("0.8999999"), "medium"),
    "churn_medium_exact": (churn("0.9"), "low"),
    # loyalty high at tenure >= 100 and quarters >= 2; medium at >= 3 window orders.
    "loyalty_high_exact": (loyalty(100, 2, 2), "high"),
    "loyalty_tenure_minus_1": (loyalty(99, 4, 3), "medium"),  # 3 orders: exactly medium
    "loyalty_quarters_minus_1": (loyalty(400, 1, 3), "medium"),
    "loyalty_orders_minus_1": (loyalty(400, 1, 2), "low"),  # medium by default, not now
    # nps promoter >= 10, detractor <= 4.
    "nps_10": (nps(10), "promoter"),
    "nps_9": (nps(9), "passive"),
    "nps_5": (nps(5), "passive"),
    "nps_4": (nps(4), "detractor"),
    # new within 30 days; reactivated after a gap of 180 days.
    "stage_new_exact": (stage("true", 30, 1, "null"), "new"),
    "stage_new_plus_1": (stage("true", 31, 1, "null"), "mature"),
    "stage_reactivated_exact": (stage("true", 400, 1, 180), "reactivated"),
    "stage_reactivated_minus_1": (stage("true", 400, 1, 179), "mature"),
    "stage_lost": (stage("true", 200, 0, "null"), "lost"),
    # quality top share 0.58: n = 10 -> 5.8; n = 50 -> 29 exactly (as doubles
    # 28.999999999999996, which would drop position 29).
    "quality_n10_p5": (quality(5, 10), True),
    "quality_n10_p6": (quality(6, 10), False),
    "quality_n50_p29": (quality(29, 50), True),
    "quality_n50_p30": (quality(30, 50), False),
    "quality_n1_p1": (quality(1, 1), False),  # 1 > 0.58
    "quality_n2_p1": (quality(1, 2), True),  # 1 <= 1.16
    "weight_revenue": (weight("revenue"), "0.400000000"),
    "weight_volume": (weight("volume"), "0.100000000"),
    "weight_margin": (weight("margin"), "0.050000000"),
    "weight_overdue_debt": (weight("overdue_debt"), "0.100000000"),
    "weight_purchase_cycle": (weight("purchase_cycle"), "0.200000000"),
    "weight_cost_to_serve": (weight("cost_to_serve"), "0.150000000"),
    "weight_sum_exactly_one": (f"cast({WEIGHT_SUM} as varchar)", "1.000000000"),
    "decimal_var_medium": (decimal_var("satisfaction_medium_min"), "0.530000000"),
    "decimal_var_share": (decimal_var("quality_top_share"), "0.580000000"),
    "decimal_var_exact": (
        f"{{{{ {call('crm_decimal_var', 'quality_top_share')} }}}} * 50 = 29",
        True,
    ),
}

VAR_SETS = {"defaults": (None, DEFAULT_CASES), "overridden": (OVERRIDES, OVERRIDE_CASES)}


def expression(sql: str) -> str:
    """A case's select expression: a bare macro call is wrapped in {{ }}."""
    return sql if "{{" in sql else f"{{{{ {sql} }}}}"


def show(cases: dict, dbt_vars: dict | None, work) -> dict:
    columns = ", ".join(f"{expression(sql)} as {name}" for name, (sql, _) in cases.items())
    run = run_dbt(
        ["show", "--inline", f"select {columns}", "--output", "json", "--log-format", "json"],
        work,
        dbt_vars=dbt_vars,
    )
    assert run.returncode == 0, run.output[-3000:]
    for line in run.output.splitlines():
        if '"ShowNode"' in line:
            return json.loads(json.loads(line)["data"]["preview"])[0]
    raise AssertionError(run.output[-3000:])


@pytest.fixture(scope="module")
def shown(tmp_path_factory):
    """The rendered row of a var set, one dbt invocation per set, on first use."""
    rows: dict[str, dict] = {}

    def row(var_set: str) -> dict:
        if var_set not in rows:
            dbt_vars, cases = VAR_SETS[var_set]
            rows[var_set] = show(cases, dbt_vars, tmp_path_factory.mktemp(var_set))
        return rows[var_set]

    return row


@pytest.mark.parametrize(
    ("var_set", "name"),
    [(var_set, name) for var_set, (_, cases) in VAR_SETS.items() for name in cases],
    ids=lambda value: value,
)
def test_each_macro_case_matches_its_hand_worked_value(shown, var_set, name):
    expected = VAR_SETS[var_set][1][name][1]
    actual = shown(var_set)[name]
    if expected is None or isinstance(expected, bool):
        assert actual is expected
    elif isinstance(expected, float):
        assert actual == pytest.approx(expected, rel=1e-12, abs=1e-15)
    else:
        assert actual == expected
