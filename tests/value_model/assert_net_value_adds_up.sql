-- net_value = margin (known, else estimated) - cost to serve - overdue debt, to the cent
-- (each term is rounded on its own), and is_unprofitable is its sign.
select
    customer_id,
    revenue,
    margin,
    estimated_margin,
    cost_to_serve,
    overdue_debt,
    net_value,
    is_unprofitable
from {{ ref('fct_customer_quality') }}
where
    abs(net_value - (estimated_margin - cost_to_serve - overdue_debt)) > 0.02
    or (net_value > 0 and is_unprofitable)
    or (net_value < 0 and not is_unprofitable)
    or (margin is not null and estimated_margin != margin)
    or (
        margin is null
        and abs(estimated_margin - revenue * {{ crm_decimal_var('default_margin_rate') }}) > 0.005
    )
