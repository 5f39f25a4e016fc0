"""Unit tests of the value-picture reference (dimensions, lifecycle, quality) on tiny cases.

Nothing here touches dbt or a DuckDB warehouse: the reference itself is under test, with
expectations computed by hand from the issue-5 rulings, so that it can later be trusted to
check the marts.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from typing import Any

import pytest
from reference_value_picture import (
    DEFAULT_QUALITY_WEIGHTS,
    compute_picture,
    months_before,
    round_half_up,
    tercile_level,
)

AS_OF = dt.date(2024, 6, 1)  # value window (365 days): [2023-06-02, 2024-06-01)
OPENED = dt.datetime(2020, 1, 1, 9, 0)  # every customer's file opened long before AS_OF


def ago(days: int, hour: int = 12, as_of: dt.date = AS_OF) -> dt.datetime:
    """A timestamp `days` calendar days before `as_of`."""
    day = as_of - dt.timedelta(days=days)
    return dt.datetime(day.year, day.month, day.day, hour, 0)


def at(year: int, month: int, day: int, hour: int = 12) -> dt.datetime:
    return dt.datetime(year, month, day, hour, 0)


def done(
    cid: str, when: dt.datetime, amount: str, cost: str | None = None, quantity: int | None = 1
) -> tuple:
    """A valid (completed) order."""
    return (cid, when, "completed", quantity, D(amount), None if cost is None else D(cost))


def inputs(
    ids: list[str] | tuple[str, ...],
    orders: list[tuple] = (),
    *,
    receivables: list[tuple] = (),
    tickets: list[tuple] = (),
    surveys: list[tuple] = (),
    pyramid: dict[str, str] | None = None,
    clv: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "customers": [(cid, OPENED) for cid in ids],
        "orders": list(orders),
        "receivables": list(receivables),
        "service_tickets": list(tickets),
        "surveys": list(surveys),
        "pyramid": pyramid or {},
        "clv": clv or {},
    }


def column(rows: dict[str, dict[str, Any]], name: str) -> dict[str, Any]:
    return {cid: row[name] for cid, row in rows.items()}


# ------------------------------------------------------------------------------ helpers


def test_tercile_level_boundaries() -> None:
    assert tercile_level(1, 1) == "low"
    # n = 4: percent_rank 0, 1/3, 2/3, 1
    assert [tercile_level(k, 4) for k in range(1, 5)] == ["low", "medium", "high", "high"]
    # n = 7: rank 3 is exactly 1/3, rank 5 exactly 2/3
    assert [tercile_level(k, 7) for k in range(1, 8)] == [
        "low",
        "low",
        "medium",
        "medium",
        "high",
        "high",
        "high",
    ]
    with pytest.raises(ValueError):
        tercile_level(5, 4)


def test_round_half_up_is_exact_and_away_from_zero() -> None:
    assert round_half_up(D("0.0003125"), 6) == D("0.000313")  # half-even would give ...312
    assert round_half_up(D("-0.005"), 2) == D("-0.01")
    assert round_half_up(D("0.175"), 2) == D("0.18")
    assert str(round_half_up(D("7"), 2)) == "7.00"


def test_months_before_clamps_to_month_end() -> None:
    day = dt.date(2024, 5, 31)
    assert [months_before(day, 3 * q) for q in range(5)] == [
        dt.date(2024, 5, 31),
        dt.date(2024, 2, 29),
        dt.date(2023, 11, 30),
        dt.date(2023, 8, 31),
        dt.date(2023, 5, 31),
    ]


# ------------------------------------------------------------------------------ dimensions


def test_purchasing_power_terciles_with_ties_and_prospect() -> None:
    orders = [
        done("a", ago(10), "10"),
        done("b", ago(10), "20"),
        done("c", ago(10), "20"),
        done("d", ago(10), "30"),
    ]
    dims = compute_picture(inputs(["a", "b", "c", "d", "p"], orders), AS_OF)["dimensions"]
    # n = 4 buyers, ranks 1, 2, 2, 4 -> percent_rank 0, 1/3, 1/3, 1
    assert column(dims, "purchasing_power") == {
        "a": "low",
        "b": "medium",
        "c": "medium",
        "d": "high",
        "p": "unknown",
    }
    assert dims["p"]["mean_order_amount"] is None
    assert dims["p"]["has_valid_order"] is False
    assert dims["d"]["mean_order_amount"] == D("30.000000")


def test_single_buyer_is_low() -> None:
    dims = compute_picture(inputs(["a"], [done("a", ago(3), "999")]), AS_OF)["dimensions"]
    assert dims["a"]["purchasing_power"] == "low"
    assert dims["a"]["purchase_frequency"] == "low"


def test_mean_order_amount_window_fallback_and_rounding() -> None:
    orders = [
        # a: nothing in the window -> mean over all valid orders (1 + 2) / 2
        done("a", ago(400), "1.00"),
        done("a", ago(500), "2.00"),
        # b: the window order only; the old order and a cancelled one are ignored
        done("b", ago(365), "5.00"),  # exactly window_start: inside
        done("b", ago(366), "100.00"),
        ("b", ago(5), "cancelled", 1, D("700.00"), None),
        # c: 0.01 over 32 orders = 0.0003125 -> half-up 0.000313
        done("c", ago(1), "0.01"),
        *[done("c", ago(1), "0.00") for _ in range(31)],
    ]
    dims = compute_picture(inputs(["a", "b", "c"], orders), AS_OF)["dimensions"]
    assert dims["a"]["mean_order_amount"] == D("1.500000")
    assert dims["b"]["mean_order_amount"] == D("5.000000")
    assert dims["c"]["mean_order_amount"] == D("0.000313")
    assert column(dims, "value_window_orders") == {"a": 0, "b": 1, "c": 32}
    # frequency ranks: a 1, b 2, c 3 of n = 3; a has none in the window -> low anyway
    assert column(dims, "purchase_frequency") == {"a": "low", "b": "medium", "c": "high"}


def test_scope_excludes_late_customers_and_orders() -> None:
    data = inputs(["a"], [done("a", at(2024, 6, 1, 0), "10")])  # ordered on as_of: not valid
    data["customers"].append(("late", at(2024, 6, 1, 0)))
    out = compute_picture(data, AS_OF)
    assert list(out["dimensions"]) == ["a"]
    assert out["dimensions"]["a"]["has_valid_order"] is False
    assert out["lifecycle"]["a"]["lifecycle_stage"] == "prospect"
    assert out["quality"] == {}


def test_purchase_potential_from_clv() -> None:
    orders = [done(cid, ago(10), "10") for cid in ("a", "b", "c", "d")]
    clv = {
        "a": {"p_alive": 0.9, "clv": D("5.00")},
        "b": {"p_alive": 0.9, "clv": D("1.00")},
        "c": {"p_alive": 0.9, "clv": D("9.00")},
        # d: no clv row; p: a prospect with a row still is unknown
        "p": {"p_alive": 0.5, "clv": D("100.00")},
    }
    dims = compute_picture(inputs(["a", "b", "c", "d", "p"], orders, clv=clv), AS_OF)["dimensions"]
    # n = 3 customers with a clv: b rank 1, a rank 2, c rank 3
    assert column(dims, "purchase_potential") == {
        "a": "medium",
        "b": "low",
        "c": "high",
        "d": "unknown",
        "p": "unknown",
    }
    assert dims["c"]["clv"] == D("9.00")
    assert dims["d"]["clv"] is None and dims["d"]["p_alive"] is None


@pytest.mark.parametrize(
    ("scores", "ratio", "level"),
    [
        ([(9, 6), (6, 8)], 1.0, "high"),  # 2/3 and 4/3 average exactly 1
        ([(10, 8)], 0.8, "medium"),  # exactly satisfaction_medium_min
        ([(7, 7), (7, 6), (7, 8)], 1.0, "high"),  # 1, 6/7, 8/7
        ([(9, 7)], 7 / 9, "low"),
        ([], None, "unknown"),
    ],
)
def test_satisfaction_exact_boundaries(scores, ratio, level) -> None:
    surveys = [
        (f"S{i}", "a", ago(10 + i), expectation, perception, None)
        for i, (expectation, perception) in enumerate(scores)
    ]
    # a survey outside the window never counts
    surveys.append(("S_old", "a", ago(366), 10, 1, 0))
    dims = compute_picture(inputs(["a"], surveys=surveys), AS_OF)["dimensions"]
    assert dims["a"]["surveys_in_window"] == len(scores)
    assert dims["a"]["satisfaction_ratio"] == ratio
    assert dims["a"]["satisfaction"] == level


def test_active_quarters_clamp_and_loyalty() -> None:
    as_of = dt.date(2024, 5, 31)
    # quarters: Q1 [2024-02-29, 2024-05-31), Q2 [2023-11-30, 2024-02-29),
    #           Q3 [2023-08-31, 2023-11-30), Q4 [2023-05-31, 2023-08-31)
    # value window: [2023-06-01, 2024-05-31) (365 days back crosses 2024-02-29)
    orders = [
        # x: Q1 and Q2 starts exactly
        done("x", at(2024, 2, 29), "1"),
        done("x", at(2023, 11, 30), "1"),
        # y: the days just before them -> Q2 and Q3
        done("y", at(2024, 2, 28), "1"),
        done("y", at(2023, 11, 29), "1"),
        # z: the day before Q4 counts in no quarter
        done("z", at(2023, 5, 30), "1"),
        # h: tenure exactly 365 days, orders in Q4, Q3, Q2 -> loyalty high
        done("h", at(2023, 6, 1), "1"),
        done("h", at(2023, 9, 1), "1"),
        done("h", at(2023, 12, 1), "1"),
        # m: same pattern a day later: tenure 364 -> medium (3 window orders)
        done("m", at(2023, 6, 2), "1"),
        done("m", at(2023, 9, 1), "1"),
        done("m", at(2023, 12, 1), "1"),
        # o: old customer (tenure 366), only two active quarters, one window order -> low
        done("o", at(2023, 5, 31), "1"),
        done("o", at(2024, 3, 1), "1"),
    ]
    ids = ["x", "y", "z", "h", "m", "o", "p"]
    dims = compute_picture(inputs(ids, orders), as_of)["dimensions"]
    assert column(dims, "active_quarters") == {
        "x": 2,
        "y": 2,
        "z": 0,
        "h": 3,
        "m": 3,
        "o": 2,
        "p": 0,
    }
    assert column(dims, "tenure_days")["h"] == 365
    assert column(dims, "tenure_days")["m"] == 364
    assert column(dims, "tenure_days")["o"] == 366
    assert dims["p"]["tenure_days"] is None
    assert column(dims, "value_window_orders")["o"] == 1  # 2023-05-31 is before the window
    assert column(dims, "loyalty") == {
        "x": "medium",
        "y": "medium",
        "z": "low",
        "h": "high",
        "m": "medium",
        "o": "low",
        "p": "low",
    }


@pytest.mark.parametrize(
    ("p_alive", "risk"),
    [(None, "unknown"), (0.0, "high"), (0.29, "high"), (0.3, "medium"), (0.69, "medium"),
     (0.7, "low"), (1.0, "low")],
)  # fmt: skip
def test_churn_risk_boundaries(p_alive, risk) -> None:
    clv = {} if p_alive is None else {"a": {"p_alive": p_alive, "clv": D("1")}}
    dims = compute_picture(inputs(["a"], [done("a", ago(1), "1")], clv=clv), AS_OF)["dimensions"]
    assert dims["a"]["churn_risk"] == risk
    assert dims["a"]["p_alive"] == p_alive


def test_complaints_and_nps() -> None:
    tickets = [
        ("a", ago(1), "complaint", D("5")),
        ("a", ago(365), "complaint", None),  # window start: counts
        ("a", ago(366), "complaint", D("5")),  # before the window
        ("a", ago(2), "inquiry", D("5")),
    ]
    surveys = [
        # a: S2 and S3 share the latest time -> greatest response_id (S3); S9 has no score
        ("S1", "a", ago(20), 8, 8, 10),
        ("S3", "a", ago(10), 8, 8, 6),
        ("S2", "a", ago(10), 8, 8, 10),
        ("S9", "a", ago(1), 8, 8, None),
        ("S4", "b", ago(5), 8, 8, 9),
        ("S5", "c", ago(5), 8, 8, 7),
        ("S6", "d", ago(5), 8, 8, None),
        ("S7", "e", ago(400), 8, 8, 10),  # outside the window
    ]
    ids = ["a", "b", "c", "d", "e"]
    dims = compute_picture(inputs(ids, tickets=tickets, surveys=surveys), AS_OF)["dimensions"]
    assert column(dims, "complaints") == {"a": 2, "b": 0, "c": 0, "d": 0, "e": 0}
    assert column(dims, "latest_recommend_score") == {
        "a": 6,
        "b": 9,
        "c": 7,
        "d": None,
        "e": None,
    }
    assert column(dims, "nps_class") == {
        "a": "detractor",
        "b": "promoter",
        "c": "passive",
        "d": None,
        "e": None,
    }
    assert dims["a"]["surveys_in_window"] == 4
    assert dims["e"]["satisfaction"] == "unknown"


# ------------------------------------------------------------------------------ lifecycle


def test_lifecycle_stages() -> None:
    orders = [
        done("new90", ago(90), "1"),  # exactly new_customer_days -> new
        done("mat91", ago(91), "1"),  # one day more -> mature
        done("react", ago(400), "1"),
        done("react", ago(35), "1"),  # gap exactly 365 -> reactivated
        done("mat364", ago(399), "1"),
        done("mat364", ago(35), "1"),  # gap 364 -> mature
        done("lost", ago(366), "1"),  # nothing in the window
        done("edge", ago(365), "1"),  # window start -> mature
        # two orders on one day: previous_order_date is the distinct day before
        done("same", ago(200), "1"),
        done("same", ago(100, hour=9), "1"),
        done("same", ago(100, hour=18), "1"),
    ]
    ids = ["new90", "mat91", "react", "mat364", "lost", "edge", "same", "pros"]
    life = compute_picture(inputs(ids, orders), AS_OF)["lifecycle"]
    assert column(life, "lifecycle_stage") == {
        "new90": "new",
        "mat91": "mature",
        "react": "reactivated",
        "mat364": "mature",
        "lost": "lost",
        "edge": "mature",
        "same": "mature",
        "pros": "prospect",
    }
    assert life["same"] == {
        "first_order_date": AS_OF - dt.timedelta(days=200),
        "last_order_date": AS_OF - dt.timedelta(days=100),
        "previous_order_date": AS_OF - dt.timedelta(days=200),
        "lifecycle_stage": "mature",
        "loyalty_type": "marginal",
    }
    assert life["new90"]["previous_order_date"] is None
    assert life["pros"]["first_order_date"] is None


def test_new_is_checked_before_reactivated() -> None:
    orders = [
        done("a", ago(80), "1"),
        done("a", ago(10), "1"),  # gap 70 >= 30, but first order 80 <= 90 days ago
        done("b", ago(100), "1"),
        done("b", ago(10), "1"),  # gap 90 >= 30, first order 100 days ago
    ]
    life = compute_picture(
        inputs(["a", "b"], orders), AS_OF, value_window_days=30, new_customer_days=90
    )["lifecycle"]
    assert life["a"]["lifecycle_stage"] == "new"
    assert life["b"]["lifecycle_stage"] == "reactivated"


def test_loyalty_type_order() -> None:
    as_of = dt.date(2024, 5, 31)
    loyal_pattern = [at(2023, 6, 1), at(2023, 9, 1), at(2023, 12, 1)]  # loyalty high
    orders = [
        *[done("loyal", t, "1") for t in loyal_pattern],
        *[done("churn", t, "1") for t in loyal_pattern],  # would be loyal, but churn high
        *[done("small", t, "1") for t in loyal_pattern],  # pyramid small -> not loyal
        done("gone", at(2023, 1, 1), "1"),  # no window order: lost
        done("new", at(2024, 5, 1), "1"),  # new, but churn high -> lost
        done("fresh", at(2024, 5, 1), "1"),  # new, no clv row -> potential
    ]
    clv = {
        "loyal": {"p_alive": 0.9, "clv": D("1")},
        "churn": {"p_alive": 0.2, "clv": D("3")},
        "small": {"p_alive": 0.9, "clv": D("2")},
        "gone": {"p_alive": 0.9, "clv": D("5")},  # high potential does not save it
        "new": {"p_alive": 0.05, "clv": D("0")},  # churn high -> lost before potential
        "pros": {"p_alive": 0.01, "clv": D("0")},  # prospects are never lost
    }
    pyramid = {"loyal": "medium", "churn": "top", "small": "small", "gone": "inactive"}
    ids = ["loyal", "churn", "small", "gone", "new", "fresh", "pros", "pros2"]
    out = compute_picture(inputs(ids, orders, pyramid=pyramid, clv=clv), as_of)
    dims, life = out["dimensions"], out["lifecycle"]
    assert dims["churn"]["loyalty"] == "high"
    assert dims["churn"]["churn_risk"] == "high"
    assert dims["pros"]["churn_risk"] == "high"
    # clv terciles among the 5 buyers: new 0 (1), loyal 1 (2), small 2 (3), churn 3 (4),
    # gone 5 (5) -> percent_rank 0, 1/4, 1/2, 3/4, 1
    assert dims["small"]["purchase_potential"] == "medium"
    assert (dims["fresh"]["purchase_potential"], dims["fresh"]["churn_risk"]) == (
        "unknown",
        "unknown",
    )
    assert life["fresh"]["lifecycle_stage"] == "new"
    assert column(life, "loyalty_type") == {
        "loyal": "loyal",
        "churn": "lost",
        "small": "marginal",
        "gone": "lost",
        "new": "lost",
        "fresh": "potential",
        "pros": "potential",
        "pros2": "potential",
    }
    # high purchase potential alone makes a non-loyal active buyer potential
    pyramid["small"] = "medium"
    clv["small"]["clv"] = D("4")
    out = compute_picture(inputs(ids, orders, pyramid=pyramid, clv=clv), as_of)
    assert out["lifecycle"]["small"]["loyalty_type"] == "loyal"
    pyramid["small"] = "small"
    out = compute_picture(inputs(ids, orders, pyramid=pyramid, clv=clv), as_of)
    assert out["dimensions"]["small"]["purchase_potential"] == "high"
    assert out["lifecycle"]["small"]["loyalty_type"] == "potential"


# ------------------------------------------------------------------------------ quality


def test_quality_ranks_nulls_worst_and_inverted() -> None:
    orders = [
        # a: revenue 100, volume 5, margin 40, one purchase day (cycle null)
        done("a", ago(10), "100", cost="60", quantity=5),
        # b: revenue 200, no quantity, no cost, days 30 and 10 ago (cycle 20)
        done("b", ago(30), "100", quantity=None),
        done("b", ago(10), "100", quantity=None),
        # c: revenue 50, volume 5, margin 40, days 40, 20, 10 ago (gaps 20, 10 -> 15)
        done("c", ago(40), "20", cost="5", quantity=2),
        done("c", ago(20), "20", cost="5", quantity=2),
        done("c", ago(10), "10", cost="0", quantity=1),
        done("c", ago(500), "999", cost="0", quantity=99),  # outside the window
        done("old", ago(400), "10"),  # not paying: no quality row
    ]
    receivables = [("b", at(2024, 1, 1), at(2024, 2, 1), D("80"), D("30"), None)]
    tickets = [
        ("a", ago(3), "inquiry", D("10")),
        ("c", ago(3), "repair", D("40")),
        ("c", ago(4), "complaint", D("5")),
        ("c", ago(5), "request", None),
    ]
    data = inputs(["a", "b", "c", "old"], orders, receivables=receivables, tickets=tickets)
    quality = compute_picture(data, AS_OF)["quality"]
    assert list(quality) == ["a", "b", "c"]
    a, b, c = quality["a"], quality["b"], quality["c"]
    assert (a["revenue"], a["volume"], a["margin"]) == (D("100"), 5, D("40"))
    assert (b["revenue"], b["volume"], b["margin"]) == (D("200"), None, None)
    assert (c["revenue"], c["volume"], c["margin"]) == (D("50"), 5, D("40"))
    assert column(quality, "overdue_debt") == {"a": 0, "b": D("50"), "c": 0}
    assert column(quality, "purchase_cycle_days") == {"a": None, "b": 20.0, "c": 15.0}
    assert column(quality, "service_minutes") == {"a": D("10"), "b": 0, "c": D("45")}
    assert column(quality, "cost_to_serve") == {"a": D("10.00"), "b": D("0.00"), "c": D("45.00")}
    # ranks (n = 3, better is higher; nulls rank 1):
    #   revenue asc: c 1, a 2, b 3          volume: b 1 (null), a 2, c 2
    #   margin: b 1 (null), a 2, c 2        overdue desc: b 1, a 2, c 2
    #   cycle desc: a 1 (null), b 2, c 3    cost desc: c 1, a 2, b 3
    assert column(quality, "revenue_percent_rank") == {"a": 0.5, "b": 1.0, "c": 0.0}
    assert column(quality, "volume_percent_rank") == {"a": 0.5, "b": 0.0, "c": 0.5}
    assert column(quality, "margin_percent_rank") == {"a": 0.5, "b": 0.0, "c": 0.5}
    assert column(quality, "overdue_debt_percent_rank") == {"a": 0.5, "b": 0.0, "c": 0.5}
    assert column(quality, "purchase_cycle_percent_rank") == {"a": 0.0, "b": 0.5, "c": 1.0}
    assert column(quality, "cost_to_serve_percent_rank") == {"a": 0.5, "b": 1.0, "c": 0.0}
    # points: a .25 + .15 + .20 + .15 + 0 + .10 = .85; b .50 + .15 + .20 = .85;
    #         c 0 + .15 + .20 + .15 + .30 + 0 = .80
    assert column(quality, "quality_points") == {"a": D("0.85"), "b": D("0.85"), "c": D("0.80")}
    assert column(quality, "quality_score") == {"a": 0.425, "b": 0.425, "c": 0.4}
    assert column(quality, "quality_rank") == {"a": 1, "b": 2, "c": 3}  # tie: customer_id
    # top share: rank <= 3 * 0.2 = 0.6 -> nobody
    assert not any(column(quality, "is_quality_customer").values())
    # net: a margin 40 - 10 = 30; b 200 * 0.30 - 0 - 50 = 10; c 40 - 45 = -5
    assert column(quality, "net_value") == {"a": D("30.00"), "b": D("10.00"), "c": D("-5.00")}
    assert column(quality, "is_unprofitable") == {"a": False, "b": False, "c": True}
    assert column(quality, "quality_tier") == {
        "a": "standard",
        "b": "standard",
        "c": "unprofitable",
    }


def test_single_paying_customer() -> None:
    quality = compute_picture(inputs(["a"], [done("a", ago(1), "10")]), AS_OF)["quality"]
    row = quality["a"]
    assert row["quality_points"] == 0 and row["quality_score"] == 0.0
    assert row["revenue_percent_rank"] == 0.0
    assert row["quality_rank"] == 1
    assert row["is_quality_customer"] is False  # 1 <= 1 * 0.2 is false
    assert row["quality_tier"] == "standard"


@pytest.mark.parametrize(
    ("share", "top"), [(D("0.20"), 2), (0.2, 2), (D("0.25"), 2), (D("0.3"), 3)]
)
def test_top_share_boundary(share, top) -> None:
    ids = [f"c{i:02d}" for i in range(1, 11)]
    # revenue i for customer i; every other measure ties -> points 0.25 * (i - 1)
    orders = [done(cid, ago(5), str(i)) for i, cid in enumerate(ids, start=1)]
    quality = compute_picture(inputs(ids, orders), AS_OF, quality_top_share=share)["quality"]
    assert quality["c10"]["quality_points"] == D("2.25")
    assert column(quality, "quality_rank") == {cid: 11 - i for i, cid in enumerate(ids, start=1)}
    chosen = sorted(cid for cid, row in quality.items() if row["is_quality_customer"])
    assert chosen == ids[10 - top :]
    assert all(quality[cid]["quality_tier"] == "quality" for cid in chosen)


def test_quality_rank_ties_go_by_customer_id() -> None:
    ids = ["e", "d", "c", "b", "a"]
    orders = [done(cid, ago(5), "10") for cid in ids]  # all measures tie: points 0
    quality = compute_picture(inputs(ids, orders), AS_OF, quality_top_share=D("0.4"))["quality"]
    assert column(quality, "quality_rank") == {"a": 1, "b": 2, "c": 3, "d": 4, "e": 5}
    assert column(quality, "is_quality_customer") == {
        "a": True,
        "b": True,
        "c": False,
        "d": False,
        "e": False,
    }


def test_net_value_rounding_with_and_without_cost() -> None:
    orders = [
        done("a", ago(1), "1.00"),  # no cost: 1.00 * 0.30 = 0.30
        done("b", ago(1), "1.00", cost="0.88"),  # margin 0.12
        done("c", ago(1), "1.00", cost="0.87"),  # margin 0.13
    ]
    tickets = [(cid, ago(1), "inquiry", D("1")) for cid in ("a", "b", "c")]
    quality = compute_picture(
        inputs(["a", "b", "c"], orders, tickets=tickets), AS_OF, cost_per_service_minute="0.125"
    )["quality"]
    # cost to serve 0.125 exactly, served as 0.13
    assert column(quality, "cost_to_serve") == {cid: D("0.13") for cid in "abc"}
    # a: 0.30 - 0.125 = 0.175 -> 0.18; b: 0.12 - 0.125 = -0.005 -> -0.01 (unprofitable);
    # c: 0.13 - 0.125 = 0.005 -> 0.01
    assert column(quality, "net_value") == {"a": D("0.18"), "b": D("-0.01"), "c": D("0.01")}
    assert column(quality, "is_unprofitable") == {"a": False, "b": True, "c": False}
    assert column(quality, "margin") == {"a": None, "b": D("0.12"), "c": D("0.13")}


def test_overdue_debt_as_of_date() -> None:
    issued, due = at(2024, 1, 1, 0), at(2024, 3, 1, 0)
    receivables = [
        ("a", issued, due, D("100"), D("30"), None),  # unpaid: 100 - 30
        ("a", issued, due, D("200"), D("200"), at(2024, 6, 1, 0)),  # paid on as_of: open
        ("a", issued, due, D("40"), D("40"), at(2024, 7, 1, 0)),  # paid later: whole 40
        ("a", issued, due, D("500"), D("500"), at(2024, 5, 31, 23)),  # paid before: 0
        ("a", issued, at(2024, 6, 1, 0), D("700"), D("0"), None),  # due on as_of: not overdue
        ("a", at(2024, 6, 1, 0), at(2024, 6, 1, 0), D("900"), D("0"), None),  # issued later
        ("x", issued, due, D("1000"), D("0"), None),  # not in scope
    ]
    out = compute_picture(inputs(["a"], [done("a", ago(1), "1")], receivables=receivables), AS_OF)
    assert out["quality"]["a"]["overdue_debt"] == D("310")
    assert out["quality"]["a"]["net_value"] == D("-309.70")  # 0.30 - 0 - 310


def test_purchase_cycle_uses_window_days_only() -> None:
    orders = [
        done("a", ago(400), "1"),  # before the window: not part of any gap
        done("a", ago(30), "1"),
        done("a", ago(29), "1"),
        done("a", ago(24), "1"),
        done("a", ago(24), "1"),  # same day: one purchase day
        done("a", ago(14), "1"),  # gaps 1, 5, 10 -> median 5
    ]
    quality = compute_picture(inputs(["a"], orders), AS_OF)["quality"]
    assert quality["a"]["purchase_cycle_days"] == 5.0
    assert quality["a"]["volume"] == 5


def test_vars_are_validated() -> None:
    data = inputs(["a"], [done("a", ago(1), "1")])
    bad = dict(DEFAULT_QUALITY_WEIGHTS, revenue=D("0.30"))
    with pytest.raises(ValueError, match="sum to 1"):
        compute_picture(data, AS_OF, quality_weights=bad)
    with pytest.raises(ValueError, match="keys"):
        compute_picture(data, AS_OF, quality_weights={"revenue": D("1")})
    with pytest.raises(ValueError, match="value_window_days"):
        compute_picture(data, AS_OF, value_window_days=0)
