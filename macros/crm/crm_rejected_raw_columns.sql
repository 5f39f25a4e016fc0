{#-
    The raw_<column> texts of an entity, kept only on rejected rows (null elsewhere): the
    rejected-rows table needs them, and dropping them for the accepted majority keeps the
    validation table small at scale. Needs `reject_reasons` in scope.
-#}
{% macro crm_rejected_raw_columns(entity) %}
    {%- for column in crm_raw_entity(entity).columns %}
    case
        when reject_reasons is not null then cast(raw_{{ column.name }} as {{ dbt.type_string() }})
    end as raw_{{ column.name }}{{ ',' if not loop.last }}
    {%- endfor %}
{% endmacro %}
