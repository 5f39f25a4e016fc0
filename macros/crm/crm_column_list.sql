{#- An entity's contract column names, comma-separated, each with an optional prefix. -#}
{% macro crm_column_list(entity, prefix='') %}
    {%- for column in crm_raw_entity(entity).columns %}
    {{ prefix ~ column.name }}{{ ',' if not loop.last }}
    {%- endfor %}
{% endmacro %}
