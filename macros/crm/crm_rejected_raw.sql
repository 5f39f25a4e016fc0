{#-
    The raw_<column> text of a validated row, kept only on a rejected row (null elsewhere):
    the rejected-rows table needs it, and dropping it for the accepted majority keeps the
    validation table small at scale. The batch store kept the raw texts of the rows that
    are rejected whatever else arrives (`raw_kept`); a row rejected by a rule of other rows
    or the clock (an unknown customer, a future date, a conflicting version) shows its
    typed value as text. Needs `reject_reasons`, `raw_kept`, raw_<column> and <column>.
-#}
{% macro crm_rejected_raw(column) %}
    case
        when reject_reasons is not null and raw_kept
            then cast(raw_{{ column }} as {{ dbt.type_string() }})
        when reject_reasons is not null
            then cast({{ column }} as {{ dbt.type_string() }})
    end
{% endmacro %}
