{#- ABC (Pareto) class per customer with a positive measure in the value window. -#}
with

summary as (
    select
        customer_id,
        as_of_date,
        cast(value_window_measure as decimal(18, 2)) as abc_measure_value
    from {{ ref('int_customers_summarised') }}
    where value_window_measure > 0
),

ranked as (
    select
        customer_id,
        as_of_date,
        abc_measure_value,
        row_number() over (order by abc_measure_value desc, customer_id asc) as abc_rank,
        coalesce(
            sum(abc_measure_value) over (
                order by abc_measure_value desc, customer_id asc
                rows between unbounded preceding and 1 preceding
            ),
            0
        ) as measure_before,
        sum(abc_measure_value) over () as measure_total
    from summary
),

final as (
    select
        customer_id,
        as_of_date,
        abc_measure_value,
        cast(abc_rank as integer) as abc_rank,
        cast(measure_before as double) / cast(measure_total as double) as cum_share_before,
        {{ crm_abc_class('measure_before', 'measure_total') }} as abc_class
    from ranked
)

select * from final
