{#-
    The CLV model's inputs, one row per customer with a valid order before as_of_date,
    in units of clv_time_unit_days: x repeat purchase days, t_x from the first to the last
    purchase day, T from the first purchase day to period_end = as_of_date - 1 day, and
    m_x the mean value of the repeat purchase days (null when x = 0).
-#}
{%- do crm_validate_clv_vars() -%}
{%- set unit = var('clv_time_unit_days') -%}

with

summary as (
    select
        customer_id,
        as_of_date,
        first_order_date,
        last_order_date,
        purchase_days,
        repeat_purchase_value
    from {{ ref('int_customers_summarised') }}
    where has_valid_order
),

final as (
    select
        customer_id,
        as_of_date,
        first_order_date,
        last_order_date,
        purchase_days - 1 as repeat_purchases,
        cast({{ crm_days_between('first_order_date', 'last_order_date') }} as double)
        / {{ unit }} as recency_units,
        cast({{ crm_days_between('first_order_date', 'as_of_date') }} - 1 as double)
        / {{ unit }} as age_units,
        case
            when purchase_days > 1
                then cast(repeat_purchase_value as double) / (purchase_days - 1)
        end as mean_repeat_value
    from summary
)

select * from final
