"""What the refresh's dbt parses with (crm_value.refresh_worker): only the vars in
PARSE_VARS, so that a refresh for another date, or with another var, reuses the saved
parse instead of parsing the whole project again. That is right only while no other var
shapes the parsed project: a var read in a config, a YAML property or anything else dbt
renders at parse time would otherwise keep its default in every refresh. These tests
hold the list to the project: every var but PARSE_VARS changed gives the same manifest,
and each of PARSE_VARS changes it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from conftest import PROJECT_DIR, run_dbt

from crm_value.refresh_worker import PARSE_VARS, parse_args

CLEAN = Path(__file__).with_name("fixtures") / "clean"

# A valid value other than the default for every var of dbt_project.yml (the parse runs
# the vars' validators: the values must pass them).
OTHER_VALUES = {
    "max_rejected_share": 0.2,
    "max_rejected_share_by_entity": {"orders": 0.3},
    "future_tolerance_days": 3,
    "raw_csv_options": "header = true, delim = ';', all_varchar = true",
    "min_plausible_date": "1950-01-01",
    "changed_raw_files": "reprocess",
    "as_of_date": "2024-03-03",
    "value_window_days": 200,
    "rfm_window_days": 100,
    "rfm_score_method": "fixed",
    "rfm_recency_edges": [10, 20, 30, 40],
    "rfm_frequency_edges": [2, 4, 6, 8],
    "rfm_monetary_edges": [1, 2, 3, 4],
    "rfm8_baseline": "median",
    "abc_measure": "margin",
    "abc_a_share": 0.6,
    "abc_b_share": 0.8,
    "pyramid_cuts": [0.02, 0.1, 0.3],
    "primary_tier_scheme": "abc",
    "clv_time_unit_days": 1,
    "clv_horizon_days": 90,
    "clv_margin_rate": 0.5,
    "clv_min_customers": 10,
    "clv_model": "pareto_nbd",
    "clv_holdout_days": 100,
    "clv_backtest_warn_error": 0.5,
    "clv_backtest_max_error": 0.9,
    "clv_fit_scope": "scoring",
    "new_customer_days": 30,
    "loyalty_min_tenure_days": 100,
    "loyalty_min_active_quarters": 2,
    "loyalty_medium_min_orders": 3,
    "satisfaction_high_min": 0.9,
    "satisfaction_medium_min": 0.5,
    "churn_risk_high_below": 0.2,
    "churn_risk_medium_below": 0.6,
    "nps_promoter_min": 8,
    "nps_detractor_max": 5,
    "quality_weights": {
        "revenue": 0.5,
        "volume": 0.1,
        "margin": 0.1,
        "overdue_debt": 0.1,
        "purchase_cycle": 0.1,
        "cost_to_serve": 0.1,
    },
    "quality_top_share": 0.3,
    "cost_per_service_minute": 2.0,
    "default_margin_rate": 0.4,
    "key_customer_lookback_days": 100,
    "key_customer_flag_downgrades": False,
    "profile_fields": ["customer_name", "region"],
    "profile_max_age_days": 100,
    "min_profile_completeness": 0.5,
    "warn_profile_completeness": 0.6,
    "min_profile_timeliness": 0.5,
    "warn_profile_timeliness": 0.6,
}


def _manifest(work: Path, dbt_vars: dict | None) -> dict:
    """The manifest of a full parse with `dbt_vars` on raw CSV files (the sources' reader
    is rendered then, not for the demo seeds), without what differs between any two
    parses (when and by which invocation)."""
    work.mkdir()
    run = run_dbt(
        ["parse", "--no-partial-parse", "--write-json"], work, raw_dir=CLEAN, dbt_vars=dbt_vars
    )
    assert run.returncode == 0, run.output[-3000:]
    manifest = json.loads((work / "target" / "manifest.json").read_text(encoding="utf-8"))
    manifest.pop("metadata")
    for section in manifest.values():
        for entry in section.values() if isinstance(section, dict) else ():
            # `disabled` holds a list of versions per node (the demo seeds, on raw files)
            for node in entry if isinstance(entry, list) else [entry]:
                if isinstance(node, dict):
                    node.pop("created_at", None)
    return manifest


def _differing(one: dict, other: dict) -> list[str]:
    """Each entry of a section (a node, a source, a macro, ...) whose fields differ, and
    each section that is not a mapping and differs as a whole."""
    found = []
    for section in sorted(one.keys() | other.keys()):
        mine, theirs = one.get(section), other.get(section)
        if not (isinstance(mine, dict) and isinstance(theirs, dict)):
            found += [section] if mine != theirs else []
            continue
        found += [
            f"{section}: {k}"
            for k in sorted(mine.keys() | theirs.keys())
            if mine.get(k) != theirs.get(k)
        ]
    return found


def test_other_values_cover_every_var_and_differ_from_the_defaults():
    with open(PROJECT_DIR / "dbt_project.yml", encoding="utf-8") as f:
        defaults = yaml.safe_load(f)["vars"]
    assert OTHER_VALUES.keys() == defaults.keys()
    assert [name for name in defaults if OTHER_VALUES[name] == defaults[name]] == []


@pytest.fixture(scope="module")
def default_manifest(tmp_path_factory) -> dict:
    return _manifest(tmp_path_factory.mktemp("parse") / "defaults", None)


def test_no_var_but_the_parse_vars_changes_the_parsed_project(tmp_path, default_manifest):
    others = {k: v for k, v in OTHER_VALUES.items() if k not in PARSE_VARS}
    changed = _manifest(tmp_path / "others", others)
    assert _differing(default_manifest, changed) == []


@pytest.mark.parametrize("name", PARSE_VARS)
def test_each_parse_var_changes_the_parsed_project(tmp_path, default_manifest, name):
    changed = _manifest(tmp_path / name, {name: OTHER_VALUES[name]})
    assert _differing(default_manifest, changed) != []


def test_the_parse_takes_the_project_flags_and_only_the_parse_vars():
    args = ["build", "--select", "dim_customers", "--project-dir", "/p", "--target-path", "/t"]
    given = {"as_of_date": "2025-07-01", "future_tolerance_days": 2, "abc_a_share": 0.6}
    assert parse_args([*args, "--vars", json.dumps(given), "--log-path", "/l"]) == [
        "parse",
        "--quiet",
        "--project-dir",
        "/p",
        "--target-path",
        "/t",
        "--log-path",
        "/l",
        "--vars",
        json.dumps({"future_tolerance_days": 2}),
    ]
    assert parse_args([*args, "--vars", "{as_of_date: 2025-07-01}"])[-1] == "/t"
