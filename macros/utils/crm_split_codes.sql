{#- One row per code of a comma-separated text column: `select reason_code from ...`. -#}
{% macro crm_split_codes(relation, column_name) %}
    {{ return(adapter.dispatch('crm_split_codes', 'crm_value')(relation, column_name)) }}
{% endmacro %}

{% macro default__crm_split_codes(relation, column_name) %}
    select unnest(string_split({{ column_name }}, ',')) as reason_code
    from {{ relation }}
{% endmacro %}

{% macro spark__crm_split_codes(relation, column_name) %}
    select explode(split({{ column_name }}, ',')) as reason_code
    from {{ relation }}
{% endmacro %}
