{#-
    From the has_<field> flags of `fields` (true, false, or null where the field does not
    apply), three columns: profile_fields_expected, profile_fields_filled and
    missing_profile_fields (comma-separated, null when none is missing).
-#}
{% macro crm_profile_completeness_columns(fields) %}
    cast(
        {%- for field in fields %}
        case when has_{{ field }} is not null then 1 else 0 end{{ ' +' if not loop.last }}
        {%- endfor %}
        as integer
    ) as profile_fields_expected,
    cast(
        {%- for field in fields %}
        case when has_{{ field }} then 1 else 0 end{{ ' +' if not loop.last }}
        {%- endfor %}
        as integer
    ) as profile_fields_filled,
    nullif(concat_ws(
        ','
        {%- for field in fields %},
        case when not has_{{ field }} then '{{ field }}' end
        {%- endfor %}
    ), '') as missing_profile_fields
{% endmacro %}
