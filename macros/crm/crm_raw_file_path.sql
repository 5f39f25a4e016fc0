{#- The file an entity is read from when CRM_RAW_DIR is set: <dir>/<entity>.<format>. -#}
{% macro crm_raw_file_path(entity) %}
    {{ return(crm_raw_dir().rstrip('/') ~ '/' ~ entity ~ '.' ~ crm_raw_mode()) }}
{% endmacro %}
