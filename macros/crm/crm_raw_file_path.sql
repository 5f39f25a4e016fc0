{#- The file an entity is read from when CRM_RAW_DIR is set: <dir>/<entity>.<format>. -#}
{% macro crm_raw_file_path(entity) %}
    {%- set raw_dir = env_var('CRM_RAW_DIR', '') | trim -%}
    {{ return(raw_dir.rstrip('/') ~ '/' ~ entity ~ '.' ~ crm_raw_mode()) }}
{% endmacro %}
