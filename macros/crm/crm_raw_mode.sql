{#-
    Where raw data comes from: 'seed' (the bundled demo, CRM_RAW_DIR unset), or 'csv' /
    'parquet' files in CRM_RAW_DIR (CRM_RAW_FORMAT, default csv).
-#}
{% macro crm_raw_mode() %}
    {%- if crm_raw_dir() == '' -%}
        {{ return('seed') }}
    {%- endif -%}
    {%- set fmt = env_var('CRM_RAW_FORMAT', 'csv') | trim | lower -%}
    {%- if fmt not in ['csv', 'parquet'] -%}
        {{ exceptions.raise_compiler_error(
            "CRM_RAW_FORMAT must be 'csv' or 'parquet', got '" ~ fmt ~ "'") }}
    {%- endif -%}
    {{ return(fmt) }}
{% endmacro %}

{#-
    The raw folder, CRM_RAW_DIR, or '' when it is unset (the demo). Set but empty is an
    error (a scheduler that lost its value must not build the demo), and so is a folder
    DuckDB would read as a pattern: it expands `*`, `?` and `[...]` in a path and has no
    escape for them. `crm-value refresh` reads such a folder literally, through an alias.
-#}
{% macro crm_raw_dir() %}
    {%- set raw_dir = env_var('CRM_RAW_DIR', '<unset>') -%}
    {%- if raw_dir == '<unset>' -%}
        {{ return('') }}
    {%- endif -%}
    {%- if raw_dir | trim == '' -%}
        {{ exceptions.raise_compiler_error(
            "CRM_RAW_DIR is set but empty: unset it to build the bundled demo, "
            ~ "or set it to the folder of the export") }}
    {%- endif -%}
    {%- for char in ['*', '?', '['] if char in raw_dir -%}
        {{ exceptions.raise_compiler_error(
            "CRM_RAW_DIR '" ~ raw_dir ~ "' holds '" ~ char ~ "', which DuckDB reads as a "
            ~ "pattern (it could read other folders too): rename the folder, or run "
            ~ "`crm-value refresh --raw-dir`, which reads it literally") }}
    {%- endfor -%}
    {{ return(raw_dir) }}
{% endmacro %}
