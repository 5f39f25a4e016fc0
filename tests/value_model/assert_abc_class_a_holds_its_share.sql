-- Class A must hold at least abc_a_share of the total measure, and A and B together at
-- least abc_b_share (the customer who crosses a boundary stays in the upper class).
with

abc as (
    select
        abc_class,
        abc_measure_value
    from {{ ref('fct_customer_abc') }}
),

totals as (
    select
        sum(abc_measure_value) as measure_total,
        sum(case when abc_class = 'A' then abc_measure_value else 0 end) as measure_a,
        sum(case when abc_class in ('A', 'B') then abc_measure_value else 0 end) as measure_ab
    from abc
)

select
    measure_total,
    measure_a,
    measure_ab
from totals
where
    measure_total > 0
    and (
        measure_a < measure_total * {{ var('abc_a_share') }}
        or measure_ab < measure_total * {{ var('abc_b_share') }}
    )
