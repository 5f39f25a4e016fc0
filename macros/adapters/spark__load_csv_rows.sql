{#-
    dbt-spark's seed loader, with each value written as a SQL literal. The loader it
    replaces binds values by plain text substitution on `method: session`: a value with a
    quote (the seeds' English strategies: "don't") breaks the statement, and an empty cell
    arrives as the text 'None'. Here an empty cell is NULL, as on DuckDB, and a value is a
    Spark string literal with its backslashes and quotes escaped, cast to the column's type
    unless that is `string`: the insert casts NULL to the table's type, and a cast around
    each of the 300,000 text values of the demo's orders cost Spark about 14 s of that
    seed's 32 s.
-#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {%- set batch_size = get_batch_size() -%}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set types = [] -%}
    {%- for col_name in agate_table.column_names -%}
        {%- do types.append(column_override.get(col_name, adapter.convert_type(agate_table, loop.index0))) -%}
    {%- endfor -%}
    {%- set text_type = dbt.type_string() | lower -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(batch_size) -%}
        {%- set sql -%}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
                ({%- for value in row -%}
                    {%- if value is none -%}
                        null
                    {%- else -%}
                        {%- set literal = "'" ~ (value | string | replace("\\", "\\\\") | replace("'", "\\'")) ~ "'" -%}
                        {{- literal if types[loop.index0] | lower == text_type else 'cast(' ~ literal ~ ' as ' ~ types[loop.index0] ~ ')' -}}
                    {%- endif -%}
                    {{- ', ' if not loop.last -}}
                {%- endfor -%}){{ ',' if not loop.last }}
            {% endfor -%}
        {%- endset -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- if loop.first -%}
            {%- do statements.append(sql) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(statements[0] if statements else '') }}
{% endmacro %}
