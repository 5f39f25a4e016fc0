{#- Fails for every tier value of `column_name` that has not exactly one row for `scheme` in dim_tier_strategy. -#}
{% test crm_has_one_strategy(model, column_name, scheme) %}
with

tiers as (
    select distinct {{ column_name }} as tier_code
    from {{ model }}
    where {{ column_name }} is not null
),

strategy as (
    select tier_code
    from {{ ref('dim_tier_strategy') }}
    where scheme = '{{ scheme }}'
)

select
    tiers.tier_code,
    count(strategy.tier_code) as strategy_rows
from tiers
left join strategy
    on tiers.tier_code = strategy.tier_code
group by tiers.tier_code
having count(strategy.tier_code) != 1
{% endtest %}
