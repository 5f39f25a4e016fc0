"""Unit tests of the reference value model on tiny, hand-computed cases.

Nothing here touches dbt or a DuckDB warehouse: the reference itself is under test, so
that it can later be trusted to check the marts.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from reference_value_model import (
    DEFAULT_SEGMENT_GRID,
    compute,
    grid_problems,
    quantile_score,
)

AS_OF = dt.date(2024, 6, 1)
OPENED = dt.datetime(2020, 1, 1, 9, 0)  # every customer's file opened long before AS_OF


def ago(days: int, hour: int = 12, minute: int = 0) -> dt.datetime:
    """A timestamp `days` calendar days before AS_OF (so recency_days = days)."""
    day = AS_OF - dt.timedelta(days=days)
    return dt.datetime(day.year, day.month, day.day, hour, minute)


def customers(*ids: str) -> list[tuple[str, dt.datetime]]:
    return [(cid, OPENED) for cid in ids]


def done(cid: str, at: dt.datetime, amount: str, cost: str | None = None) -> tuple:
    """A valid (completed) order."""
    return (cid, at, "completed", D(amount), None if cost is None else D(cost))


def scores(row: dict) -> tuple[int, int, int]:
    return row["r_score"], row["f_score"], row["m_score"]


# --------------------------------------------------------------------------- RFM scores


def test_quantile_score_formula() -> None:
    assert quantile_score(1, 1) == 1
    assert [quantile_score(k, 2) for k in (1, 2)] == [1, 5]
    # n = 6: 1 + (5 * (k - 1)) // 5 = k, capped at 5
    assert [quantile_score(k, 6) for k in range(1, 7)] == [1, 2, 3, 4, 5, 5]
    # n = 11: 1 + (5 * (k - 1)) // 10 = 1 + (k - 1) // 2, capped at 5
    assert [quantile_score(k, 11) for k in range(1, 12)] == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 5]
    with pytest.raises(ValueError):
        quantile_score(3, 2)


def test_one_customer_scores_one() -> None:
    out = compute(customers("a"), [done("a", ago(10), "50.00", "20.00")], as_of_date=AS_OF)
    assert out["as_of_date"] == AS_OF
    assert out["rfm"] == {
        "a": {
            "last_order_date": AS_OF - dt.timedelta(days=10),
            "recency_days": 10,
            "frequency": 1,
            "monetary": D("50.00"),
            "r_score": 1,
            "f_score": 1,
            "m_score": 1,
            "fm_score": 1,
            "rfm_cell": "111",
            # nothing is strictly below / above its own mean
            "rfm8_segment": "general_winback",
            "rfm_segment": "lost",
        }
    }
    assert out["abc"] == {
        "a": {
            "abc_measure_value": D("50.00"),
            "abc_rank": 1,
            "cum_share_before": 0.0,
            "abc_class": "A",
        }
    }
    # one paying customer: rank 1 <= 0.20 * 1? no -> small
    assert out["pyramid"] == {
        "a": {
            "value_window_revenue": D("50.00"),
            "pyramid_rank": 1,
            "pyramid_position": 1.0,
            "pyramid_tier": "small",
        }
    }


def test_default_as_of_date_is_day_after_last_valid_order() -> None:
    orders = [
        done("a", dt.datetime(2024, 5, 31, 23, 59), "10"),
        ("a", dt.datetime(2024, 6, 3, 8, 0), "cancelled", D("99"), None),  # not valid
    ]
    assert compute(customers("a"), orders)["as_of_date"] == dt.date(2024, 6, 1)
    orders.append(done("a", dt.datetime(2024, 6, 1, 0, 0), "10"))
    assert compute(customers("a"), orders)["as_of_date"] == dt.date(2024, 6, 2)


def test_two_customers() -> None:
    orders = [
        done("a", ago(5), "10"),
        done("a", ago(20), "20"),  # a: recency 5, frequency 2, monetary 30
        done("b", ago(10), "100"),  # b: recency 10, frequency 1, monetary 100
    ]
    rfm = compute(customers("a", "b"), orders, as_of_date=AS_OF)["rfm"]
    # n = 2: rank 1 -> 1, rank 2 -> least(5, 1 + 5 // 1) = 5.
    # r (recency desc): b (10) rank 1, a (5) rank 2; f asc: b 1, a 2; m asc: a 30, b 100
    assert scores(rfm["a"]) == (5, 5, 1)
    assert scores(rfm["b"]) == (1, 1, 5)
    # fm = ceil((5 + 1) / 2) = 3 for both
    assert rfm["a"]["fm_score"] == rfm["b"]["fm_score"] == 3
    assert (rfm["a"]["rfm_cell"], rfm["b"]["rfm_cell"]) == ("551", "115")
    assert rfm["a"]["rfm_segment"] == "loyal"  # cell R5 FM3
    assert rfm["b"]["rfm_segment"] == "at_risk"  # cell R1 FM3
    # means: recency 7.5, frequency 1.5, monetary 65
    assert rfm["a"]["rfm8_segment"] == "general_value"  # high high low
    assert rfm["b"]["rfm8_segment"] == "important_winback"  # low low high


def test_ties_share_the_lowest_rank() -> None:
    # five customers, same day, one order each; monetary 10, 20, 20, 20, 30
    amounts = {"a": "10", "b": "20", "c": "20", "d": "20", "e": "30"}
    orders = [done(cid, ago(3), amt) for cid, amt in amounts.items()]
    rfm = compute(customers(*amounts), orders, as_of_date=AS_OF)["rfm"]
    # m ranks 1, 2, 2, 2, 5 (rank(), not dense_rank) with n = 5:
    # 1 + 0 // 4 = 1; 1 + 5 // 4 = 2; 1 + 20 // 4 = 6 -> 5
    assert {cid: row["m_score"] for cid, row in rfm.items()} == {
        "a": 1,
        "b": 2,
        "c": 2,
        "d": 2,
        "e": 5,
    }
    # equal recency and frequency everywhere: everyone rank 1 -> score 1
    assert {row["r_score"] for row in rfm.values()} == {1}
    assert {row["f_score"] for row in rfm.values()} == {1}


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        # n = 6: score(k) = least(5, 1 + 5 (k - 1) // 5) = 1, 2, 3, 4, 5, (6 -> 5)
        (6, [1, 2, 3, 4, 5, 5]),
        # n = 11: score(k) = least(5, 1 + 5 (k - 1) // 10):
        # k=1: 0//10=0 ->1, k=2: 5//10=0 ->1, k=3: 10//10=1 ->2, k=4: 15//10=1 ->2,
        # k=5: 20//10=2 ->3, k=6: 25//10=2 ->3, k=7: 30//10=3 ->4, k=8: 35//10=3 ->4,
        # k=9: 40//10=4 ->5, k=10: 45//10=4 ->5, k=11: 50//10=5 ->6 -> 5
        (11, [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 5]),
    ],
)
def test_rfm_scores_at_fifths(n: int, expected: list[int]) -> None:
    # customer i (1..n) has i orders of amount i on day AS_OF - (n + 1 - i):
    # recency n+1-i (descending in i -> rank i), frequency i, monetary i*i (both rank i)
    ids = [f"c{i:02d}" for i in range(1, n + 1)]
    orders = [
        done(cid, ago(n + 1 - i), str(i)) for i, cid in enumerate(ids, start=1) for _ in range(i)
    ]
    rfm = compute(customers(*ids), orders, as_of_date=AS_OF)["rfm"]
    for i, cid in enumerate(ids, start=1):
        row = rfm[cid]
        assert (row["recency_days"], row["frequency"], row["monetary"]) == (n + 1 - i, i, i * i)
        k = expected[i - 1]
        assert scores(row) == (k, k, k), cid
        assert row["fm_score"] == k
        assert row["rfm_cell"] == f"{k}{k}{k}"


def test_fixed_edges() -> None:
    orders = [
        done("a", ago(30), "60"),
        done("a", ago(40), "40"),  # a: recency 30, frequency 2, monetary 100
        done("b", ago(31), "99.99"),  # b: recency 31, frequency 1, monetary 99.99
        *[done("c", ago(400), "500") for _ in range(10)],  # c: 400, 10, 5000
    ]
    rfm = compute(
        customers("a", "b", "c"),
        orders,
        as_of_date=AS_OF,
        rfm_score_method="fixed",
        rfm_recency_edges=(30, 90, 180, 365),
        rfm_frequency_edges=(2, 3, 5, 10),
        rfm_monetary_edges=(D("100"), D("500"), D("1000"), D("5000")),
    )["rfm"]
    # r = 5 - #{e: recency > e}; f, m = 1 + #{e: value >= e}
    assert scores(rfm["a"]) == (5, 2, 2)  # 30 > 30 is false; 2 >= 2; 100 >= 100
    assert scores(rfm["b"]) == (4, 1, 1)  # 31 > 30; 1 < 2; 99.99 < 100
    assert scores(rfm["c"]) == (1, 5, 5)  # 400 > all four; 10 >= 10; 5000 >= 5000
    assert rfm["a"]["rfm_segment"] == "potential_loyalist"  # R5 FM2
    assert rfm["b"]["rfm_segment"] == "promising"  # R4 FM1
    assert rfm["c"]["rfm_segment"] == "cant_lose_them"  # R1 FM5
    with pytest.raises(ValueError, match="rfm_recency_edges"):
        compute(customers("a"), orders, as_of_date=AS_OF, rfm_score_method="fixed")
    with pytest.raises(ValueError, match="4 edges"):
        compute(
            customers("a"),
            orders,
            as_of_date=AS_OF,
            rfm_score_method="fixed",
            rfm_recency_edges=(1, 2, 3),
            rfm_frequency_edges=(1, 2, 3, 4),
            rfm_monetary_edges=(1, 2, 3, 4),
        )


def test_rfm_window_allows_zero_frequency() -> None:
    orders = [
        done("a", ago(100), "50"),
        done("a", ago(10), "20"),  # a: recency 10; in a 30-day window: 1 order, 20
        done("b", ago(100), "70"),  # b: recency 100; nothing in the window
    ]
    rfm = compute(customers("a", "b"), orders, as_of_date=AS_OF, rfm_window_days=30)["rfm"]
    assert (rfm["a"]["frequency"], rfm["a"]["monetary"]) == (1, D("20"))
    assert (rfm["b"]["frequency"], rfm["b"]["monetary"]) == (0, D("0"))
    assert rfm["b"]["recency_days"] == 100
    assert scores(rfm["a"]) == (5, 5, 5)
    assert scores(rfm["b"]) == (1, 1, 1)
    # without the window: all history
    rfm = compute(customers("a", "b"), orders, as_of_date=AS_OF)["rfm"]
    assert (rfm["a"]["frequency"], rfm["a"]["monetary"]) == (2, D("70"))


# --------------------------------------------------------------------------- rfm8


def test_rfm8_mean_versus_median() -> None:
    orders = [
        done("c1", ago(1), "10"),
        done("c2", ago(2), "20"),
        done("c3", ago(3), "30"),
        done("c4", ago(4), "40"),
        done("c5", ago(100), "500"),
        *[done("c5", ago(100 + k), "100") for k in range(1, 6)],
    ]
    # recency 1, 2, 3, 4, 100; frequency 1, 1, 1, 1, 6; monetary 10, 20, 30, 40, 1000
    ids = ("c1", "c2", "c3", "c4", "c5")
    mean = compute(customers(*ids), orders, as_of_date=AS_OF)["rfm"]
    # means 22, 2, 220: R high c1..c4, F high c5, M high c5
    assert {cid: row["rfm8_segment"] for cid, row in mean.items()} == {
        "c1": "general_development",
        "c2": "general_development",
        "c3": "general_development",
        "c4": "general_development",
        "c5": "important_retention",
    }
    median = compute(customers(*ids), orders, as_of_date=AS_OF, rfm8_baseline="median")["rfm"]
    # medians 3, 1, 30: R high c1, c2 (3 < 3 is false); F high c5; M high c4, c5
    assert {cid: row["rfm8_segment"] for cid, row in median.items()} == {
        "c1": "general_development",
        "c2": "general_development",
        "c3": "general_winback",
        "c4": "important_winback",
        "c5": "important_retention",
    }


def test_rfm8_median_of_even_count_averages_the_middle_pair() -> None:
    # recency 1, 3, 5, 100: median (3 + 5) / 2 = 4, mean 27.25
    orders = [done(f"r{d:03d}", ago(d), "10") for d in (1, 3, 5, 100)]
    ids = [o[0] for o in orders]
    median = compute(customers(*ids), orders, as_of_date=AS_OF, rfm8_baseline="median")["rfm"]
    assert [median[cid]["rfm8_segment"] for cid in ids] == [
        "general_development",
        "general_development",  # 3 < 4 (a lower median of 3 would say winback)
        "general_winback",
        "general_winback",
    ]
    mean = compute(customers(*ids), orders, as_of_date=AS_OF)["rfm"]
    assert mean["r005"]["rfm8_segment"] == "general_development"  # 5 < 27.25


# --------------------------------------------------------------------------- grid


def test_default_grid_covers_every_pair_once() -> None:
    assert len(DEFAULT_SEGMENT_GRID) == 25
    assert grid_problems(DEFAULT_SEGMENT_GRID) == []
    assert DEFAULT_SEGMENT_GRID[(5, 5)] == "champions"
    assert DEFAULT_SEGMENT_GRID[(4, 3)] == "potential_loyalist"
    assert DEFAULT_SEGMENT_GRID[(2, 5)] == "at_risk"
    assert DEFAULT_SEGMENT_GRID[(1, 1)] == "lost"
    sizes: dict[str, int] = {}
    for segment in DEFAULT_SEGMENT_GRID.values():
        sizes[segment] = sizes.get(segment, 0) + 1
    assert sizes == {
        "champions": 3,
        "loyal": 4,
        "potential_loyalist": 4,
        "new_customers": 1,
        "promising": 2,
        "need_attention": 3,
        "about_to_sleep": 1,
        "at_risk": 3,
        "cant_lose_them": 2,
        "hibernating": 1,
        "lost": 1,
    }


def test_custom_segment_grid() -> None:
    grid = {(r, fm): f"s{r}{fm}" for r in range(1, 6) for fm in range(1, 6)}
    rfm = compute(customers("a"), [done("a", ago(1), "5")], as_of_date=AS_OF, segment_grid=grid)
    assert rfm["rfm"]["a"]["rfm_segment"] == "s11"
    assert grid_problems({(1, 1): "x"})[0] == "missing cell 12"


# --------------------------------------------------------------------------- ABC


def abc_of(amounts: dict[str, str], **kwargs) -> dict:
    orders = [done(cid, ago(30), amt) for cid, amt in amounts.items()]
    return compute(customers(*amounts), orders, as_of_date=AS_OF, **kwargs)["abc"]


def test_abc_boundary_customer_stays_upper() -> None:
    abc = abc_of({"a": "60", "b": "20", "c": "15", "d": "5"})
    # cum before: a 0, b 60 (< 70: A, although b crosses 70), c 80 (< 90: B), d 95 (C)
    assert {cid: row["abc_class"] for cid, row in abc.items()} == {
        "a": "A",
        "b": "A",
        "c": "B",
        "d": "C",
    }
    assert [abc[c]["cum_share_before"] for c in "abcd"] == [0.0, 0.6, 0.8, 0.95]
    assert [abc[c]["abc_rank"] for c in "abcd"] == [1, 2, 3, 4]


def test_abc_exact_boundary_goes_down() -> None:
    abc = abc_of({"a": "70", "b": "20", "c": "10"})
    # b starts at exactly 70% -> not < 0.70 -> B; c starts at exactly 90% -> C
    assert [abc[c]["abc_class"] for c in "abc"] == ["A", "B", "C"]


def test_abc_boundary_is_exact_not_floating_point() -> None:
    # total 8.30; b starts at 5.81 = exactly 0.70 * 8.30, so b is B
    assert 5.81 < 0.7 * 8.30  # what a floating-point comparison would (wrongly) conclude
    abc = abc_of({"a": "5.81", "b": "2.49"})
    assert [abc[c]["abc_class"] for c in "ab"] == ["A", "B"]


def test_abc_ties_broken_by_customer_id() -> None:
    abc = abc_of({"b": "50", "a": "50", "c": "10"})
    assert [(c, abc[c]["abc_rank"]) for c in "abc"] == [("a", 1), ("b", 2), ("c", 3)]
    # a: 0 -> A; b: 50/110 < 0.70 -> A; c: 100/110 = 0.909 -> C
    assert [abc[c]["abc_class"] for c in "abc"] == ["A", "A", "C"]


def test_abc_custom_shares() -> None:
    abc = abc_of({"a": "50", "b": "30", "c": "20"}, abc_a_share=D("0.50"), abc_b_share=D("0.80"))
    # cum before 0, 50, 80 -> A, B (50 not < 50, 50 < 80), C (80 not < 80)
    assert [abc[c]["abc_class"] for c in "abc"] == ["A", "B", "C"]


def test_margin_measure() -> None:
    orders = [
        done("a", ago(5), "100", "30"),
        done("a", ago(6), "50"),  # unknown cost: contributes nothing -> a margin 70
        done("b", ago(5), "100", "120"),  # margin -20
        done("c", ago(5), "80", "50"),  # margin 30
        done("d", ago(5), "60"),  # margin unknown -> 0
        done("e", ago(5), "40", "10"),  # margin 30
    ]
    ids = ("a", "b", "c", "d", "e")
    out = compute(
        customers(*ids),
        orders,
        as_of_date=AS_OF,
        abc_measure="margin",
        pyramid_cuts=(D("0.05"), D("0.25"), D("1")),
    )
    abc = out["abc"]
    assert list(abc) == ["a", "c", "e"]  # positive margins only
    assert [abc[c]["abc_measure_value"] for c in "ace"] == [D("70"), D("30"), D("30")]
    # total 130: a 0 -> A; c 70/130 -> A; e 100/130 = 0.769 -> B
    assert [abc[c]["abc_class"] for c in "ace"] == ["A", "A", "B"]
    pyr = out["pyramid"]
    # all five pay; order by margin desc then id: a 70, c 30, e 30, d 0, b -20
    assert {c: pyr[c]["pyramid_rank"] for c in ids} == {"a": 1, "c": 2, "e": 3, "d": 4, "b": 5}
    assert pyr["a"]["value_window_revenue"] == D("150")
    # count 5, cut ranks 0.25, 1.25, 5: rank 1 big, ranks 2-5 medium
    assert [pyr[c]["pyramid_tier"] for c in "acedb"] == ["big"] + ["medium"] * 4
    # with the amount measure the order is by revenue: a 150, b 100, c 80, d 60, e 40
    pyr = compute(customers(*ids), orders, as_of_date=AS_OF)["pyramid"]
    assert {c: pyr[c]["pyramid_rank"] for c in ids} == {"a": 1, "b": 2, "c": 3, "d": 4, "e": 5}


# --------------------------------------------------------------------------- scope


def test_zero_revenue_cancelled_and_prospects() -> None:
    orders = [
        done("paid", ago(10), "100"),
        done("zero", ago(10), "0"),  # valid order, zero amount in the window
        ("cancelled", ago(10), "cancelled", D("500"), None),  # never a valid order
        done("old", ago(400), "80"),  # valid order outside the 365-day window
        done("future", dt.datetime(2024, 6, 1, 0, 0), "90"),  # on as_of_date: out of scope
    ]
    ids = ("paid", "zero", "cancelled", "old", "none", "future")
    out = compute(customers(*ids), orders, as_of_date=AS_OF)
    assert sorted(out["rfm"]) == ["old", "paid", "zero"]
    assert out["rfm"]["zero"]["monetary"] == D("0")
    assert list(out["abc"]) == ["paid"]
    pyr = out["pyramid"]
    assert sorted(pyr) == sorted(ids)
    assert {c: row["pyramid_tier"] for c, row in pyr.items()} == {
        "paid": "small",
        "zero": "inactive",
        "cancelled": "prospect",
        "old": "inactive",
        "none": "prospect",
        "future": "prospect",
    }
    for cid in ("zero", "cancelled", "old", "none", "future"):
        assert pyr[cid]["pyramid_rank"] is None
        assert pyr[cid]["pyramid_position"] is None
        assert pyr[cid]["value_window_revenue"] == D("0")


def test_value_window_edges() -> None:
    start = AS_OF - dt.timedelta(days=365)
    orders = [
        done("in", dt.datetime(start.year, start.month, start.day, 0, 0), "10"),
        done(
            "out",
            dt.datetime(start.year, start.month, start.day, 0, 0) - dt.timedelta(minutes=1),
            "10",
        ),
    ]
    out = compute(customers("in", "out"), orders, as_of_date=AS_OF)
    assert list(out["abc"]) == ["in"]
    assert out["pyramid"]["out"]["pyramid_tier"] == "inactive"
    out = compute(customers("in", "out"), orders, as_of_date=AS_OF, value_window_days=366)
    assert list(out["abc"]) == ["in", "out"]


def test_as_of_date_excludes_orders_on_that_day() -> None:
    orders = [
        done("a", dt.datetime(2024, 6, 1, 0, 0), "1000"),  # exactly as_of 00:00: out
        done("a", dt.datetime(2024, 5, 31, 23, 59), "10"),  # the minute before: in
    ]
    out = compute(customers("a"), orders, as_of_date="2024-06-01")
    assert out["as_of_date"] == AS_OF
    row = out["rfm"]["a"]
    assert row["last_order_date"] == dt.date(2024, 5, 31)
    assert (row["recency_days"], row["frequency"], row["monetary"]) == (1, 1, D("10"))
    assert out["abc"]["a"]["abc_measure_value"] == D("10")
    assert out["pyramid"]["a"]["value_window_revenue"] == D("10")


def test_customers_created_on_as_of_date_are_excluded() -> None:
    custs = [
        ("old", OPENED),
        ("eve", dt.datetime(2024, 5, 31, 23, 59, 59)),  # in scope
        ("new", dt.datetime(2024, 6, 1, 0, 0)),  # opened on as_of_date: out
        ("later", dt.datetime(2024, 6, 5, 0, 0)),
        ("dated", dt.date(2024, 6, 1)),  # a DATE created_at on as_of_date: out
    ]
    orders = [
        done("old", ago(3), "10"),
        done("new", ago(3), "999"),  # inconsistent data, but the customer is out of scope
    ]
    out = compute(custs, orders, as_of_date=AS_OF)
    assert sorted(out["pyramid"]) == ["eve", "old"]
    assert out["pyramid"]["eve"]["pyramid_tier"] == "prospect"
    assert list(out["rfm"]) == ["old"]
    assert list(out["abc"]) == ["old"]
    assert out["abc"]["old"]["cum_share_before"] == 0.0


def test_no_valid_orders() -> None:
    orders = [("a", ago(1), "cancelled", D("5"), None)]
    out = compute(customers("a"), orders)
    assert out == {"as_of_date": None, "rfm": {}, "abc": {}, "pyramid": {}}
    out = compute(customers("a"), orders, as_of_date=AS_OF)
    assert out["pyramid"]["a"]["pyramid_tier"] == "prospect"
    assert out["rfm"] == out["abc"] == {}


# --------------------------------------------------------------------------- pyramid


def pyramid_of(n: int, **kwargs) -> dict:
    """n paying customers p001.. with revenue n, n-1, .., 1 (so p001 ranks first)."""
    ids = [f"p{i:03d}" for i in range(1, n + 1)]
    orders = [done(cid, ago(7), str(n + 1 - i)) for i, cid in enumerate(ids, start=1)]
    return compute(customers(*ids), orders, as_of_date=AS_OF, **kwargs)["pyramid"]


def tiers_by_rank(pyr: dict) -> list[str]:
    return [row["pyramid_tier"] for row in sorted(pyr.values(), key=lambda r: r["pyramid_rank"])]


def test_pyramid_hundred_paying() -> None:
    pyr = pyramid_of(100)
    # top rank <= 1, big <= 5, medium <= 20, small the rest
    assert tiers_by_rank(pyr) == ["top"] + ["big"] * 4 + ["medium"] * 15 + ["small"] * 80
    assert pyr["p001"]["pyramid_rank"] == 1
    assert pyr["p001"]["pyramid_position"] == 0.01
    assert pyr["p020"]["pyramid_position"] == 0.2
    assert pyr["p100"]["pyramid_position"] == 1.0
    assert pyr["p001"]["value_window_revenue"] == D("100")


def test_pyramid_seven_paying() -> None:
    pyr = pyramid_of(7)
    # cut ranks 0.07, 0.35, 1.4: rank 1 is neither <= 0.07 nor <= 0.35, but <= 1.4
    assert tiers_by_rank(pyr) == ["medium"] + ["small"] * 6
    assert pyr["p002"]["pyramid_position"] == pytest.approx(2 / 7)


def test_pyramid_twenty_paying_exact_cut() -> None:
    pyr = pyramid_of(20)
    # cut ranks 0.2, 1 (exactly), 4 (exactly): rank 1 big, ranks 2-4 medium, 5-20 small
    assert tiers_by_rank(pyr) == ["big"] + ["medium"] * 3 + ["small"] * 16


def test_pyramid_custom_cuts() -> None:
    pyr = pyramid_of(10, pyramid_cuts=(D("0.10"), D("0.30"), D("0.50")))
    assert tiers_by_rank(pyr) == ["top", "big", "big", "medium", "medium"] + ["small"] * 5


def test_pyramid_ties_by_customer_id() -> None:
    orders = [done(cid, ago(7), "50") for cid in ("c", "a", "b")]
    pyr = compute(customers("c", "a", "b"), orders, as_of_date=AS_OF)["pyramid"]
    assert [pyr[c]["pyramid_rank"] for c in "abc"] == [1, 2, 3]


# --------------------------------------------------------------------------- guards


@pytest.mark.parametrize(
    "kwargs",
    [
        {"abc_measure": "profit"},
        {"rfm8_baseline": "mode"},
        {"rfm_score_method": "jenks"},
        {"value_window_days": 0},
        {"rfm_window_days": -1},
        {"abc_a_share": D("0.95"), "abc_b_share": D("0.90")},
        {"pyramid_cuts": (D("0.05"), D("0.01"), D("0.20"))},
        {"pyramid_cuts": (D("0.01"), D("0.05"))},
    ],
)
def test_bad_parameters_raise(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        compute(customers("a"), [done("a", ago(1), "1")], as_of_date=AS_OF, **kwargs)


def test_duplicate_customer_raises() -> None:
    with pytest.raises(ValueError, match="twice"):
        compute(customers("a", "a"), [], as_of_date=AS_OF)
