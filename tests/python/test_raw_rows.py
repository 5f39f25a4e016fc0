"""Each kind of bad raw row lands where the data contract says, and every count reconciles.

Every case starts from the clean fixture folder, adds or changes the rows it names, builds
the staging and audit layers from CSV, and checks the rejected-rows table (reason codes),
the staging model and the reconciliation. The rejected-share bound is lifted for these
small folders (one bad row in ten is 10%); the bound has its own test below.

The single-row cases (one bad order, customer or other row each) share one build: every
case's row goes into the same folder under its own key, and each case asserts on its own
row. A row's own reasons do not depend on the other bad rows (no case shares a key with
another), so one build judges them as 33 builds would, in the time of one.
"""

from __future__ import annotations

import shutil

import pytest
from conftest import CLEAN, RawFolder, run_dbt

RAW_LAYERS = ["--select", "path:models/staging", "path:models/audit", "path:seeds/reference"]
NO_BOUND = {"max_rejected_share": 1}

ORDER = {
    "order_id": "O900",
    "customer_id": "C001",
    "ordered_at": "2025-04-01 10:00:00",
    "status": "completed",
    "quantity": "1",
    "amount": "100.00",
    "cost": "60.00",
    "channel": "web",
}
CUSTOMER = {
    "customer_id": "C900",
    "customer_name": "测试客户",
    "customer_type": "individual",
    "region": "广东省",
    "city": "深圳市",
    "industry": "",
    "acquisition_channel": "web",
    "email": "t@example.cn",
    "phone": "13900000000",
    "created_at": "2024-01-01 00:00:00",
    "updated_at": "2025-01-01 00:00:00",
}


def build(raw: RawFolder, work, dbt_vars=None):
    run = run_dbt(["build", *RAW_LAYERS], work, raw_dir=raw.path, dbt_vars=dbt_vars or NO_BOUND)
    assert run.returncode == 0, run.output[-4000:]
    return run


def rejected(run, entity: str, key: str, value: str) -> list[str]:
    """The reason codes of each rejected row of `entity` whose raw `key` is `value`."""
    rows = run.query(f"select reject_reasons from audit.rejected_{entity} where {key} = ?", [value])
    return sorted(r[0] for r in rows)


def reconciliation(run, entity: str) -> dict:
    cols = ["raw_rows", "accepted_rows", "collapsed_rows", "rejected_rows"]
    row = run.query(
        f"select {', '.join(cols)} from audit.crm_row_reconciliation where entity = ?", [entity]
    )[0]
    counts = dict(zip(cols, row, strict=True))
    assert counts["raw_rows"] == (
        counts["accepted_rows"] + counts["collapsed_rows"] + counts["rejected_rows"]
    )
    return counts


ORDER_CASES = [
    ({"amount": ""}, "missing_amount"),
    ({"customer_id": "  "}, "missing_customer_id"),
    ({"status": ""}, "missing_status"),
    ({"amount": "12,50"}, "invalid_amount"),
    ({"ordered_at": "yesterday"}, "invalid_ordered_at"),
    ({"quantity": "1.5"}, "invalid_quantity"),
    ({"amount": "-5.00"}, "negative_amount"),
    ({"cost": "-1"}, "negative_cost"),
    ({"quantity": "-2"}, "negative_quantity"),
    ({"status": "shipped"}, "invalid_status"),
    ({"customer_id": "C999"}, "unknown_customer"),
    ({"ordered_at": "2099-01-01 00:00:00"}, "future_ordered_at"),
    (
        {"amount": "abc", "status": "lost", "customer_id": "C999"},
        "invalid_status,invalid_amount,unknown_customer",
    ),
]


def test_rejected_row_keeps_raw_values_and_invocation(raw, work):
    raw.append("orders", {**ORDER, "amount": " 12,50 ", "customer_id": "客户-Ω"})
    run = build(raw, work)
    row = run.query(
        "select customer_id, amount, invocation_id, n_raw_rows "
        "from audit.rejected_orders where order_id = 'O900'"
    )[0]
    assert row[0] == "客户-Ω"
    assert row[1] == " 12,50 "
    assert row[2] and row[3] == 1


def test_exact_duplicate_is_collapsed_and_counted(raw, work):
    first = raw.rows("orders")[0]
    raw.append("orders", first, first)
    run = build(raw, work)
    assert (
        run.scalar(
            "select count(*) from staging.stg_crm__orders where order_id = ?", [first["order_id"]]
        )
        == 1
    )
    assert reconciliation(run, "orders") == {
        "raw_rows": 12,
        "accepted_rows": 10,
        "collapsed_rows": 2,
        "rejected_rows": 0,
    }


def test_conflicting_duplicate_rejects_both_rows(raw, work):
    raw.append("orders", ORDER, {**ORDER, "amount": "200.00"})
    run = build(raw, work)
    assert rejected(run, "orders", "order_id", "O900") == [
        "conflicting_duplicate",
        "conflicting_duplicate",
    ]
    assert reconciliation(run, "orders")["rejected_rows"] == 2


def test_customer_latest_version_wins(raw, work):
    old = {**CUSTOMER, "city": "广州市", "updated_at": "2024-06-01 00:00:00"}
    raw.append("customers", old, CUSTOMER)
    run = build(raw, work)
    assert run.query("select city from staging.stg_crm__customers where customer_id = 'C900'") == [
        ("深圳市",)
    ]
    counts = reconciliation(run, "customers")
    assert counts == {"raw_rows": 8, "accepted_rows": 7, "collapsed_rows": 1, "rejected_rows": 0}
    assert (
        run.scalar(
            "select superseded_rows from audit.crm_row_reconciliation where entity = 'customers'"
        )
        == 1
    )


def test_customer_versions_tied_on_updated_at_are_rejected(raw, work):
    raw.append("customers", CUSTOMER, {**CUSTOMER, "city": "珠海市"})
    raw.append("orders", {**ORDER, "customer_id": "C900"})
    run = build(raw, work)
    assert rejected(run, "customers", "customer_id", "C900") == [
        "conflicting_version",
        "conflicting_version",
    ]
    # With the customer rejected, its order has no known customer.
    assert rejected(run, "orders", "order_id", "O900") == ["unknown_customer"]
    reconciliation(run, "customers")
    reconciliation(run, "orders")


def test_an_invalid_newer_version_does_not_displace_a_valid_one(raw, work):
    newer_bad = {**CUSTOMER, "updated_at": "2025-03-01 00:00:00", "customer_type": "vip"}
    raw.append("customers", CUSTOMER, newer_bad)
    run = build(raw, work)
    assert rejected(run, "customers", "customer_id", "C900") == ["invalid_customer_type"]
    assert (
        run.scalar(
            "select customer_type from staging.stg_crm__customers where customer_id = 'C900'"
        )
        == "individual"
    )


CUSTOMER_CASES = [
    ({"customer_id": ""}, "missing_customer_id"),
    ({"created_at": ""}, "missing_created_at"),
    ({"updated_at": "2025-13-45"}, "invalid_updated_at"),
    ({"customer_type": "vip"}, "invalid_customer_type"),
    ({"updated_at": "2023-01-01 00:00:00"}, "updated_before_created"),
    (
        {"created_at": "2099-01-01 00:00:00", "updated_at": "2099-01-02 00:00:00"},
        "future_created_at,future_updated_at",
    ),
]

OTHER_CASES = [
    (
        "receivables",
        "invoice_id",
        {
            "invoice_id": "I900",
            "customer_id": "C002",
            "issued_at": "2025-01-10",
            "due_at": "2025-02-10",
            "amount": "100.00",
            "paid_amount": "150.00",
            "paid_at": "",
        },
        "paid_exceeds_amount",
    ),
    (
        "receivables",
        "invoice_id",
        {
            "invoice_id": "I900",
            "customer_id": "C002",
            "issued_at": "2025-01-10",
            "due_at": "2025-01-01",
            "amount": "100.00",
            "paid_amount": "0",
            "paid_at": "",
        },
        "due_before_issued",
    ),
    (
        "receivables",
        "invoice_id",
        {
            "invoice_id": "I900",
            "customer_id": "C002",
            "issued_at": "2025-01-10",
            "due_at": "2025-02-10",
            "amount": "100.00",
            "paid_amount": "",
            "paid_at": "",
        },
        "missing_paid_amount",
    ),
    (
        "service_tickets",
        "ticket_id",
        {
            "ticket_id": "T900",
            "customer_id": "C001",
            "opened_at": "2025-03-05 10:00:00",
            "closed_at": "2025-03-04 10:00:00",
            "ticket_type": "complaint",
            "handling_minutes": "5",
        },
        "closed_before_opened",
    ),
    (
        "service_tickets",
        "ticket_id",
        {
            "ticket_id": "T900",
            "customer_id": "C001",
            "opened_at": "2025-03-05 10:00:00",
            "closed_at": "",
            "ticket_type": "praise",
            "handling_minutes": "-3",
        },
        "invalid_ticket_type,negative_handling_minutes",
    ),
    (
        "surveys",
        "response_id",
        {
            "response_id": "S900",
            "customer_id": "C001",
            "responded_at": "2025-03-10 10:00:00",
            "expectation_score": "11",
            "perception_score": "0",
            "recommend_score": "10",
        },
        "expectation_score_out_of_range,perception_score_out_of_range",
    ),
    (
        "surveys",
        "response_id",
        {
            "response_id": "S900",
            "customer_id": "C404",
            "responded_at": "2025-03-10 10:00:00",
            "expectation_score": "7.5",
            "perception_score": "7",
            "recommend_score": "",
        },
        "invalid_expectation_score,unknown_customer",
    ),
]


def _order_case(index: int, change: dict) -> dict:
    return {**ORDER, **change, "order_id": f"O9{index:02d}"}


def _customer_case(index: int, change: dict) -> dict:
    return {**CUSTOMER, "customer_id": f"C9{index:02d}", **change}


def _other_case(index: int, key: str, row: dict) -> dict:
    return {**row, key: f"{row[key]}-{index}"}


def build_with_rows(tmp_path_factory, name: str, rows: dict[str, list[dict]]):
    """One build of a copy of the clean folder with `rows` appended per entity: the shared
    build of a family of single-row cases, each row under its own key."""
    root = tmp_path_factory.mktemp(name)
    raw = RawFolder(root / "raw")
    shutil.copytree(CLEAN, raw.path)
    for entity, appended in rows.items():
        raw.append(entity, *appended)
    work = root / "work"
    work.mkdir()
    return build(raw, work)


@pytest.fixture(scope="module")
def bad_rows_build(tmp_path_factory):
    """One build of the clean folder with the row of every single-row case below."""
    rows = {
        "orders": [_order_case(i, c) for i, (c, _) in enumerate(ORDER_CASES)],
        "customers": [_customer_case(i, c) for i, (c, _) in enumerate(CUSTOMER_CASES)],
    }
    for i, (entity, key, row, _) in enumerate(OTHER_CASES):
        rows.setdefault(entity, []).append(_other_case(i, key, row))
    return build_with_rows(tmp_path_factory, "bad_rows", rows)


@pytest.mark.parametrize(
    ("index", "change", "reasons"),
    [(i, *case) for i, case in enumerate(ORDER_CASES)],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_bad_order_row_is_rejected_with_its_reasons(bad_rows_build, index, change, reasons):
    order_id = _order_case(index, change)["order_id"]
    assert rejected(bad_rows_build, "orders", "order_id", order_id) == [reasons]
    count = "select count(*) from staging.stg_crm__orders where order_id = ?"
    assert bad_rows_build.scalar(count, [order_id]) == 0


@pytest.mark.parametrize(
    ("index", "change", "reasons"),
    [(i, *case) for i, case in enumerate(CUSTOMER_CASES)],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_bad_customer_row_is_rejected_with_its_reasons(bad_rows_build, index, change, reasons):
    key = _customer_case(index, change)["customer_id"]
    where = "customer_id is null" if not key.strip() else "customer_id = ?"
    rows = bad_rows_build.query(
        f"select reject_reasons from audit.rejected_customers where {where}",
        [] if not key.strip() else [key],
    )
    assert [r[0] for r in rows] == [reasons]


@pytest.mark.parametrize(
    ("index", "entity", "key", "row", "reasons"),
    [(i, *case) for i, case in enumerate(OTHER_CASES)],
    ids=lambda v: v if isinstance(v, str) and "_" in v else None,
)
def test_bad_row_of_other_entities_is_rejected(bad_rows_build, index, entity, key, row, reasons):
    value = _other_case(index, key, row)[key]
    assert rejected(bad_rows_build, entity, key, value) == [reasons]


def test_every_bad_row_is_counted_once_and_the_rest_accepted(bad_rows_build):
    """The shared build reconciles: each case's row rejected, the clean rows accepted."""
    clean = RawFolder(CLEAN)
    added = {"orders": len(ORDER_CASES), "customers": len(CUSTOMER_CASES)}
    for entity, *_ in OTHER_CASES:
        added[entity] = added.get(entity, 0) + 1
    for entity, n in added.items():
        base = len(clean.rows(entity))
        assert reconciliation(bad_rows_build, entity) == {
            "raw_rows": base + n,
            "accepted_rows": base,
            "collapsed_rows": 0,
            "rejected_rows": n,
        }, entity


def test_rejected_share_over_its_bound_fails_the_build(raw, work):
    raw.append("orders", {**ORDER, "customer_id": "C999"})
    run = run_dbt(["build", *RAW_LAYERS], work, raw_dir=raw.path)
    assert run.returncode != 0
    assert "crm_rejected_share_within_bound_orders" in run.output
    # The per-entity override lifts the bound for orders alone.
    run = run_dbt(
        ["build", *RAW_LAYERS],
        work,
        raw_dir=raw.path,
        dbt_vars={"max_rejected_share_by_entity": {"orders": 0.5}},
    )
    assert run.returncode == 0, run.output[-3000:]
