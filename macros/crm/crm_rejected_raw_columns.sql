{#-
    The raw_<column> texts of an entity, kept only on rejected rows (null elsewhere): the
    rejected-rows table needs them, and dropping them for the accepted majority keeps the
    validation table small at scale. The batch store keeps the raw texts of the rows that
    are rejected whatever else arrives (`raw_kept`); a row rejected by a rule of other rows
    or the clock (an unknown customer, a future date, a conflicting version) shows its
    typed values as text. Needs `reject_reasons`, `raw_kept` and both columns in scope.
-#}
{% macro crm_rejected_raw_columns(entity) %}
    {%- for column in crm_raw_entity(entity).columns %}
    case
        when reject_reasons is not null and raw_kept
            then cast(raw_{{ column.name }} as {{ dbt.type_string() }})
        when reject_reasons is not null
            then cast({{ column.name }} as {{ dbt.type_string() }})
    end as raw_{{ column.name }}{{ ',' if not loop.last }}
    {%- endfor %}
{% endmacro %}
