{#-
    Purchase potential and churn, per customer with a valid order before as_of_date:
    BG/NBD's probability of being alive and expected purchases over clv_horizon_days,
    Gamma-Gamma's expected order value, and CLV = expected purchases x expected order
    value x clv_margin_rate (undiscounted). Plain SQL over the fitted parameters
    (clv_model_parameters), so any engine can score.
-#}
{%- do crm_validate_clv_vars() -%}

with

parameters as (
    select
        r,
        alpha,
        a,
        b,
        p,
        q,
        gamma
    from {{ ref('clv_model_parameters') }}
    where fit_status = 'fitted'
),

inputs as (
    select
        customer_id,
        as_of_date,
        repeat_purchases,
        recency_units,
        age_units,
        mean_repeat_value
    from {{ ref('int_customers_clv_inputs') }}
),

series as (
    select
        repeat_purchases,
        age_units,
        hyp2f1_scaled
    from {{ ref('int_clv_hypergeometric_series') }}
),

alive as (
    select
        inputs.customer_id,
        inputs.as_of_date,
        inputs.repeat_purchases,
        inputs.recency_units,
        inputs.age_units,
        inputs.mean_repeat_value,
        series.hyp2f1_scaled,
        parameters.r,
        parameters.alpha,
        parameters.a,
        parameters.b,
        parameters.p,
        parameters.q,
        parameters.gamma,
        {{ crm_bgnbd_p_alive('inputs.repeat_purchases', 'inputs.recency_units', 'inputs.age_units') }}
            as p_alive
    from inputs
    cross join parameters
    inner join series
        on
            inputs.repeat_purchases = series.repeat_purchases
            and inputs.age_units = series.age_units
),

scored as (
    select
        customer_id,
        as_of_date,
        repeat_purchases,
        recency_units,
        age_units,
        mean_repeat_value,
        p_alive,
        {{ crm_bgnbd_expected_purchases('hyp2f1_scaled', 'p_alive', 'repeat_purchases') }}
            as expected_purchases,
        {{ crm_gamma_gamma_expected_value('repeat_purchases', 'mean_repeat_value') }}
            as expected_order_value
    from alive
),

final as (
    select
        customer_id,
        as_of_date,
        cast(repeat_purchases as integer) as repeat_purchases,
        recency_units,
        age_units,
        cast(mean_repeat_value as decimal(18, 2)) as mean_repeat_value,
        p_alive,
        expected_purchases,
        cast(expected_order_value as decimal(18, 2)) as expected_order_value,
        cast(
            expected_purchases * expected_order_value * {{ var('clv_margin_rate') }}
            as decimal(18, 2)
        ) as clv
    from scored
)

select * from final
