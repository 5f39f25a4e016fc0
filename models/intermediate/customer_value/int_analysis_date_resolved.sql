{#-
    The analysis date, resolved once: var `as_of_date`, or the day after the latest valid
    (completed) order, with the windows that hang off it. Everything downstream joins this
    one row; nothing reads the clock.
-#}
{%- do crm_validate_window_vars() -%}
{%- do crm_validate_clv_vars() -%}
{#- Rendered whatever as_of_date is: the parse, made without it, records the macro. -#}
{%- set from_latest_order = crm_as_of_from_latest_order('latest_order_date') -%}

with

valid_orders as (
    select ordered_at from {{ ref('stg_crm__orders') }}
    where is_completed
),

latest as (
    -- An aggregate without group by: always exactly one row, even with no orders.
    select max(cast(ordered_at as date)) as latest_order_date
    from valid_orders
),

resolved as (
    select
        {% if var('as_of_date') is not none -%}
            cast('{{ var("as_of_date") }}' as date)
        {%- else -%}
            {{ from_latest_order }}
        {%- endif %} as as_of_date
    from latest
),

final as (
    select
        as_of_date,
        cast({{ dbt.dateadd('day', -var('value_window_days'), 'as_of_date') }} as date)
            as value_window_start_date,
        {% if var('rfm_window_days') is not none -%}
            cast({{ dbt.dateadd('day', -var('rfm_window_days'), 'as_of_date') }} as date)
        {%- else -%}
            cast(null as date)
        {%- endif %} as rfm_window_start_date,
        -- The last four quarters, 3-month periods back from as_of_date (quarter q covers
        -- [as_of_date - 3q months, as_of_date - 3(q-1) months); month ends clamp).
        cast({{ dbt.dateadd('month', -3, 'as_of_date') }} as date) as quarter_1_start_date,
        cast({{ dbt.dateadd('month', -6, 'as_of_date') }} as date) as quarter_2_start_date,
        cast({{ dbt.dateadd('month', -9, 'as_of_date') }} as date) as quarter_3_start_date,
        cast({{ dbt.dateadd('month', -12, 'as_of_date') }} as date) as quarter_4_start_date,
        -- The CLV backtest fits on the purchase days before this date and predicts the
        -- holdout [clv_calibration_end_date, as_of_date).
        cast({{ dbt.dateadd('day', -var('clv_holdout_days'), 'as_of_date') }} as date)
            as clv_calibration_end_date
    from resolved
)

select * from final
