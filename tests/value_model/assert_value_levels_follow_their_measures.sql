-- Each measured dimension orders its levels by its measure: every customer at a higher
-- level has a measure at least as good as every customer at a lower one (churn risk:
-- the higher the risk, the lower P(alive)); and a level is unknown exactly when its
-- measure is missing.
{%- set dimensions = [
    ('purchasing_power', 'mean_order_amount', 'asc'),
    ('purchase_frequency', 'value_window_orders', 'asc'),
    ('purchase_potential', 'clv', 'asc'),
    ('satisfaction', 'satisfaction_ratio', 'asc'),
    ('churn_risk', 'p_alive', 'desc'),
] %}

with

levels as (
    {% for dimension, measure, direction in dimensions -%}
        select
            '{{ dimension }}' as dimension,
            {{ dimension }} as level_code,
            case {{ dimension }} when 'low' then 1 when 'medium' then 2 when 'high' then 3 end
                as level_order,
            cast({{ measure }} as double) * {{ 1 if direction == 'asc' else -1 }} as measure
        from {{ ref('fct_customer_value_dimensions') }}
        where {{ dimension }} != 'unknown'
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

bounds as (
    select
        dimension,
        level_order,
        min(measure) as lowest,
        max(measure) as highest
    from levels
    group by dimension, level_order
),

misordered as (
    select
        lower_level.dimension,
        'levels overlap' as problem,
        count(*) as cases
    from bounds as lower_level
    inner join bounds as higher_level
        on
            lower_level.dimension = higher_level.dimension
            and lower_level.level_order < higher_level.level_order
    where lower_level.highest > higher_level.lowest
    group by lower_level.dimension
),

unknown_mismatch as (
    {% for dimension, measure, direction in dimensions -%}
        select
            '{{ dimension }}' as dimension,
            'unknown without a missing measure, or the reverse' as problem,
            count(*) as cases
        from {{ ref('fct_customer_value_dimensions') }}
        where ({{ dimension }} = 'unknown') != ({{ measure }} is null)
        having count(*) > 0
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select * from misordered
union all
select * from unknown_mismatch
