{#-
    Which contract columns the raw input actually has (lower-cased names). Optional
    columns may be absent from a user's file and are then read as null; a missing
    required column has already stopped the build in crm_check_raw_files().
    At parse time, and in demo mode, every contract column is taken as present.
-#}
{% macro crm_raw_present_columns(entity) %}
    {%- set spec = crm_raw_entity(entity) -%}
    {%- set contract = spec.columns | map(attribute='name') | list -%}
    {%- if not execute or crm_raw_mode() == 'seed' -%}
        {{ return(contract) }}
    {%- endif -%}
    {%- set described = run_query('describe select * from ' ~ crm_raw_relation(entity)) -%}
    {%- set present = described.columns[0].values() | map('lower') | list -%}
    {{ return(contract | select('in', present) | list) }}
{% endmacro %}
