{#-
    Run before anything builds (on-run-start). In file mode, every raw file is checked by
    the project's one set of file rules (src/crm_value/raw_files.py, which the refresh's
    door runs too), each file read in full once (a CSV that breaks on its last line is
    caught here): a missing file, a directory or a looping link, an unreadable file with
    the line and the cause, a required column the file lacks, a column named twice, a
    nested or 32-bit float column where the contract wants text or money, customer ids
    typed unlike the customers file's, an empty customers or orders file. Any problem
    stops the build with an error that names the file and the column; a likely misspelt
    optional column is logged as a warning. In demo mode (seeds) there is nothing to check.
-#}
{% macro crm_check_raw_files() %}
    {%- if execute and crm_raw_mode() != 'seed' -%}
        {%- set verdict = crm_inspect_raw_files() -%}
        {%- for warning in verdict.warnings -%}
            {{ log("Warning: " ~ warning, info=true) }}
        {%- endfor -%}
        {%- if verdict.problems -%}
            {{ exceptions.raise_compiler_error(
                "Bad raw input, nothing was built:\n  - " ~ (verdict.problems | join("\n  - "))) }}
        {%- endif -%}
    {%- endif -%}
    select 1 as raw_files_checked
{% endmacro %}
