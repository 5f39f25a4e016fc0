{#- One has_<field> column per profile field (see crm_profile_field_filled). -#}
{% macro crm_profile_field_flags(fields) %}
    {%- for field in fields %}
    {{ crm_profile_field_filled(field) }} as has_{{ field }}{{ ',' if not loop.last }}
    {%- endfor %}
{% endmacro %}
