{#-
    Fold reason expressions (each a code or null) into one comma-separated text, null when
    the row broke no rule. concat_ws skips nulls on DuckDB and Spark alike.
-#}
{% macro crm_reason_list(reasons) %}
    nullif(concat_ws(',',
        {%- for reason in reasons %}
        {{ reason }}{{ ',' if not loop.last }}
        {%- endfor %}
    ), '')
{% endmacro %}
