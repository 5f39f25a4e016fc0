{#-
    Parse ISO-8601 text as a UTC timestamp (without time zone): a value with an offset
    (`+08:00`, `Z`) is converted to UTC; a value without one is taken as UTC already.
    The session time zone is UTC (profiles.yml), so the host's zone never shifts a value.
    Null when the text does not parse.
-#}
{% macro crm_try_cast_utc_timestamp(expression) %}
    {{ return(adapter.dispatch('crm_try_cast_utc_timestamp', 'crm_value')(expression)) }}
{% endmacro %}

{% macro default__crm_try_cast_utc_timestamp(expression) %}
    cast(try_cast({{ expression }} as timestamptz) as timestamp)
{% endmacro %}

{% macro spark__crm_try_cast_utc_timestamp(expression) %}
    try_cast({{ expression }} as timestamp)
{% endmacro %}
