{#- Every contract column of an entity, cast from its raw_<column> text to its type. -#}
{% macro crm_typed_columns(entity, reader=none) %}
    {%- set types = crm_raw_column_types(entity, reader) -%}
    {%- for column in crm_raw_entity(entity).columns %}
    {{ crm_cast('raw_' ~ column.name, column.type, types[column.name]) }} as {{ column.name }}{{ ',' if not loop.last }}
    {%- endfor %}
{% endmacro %}
