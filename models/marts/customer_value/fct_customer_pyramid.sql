{#- Customer-pyramid tier for every customer in scope: top, big, medium, small, inactive, prospect. -#}
with

summary as (
    select
        customer_id,
        as_of_date,
        has_valid_order,
        cast(value_window_revenue as decimal(18, 2)) as value_window_revenue,
        value_window_measure,
        value_window_revenue > 0 as is_paying
    from {{ ref('int_customers_summarised') }}
),

ranked as (
    select
        customer_id,
        as_of_date,
        has_valid_order,
        value_window_revenue,
        -- Ranked within paying and non-paying apart; only the paying rank is kept.
        row_number() over (
            partition by is_paying
            order by value_window_measure desc nulls last, customer_id asc
        ) as paying_rank,
        is_paying,
        sum(case when is_paying then 1 else 0 end) over () as paying_customers
    from summary
),

positioned as (
    select
        customer_id,
        as_of_date,
        has_valid_order,
        value_window_revenue,
        paying_customers,
        case when is_paying then cast(paying_rank as integer) end as pyramid_rank
    from ranked
),

final as (
    select
        customer_id,
        as_of_date,
        value_window_revenue,
        pyramid_rank,
        cast(pyramid_rank as double) / paying_customers as pyramid_position,
        {{ crm_pyramid_tier('pyramid_rank', 'paying_customers', 'has_valid_order') }} as pyramid_tier
    from positioned
)

select * from final
