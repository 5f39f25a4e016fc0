{#- Every contract column of an entity, cast from its raw_<column> text to its type. -#}
{% macro crm_typed_columns(entity) %}
    {%- for column in crm_raw_entity(entity).columns %}
    {{ crm_cast('raw_' ~ column.name, column.type) }} as {{ column.name }}{{ ',' if not loop.last }}
    {%- endfor %}
{% endmacro %}
