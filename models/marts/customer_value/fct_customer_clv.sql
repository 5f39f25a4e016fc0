{#-
    Purchase potential and churn, per customer with a valid order before as_of_date:
    P(alive) and expected purchase days over clv_horizon_days from the chosen purchase
    model (fct_clv_model_fits.is_chosen), the expected order value from Gamma-Gamma (or
    its limit), and CLV = expected purchases x expected order value x clv_margin_rate
    (undiscounted): the full window's rows of int_customers_clv_scored, plain SQL over the
    stored parameters, so any engine can score. A model the data could not fit leaves its
    columns null.
-#}
{%- do crm_validate_clv_vars() -%}

with

inputs as (
    select
        customer_id,
        as_of_date
    from {{ ref('int_customers_clv_inputs') }}
),

chosen as (
    select model
    from {{ ref('fct_clv_model_fits') }}
    where fit_window = 'full' and predicts = 'purchases' and is_chosen
),

scores as (
    select
        customer_id,
        model,
        repeat_purchases,
        recency_units,
        age_units,
        mean_repeat_value,
        p_alive,
        expected_purchases,
        expected_order_value
    from {{ ref('int_customers_clv_scored') }}
    where fit_window = 'full'
),

final as (
    select
        inputs.customer_id,
        inputs.as_of_date,
        scores.model as purchase_model,
        cast(scores.repeat_purchases as integer) as repeat_purchases,
        scores.recency_units,
        scores.age_units,
        {{ crm_cents('scores.mean_repeat_value') }} as mean_repeat_value,
        scores.p_alive,
        scores.expected_purchases,
        {{ crm_cents('scores.expected_order_value') }} as expected_order_value,
        {{ crm_cents(
            'scores.expected_purchases * scores.expected_order_value * ' ~ var('clv_margin_rate')
        ) }} as clv
    from inputs
    inner join scores
        on inputs.customer_id = scores.customer_id
    inner join chosen
        on scores.model = chosen.model
)

select * from final
