"""The demo: its seeds come from the generator, it builds, and every planted anomaly lands
where the contract says (checked against the generator's own manifest, not the SQL)."""

from __future__ import annotations

import filecmp
import json
import shutil

import pytest
from conftest import PROJECT_DIR, RawFolder, run_dbt

from crm_value.generate import generate

DEMO = PROJECT_DIR / "seeds" / "crm_demo"
KEYS = {
    "customers": "customer_id",
    "orders": "order_id",
    "receivables": "invoice_id",
    "service_tickets": "ticket_id",
    "surveys": "response_id",
}
# The generator's anomaly kind -> the reason code the contract gives it.
REASON_OF_KIND = {
    "conflicting_version": "conflicting_version",
    "updated_before_created": "updated_before_created",
    "invalid_customer_type": "invalid_customer_type",
    "conflicting_duplicate": "conflicting_duplicate",
    "orphan_customer": "unknown_customer",
    "negative_amount": "negative_amount",
    "invalid_status": "invalid_status",
    "unparseable_amount": "invalid_amount",
    "future_ordered_at": "future_ordered_at",
    "paid_exceeds_amount": "paid_exceeds_amount",
    "due_before_issued": "due_before_issued",
    "closed_before_opened": "closed_before_opened",
    "invalid_ticket_type": "invalid_ticket_type",
    "score_out_of_range": "expectation_score_out_of_range",
}
COLLAPSED_KINDS = {"exact_duplicate", "older_version"}


@pytest.fixture(scope="module")
def manifest() -> dict:
    return json.loads((DEMO / "_anomalies.json").read_text(encoding="utf-8"))


def test_committed_demo_seeds_are_the_generators_output(tmp_path, manifest):
    generate(tmp_path, "csv", manifest["customers"], manifest["orders"], manifest["seed"], True)
    names = sorted(p.name for p in DEMO.iterdir() if p.suffix in {".csv", ".json"})
    match, mismatch, errors = filecmp.cmpfiles(DEMO, tmp_path, names, shallow=False)
    assert (mismatch, errors) == ([], []), "run `make demo-data` to regenerate the seeds"
    assert len(match) == 6


@pytest.mark.parametrize("entity", list(KEYS))
def test_every_planted_anomaly_lands_as_the_contract_says(demo_build, manifest, entity):
    spec = manifest["entities"][entity]
    key = KEYS[entity]
    expected_rejected = 0
    for kind, anomaly in spec["anomalies"].items():
        if kind in COLLAPSED_KINDS:
            continue
        reason = REASON_OF_KIND[kind]
        rows = demo_build.query(
            f"select {key}, reject_reasons from audit.rejected_{entity} "
            f"where list_contains(?, {key})",
            [anomaly["ids"]],
        )
        assert len(rows) == anomaly["rows"], (kind, rows)
        assert {r[1] for r in rows} == {reason}, kind
        expected_rejected += anomaly["rows"]

    counts = dict(
        zip(
            ["raw", "accepted", "exact", "superseded", "rejected"],
            demo_build.query(
                "select raw_rows, accepted_rows, exact_duplicate_rows, superseded_rows, "
                "rejected_rows from audit.crm_row_reconciliation where entity = ?",
                [entity],
            )[0],
            strict=True,
        )
    )
    anomalies = spec["anomalies"]
    assert counts["raw"] == spec["total_rows"]
    assert counts["rejected"] == expected_rejected
    assert counts["exact"] == anomalies.get("exact_duplicate", {}).get("rows", 0)
    assert counts["superseded"] == anomalies.get("older_version", {}).get("rows", 0)
    assert counts["raw"] == (
        counts["accepted"] + counts["exact"] + counts["superseded"] + counts["rejected"]
    )


def test_older_versions_lose_to_the_latest(demo_build, manifest):
    ids = manifest["entities"]["customers"]["anomalies"]["older_version"]["ids"]
    rows = demo_build.query(
        "select s.customer_id, s.updated_at = (select max(try_cast(updated_at as timestamp)) "
        "  from raw.customers r where r.customer_id = s.customer_id) "
        "from staging.stg_crm__customers s where list_contains(?, s.customer_id)",
        [ids],
    )
    assert len(rows) == len(ids)
    assert all(is_latest for _, is_latest in rows)


def test_demo_text_comes_through_unchanged(demo_build):
    raw = demo_build.query(
        "select customer_id, customer_name, city from raw.customers "
        "where customer_name ~ '[^\\x00-\\x7F]' order by customer_id limit 50"
    )
    staged = dict(
        (
            (cid, (name, city))
            for cid, name, city in demo_build.query(
                "select customer_id, customer_name, city from staging.stg_crm__customers"
            )
        )
    )
    assert raw, "the demo should hold Chinese names"
    compared = [cid for cid, _, _ in raw if cid in staged]
    assert len(compared) >= 40, "most sampled customers should be staged"
    for cid, name, city in raw:
        if cid in staged:
            assert staged[cid] == (name.strip(), city.strip() if city else None)


def test_copy_of_demo_without_amount_fails_naming_orders_and_amount(tmp_path):
    raw = RawFolder(tmp_path / "raw")
    shutil.copytree(DEMO, raw.path)
    raw.drop_column("orders", "amount")
    run = run_dbt(["build"], tmp_path, raw_dir=raw.path)
    assert run.returncode != 0
    assert f"{raw.path}/orders.csv (entity orders) lacks required column 'amount'" in run.output


def test_copy_of_demo_with_an_unknown_customer_order_rejects_it_and_reconciles(tmp_path):
    raw = RawFolder(tmp_path / "raw")
    shutil.copytree(DEMO, raw.path)
    order = {**raw.rows("orders")[0], "order_id": "O-UNKNOWN-1", "customer_id": "C-NOBODY"}
    raw.append("orders", order)
    run = run_dbt(["build"], tmp_path, raw_dir=raw.path)
    assert run.returncode == 0, run.output[-4000:]
    assert run.query(
        "select customer_id, reject_reasons from audit.rejected_orders "
        "where order_id = 'O-UNKNOWN-1'"
    ) == [("C-NOBODY", "unknown_customer")]
    bad = run.query(
        "select entity from audit.crm_row_reconciliation "
        "where raw_rows is distinct from accepted_rows + collapsed_rows + rejected_rows"
    )
    assert bad == []


def test_the_demo_backtest_shows_each_models_error(demo_build):
    # Every purchase model predicts the demo's holdout (273 days before as_of_date), and the
    # summary's `all` row gives its error: the chosen BG/NBD within the default warn bound.
    rows = demo_build.query(
        "select purchase_model, is_chosen, customers, predicted_purchases, actual_purchases, "
        "relative_error, mae, rmse from marts.fct_clv_backtest_summary "
        "where frequency_bucket = 'all' order by purchase_model"
    )
    assert [r[0] for r in rows] == ["bgnbd", "mbgnbd", "pareto_nbd"]
    for model, chosen, customers, predicted, actual, error, mae, rmse in rows:
        assert chosen == (model == "bgnbd")
        assert customers > 1000 and actual > 0
        assert error == pytest.approx((predicted - actual) / actual, rel=1e-9)
        assert 0 < mae <= rmse
    bgnbd = rows[0]
    assert abs(bgnbd[5]) <= 0.25
    assert demo_build.scalar("select count(*) from marts.fct_clv_backtest") == bgnbd[2]
    points = demo_build.query(
        "select period, count(*) from marts.fct_clv_backtest_tracking "
        "where purchase_model = 'bgnbd' group by period order by period"
    )
    assert points == [("calibration", points[0][1]), ("holdout", 39)]
