{#-
    Per scheme, snapshot and tier of a tier-history relation: its customers and their
    value-window revenue (customers without a tier in a scheme are not counted there).
-#}
{% macro crm_tier_counts(history) %}
    {%- for scheme, column in crm_tier_scheme_columns().items() %}
        select
            '{{ scheme }}' as scheme,
            as_of_date,
            {{ column }} as tier_code,
            count(*) as customers,
            coalesce(sum(value_window_revenue), 0) as revenue
        from {{ history }}
        where {{ column }} is not null
        group by as_of_date, {{ column }}
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{% endmacro %}
