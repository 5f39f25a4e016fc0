-- The Pareto curve: cumulative share of the ABC measure against cumulative share of
-- customers, one point per percent of customers (largest first). Read the 80/20 check off
-- the row where cumulative_customer_share is 0.20.
with

abc as (
    select
        abc_rank,
        abc_measure_value,
        cum_share_before,
        count(*) over () as customers,
        sum(abc_measure_value) over () as measure_total
    from {{ ref('fct_customer_abc') }}
),

percentiled as (
    select
        abc_rank,
        abc_measure_value,
        cum_share_before,
        customers,
        measure_total,
        cast(ceil(100.0 * abc_rank / customers) as integer) as customer_percentile
    from abc
),

points as (
    select
        customer_percentile,
        max(abc_rank) as customers_so_far,
        max(customers) as customers,
        max(
            cum_share_before + cast(abc_measure_value as double) / cast(measure_total as double)
        ) as cumulative_measure_share
    from percentiled
    group by customer_percentile
),

final as (
    select
        customer_percentile,
        cast(customers_so_far as double) / customers as cumulative_customer_share,
        cumulative_measure_share
    from points
)

select * from final
order by customer_percentile asc
