{#-
    Run before anything builds (on-run-start). Every file is read in full once (a CSV
    that breaks on its last line is caught here too). In file mode, stop the build on a
    bad file with an error that names the file and the column: a missing file, an
    unreadable file, a required column the file lacks, or an empty customers or orders
    file. In demo mode (seeds) there is nothing to check.
-#}
{% macro crm_check_raw_files() %}
    {%- if execute and crm_raw_mode() != 'seed' -%}
        {%- set problems = [] -%}
        {%- for entity, spec in crm_raw_entities().items() -%}
            {%- set path = crm_raw_file_path(entity) -%}
            {%- set verdict = crm_probe_raw_file(entity, count_rows=true) -%}
            {%- if verdict.status == 'missing' -%}
                {%- do problems.append("raw file " ~ path ~ " (entity " ~ entity ~ ") is missing") -%}
            {%- elif verdict.status == 'unreadable' -%}
                {%- do problems.append("raw file " ~ path ~ " (entity " ~ entity
                    ~ ") cannot be read: " ~ verdict.error) -%}
            {%- else -%}
                {%- set present = verdict.columns | map('lower') | list -%}
                {%- for column in spec.columns if column.required and column.name not in present -%}
                    {%- do problems.append("raw file " ~ path ~ " (entity " ~ entity
                        ~ ") lacks required column '" ~ column.name ~ "'") -%}
                {%- endfor -%}
                {%- if spec.requires_rows and verdict.rows == 0 -%}
                    {%- do problems.append("raw file " ~ path ~ " (entity " ~ entity
                        ~ ") holds no rows; " ~ entity ~ " must not be empty") -%}
                {%- endif -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if problems -%}
            {{ exceptions.raise_compiler_error(
                "Bad raw input, nothing was built:\n  - " ~ (problems | join("\n  - "))) }}
        {%- endif -%}
    {%- endif -%}
    select 1 as raw_files_checked
{% endmacro %}
