{#-
    The type each contract column has in the raw input, upper-cased ('VARCHAR', 'TIMESTAMP',
    'DECIMAL(18,2)', ...), or 'MISSING' for an optional column the file lacks (a missing
    required column has already stopped the build in crm_check_raw_files()). CSV and the
    demo seeds are all text; Parquet keeps its own types, so typed columns skip the text
    rules. In file mode the file is described (a CSV may lack an optional column); at parse
    time and for the demo seeds every column is taken as present text.
-#}
{% macro crm_raw_column_types(entity) %}
    {%- set spec = crm_raw_entity(entity) -%}
    {%- set types = {} -%}
    {%- if not execute or crm_raw_mode() == 'seed' -%}
        {%- for column in spec.columns -%}
            {%- do types.update({column.name: 'VARCHAR'}) -%}
        {%- endfor -%}
        {{ return(types) }}
    {%- endif -%}
    {%- set described = run_query('describe select * from ' ~ crm_raw_relation(entity)) -%}
    {%- set found = {} -%}
    {%- for row in described.rows -%}
        {%- do found.update({row[0] | lower: row[1] | upper}) -%}
    {%- endfor -%}
    {%- for column in spec.columns -%}
        {%- do types.update({column.name: found.get(column.name, 'MISSING')}) -%}
    {%- endfor -%}
    {{ return(types) }}
{% endmacro %}
