{#-
    The key tiers that snapshots put customers in: a SELECT of one row per customer,
    snapshot date and key tier held (a tier of a 'key' row of the seed key_customer_rules),
    with the customer's worth at that date, and key_order 1 on the first key rule (by
    rule_rank) of each customer and date. `snapshots` names a relation or CTE with the
    tier-history columns; `key_rules` one with scheme, tier_code and rule_rank of the
    'key' rules.
-#}
{% macro crm_key_tiers_held(snapshots, key_rules) %}
    select
        customer_id,
        as_of_date,
        scheme,
        tier_code,
        rule_rank,
        value_window_revenue,
        clv,
        row_number() over (partition by customer_id, as_of_date order by rule_rank asc) as key_order
    from (
        {% for scheme, column in crm_tier_scheme_columns().items() -%}
            select
                {{ snapshots }}.customer_id,
                {{ snapshots }}.as_of_date,
                {{ key_rules }}.scheme,
                {{ key_rules }}.tier_code,
                {{ key_rules }}.rule_rank,
                {{ snapshots }}.value_window_revenue,
                {{ snapshots }}.clv
            from {{ snapshots }}
            inner join {{ key_rules }}
                on
                    {{ key_rules }}.scheme = '{{ scheme }}'
                    and {{ snapshots }}.{{ column }} = {{ key_rules }}.tier_code
            {% if not loop.last %}union all{% endif %}
        {% endfor %}
    ) as held
{% endmacro %}
