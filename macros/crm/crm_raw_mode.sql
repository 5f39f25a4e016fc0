{#-
    Where raw data comes from: 'seed' (the bundled demo, CRM_RAW_DIR unset), or 'csv' /
    'parquet' files in CRM_RAW_DIR (CRM_RAW_FORMAT, default csv).
-#}
{% macro crm_raw_mode() %}
    {%- if env_var('CRM_RAW_DIR', '') | trim == '' -%}
        {{ return('seed') }}
    {%- endif -%}
    {%- set fmt = env_var('CRM_RAW_FORMAT', 'csv') | trim | lower -%}
    {%- if fmt not in ['csv', 'parquet'] -%}
        {{ exceptions.raise_compiler_error(
            "CRM_RAW_FORMAT must be 'csv' or 'parquet', got '" ~ fmt ~ "'") }}
    {%- endif -%}
    {{ return(fmt) }}
{% endmacro %}
