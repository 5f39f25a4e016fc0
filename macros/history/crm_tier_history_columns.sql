{#-
    The columns of one customer's row in the tier history (marts.fct_customer_tier_history),
    in order: the snapshot's key, what the customer was worth, and its tier in every
    scheme of crm_tier_scheme_columns plus the RFM scores and the CLV numbers. The one
    place that says what a snapshot keeps: the mart, the stored snapshots and the
    backfill's export all select these.
-#}
{% macro crm_tier_history_columns() %}
    {%- set columns = [
        'as_of_date', 'customer_id', 'value_window_revenue', 'valid_orders', 'last_order_date',
        'r_score', 'f_score', 'm_score', 'rfm_cell', 'is_quality_customer', 'clv', 'p_alive',
    ] -%}
    {%- for column in crm_tier_scheme_columns().values() -%}
        {%- do columns.append(column) -%}
    {%- endfor -%}
    {{ return(columns) }}
{% endmacro %}

{#-
    This build's snapshot: the history columns of every customer in dim_customers, or in
    `dim_customers_sql`, dim_customers' own compiled SELECT (the backfill's past dates,
    which do not write the table).
-#}
{% macro crm_tier_snapshot(dim_customers_sql=none) %}
    select
        {% for column in crm_tier_history_columns() -%}
            {{ column }}{{ ',' if not loop.last }}
        {% endfor -%}
    from
    {%- if dim_customers_sql %} (
        {{ dim_customers_sql }}
    ) as dim_customers
    {%- else %} {{ ref('dim_customers') }}
    {%- endif %}
{% endmacro %}
