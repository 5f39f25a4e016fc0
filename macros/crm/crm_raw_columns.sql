{#-
    Each contract column of an entity as the raw input holds it: {name: {type, header}},
    `header` being the column's name in the file, matched to the contract trimmed and
    case-folded (a header ` City` is column city). `type` is upper-cased ('VARCHAR',
    'TIMESTAMP', 'DECIMAL(18,2)', ...), or 'MISSING' (header none) for an optional column
    the file lacks (a missing required column has already stopped the build in
    crm_check_raw_files()). CSV and the demo seeds are all text; Parquet keeps its own
    types, so typed columns skip the text rules. At parse time and for the demo seeds every
    column is taken as present text.
-#}
{% macro crm_raw_columns(entity, reader=none) %}
    {%- set spec = crm_raw_entity(entity) -%}
    {%- set columns = {} -%}
    {%- if not execute or crm_raw_mode() == 'seed' -%}
        {%- for column in spec.columns -%}
            {%- do columns.update({column.name: {'type': 'VARCHAR', 'header': column.name}}) -%}
        {%- endfor -%}
        {{ return(columns) }}
    {%- endif -%}
    {%- set described = run_query('describe select * from ' ~ (reader or crm_raw_relation(entity))) -%}
    {%- set found = {} -%}
    {%- for row in described.rows -%}
        {%- do found.update({row[0] | trim | lower: {'type': crm_raw_type_name(row[1]), 'header': row[0]}}) -%}
    {%- endfor -%}
    {%- for column in spec.columns -%}
        {%- do columns.update({column.name: found.get(column.name, {'type': 'MISSING', 'header': none})}) -%}
    {%- endfor -%}
    {{ return(columns) }}
{% endmacro %}

{#-
    A raw column's type as the raw-file rules name it: DuckDB's spelling, upper-cased
    ('VARCHAR', 'TIMESTAMP WITH TIME ZONE', 'DECIMAL(18,2)'). Spark's names are mapped to
    the DuckDB type that reads the same Parquet column.
-#}
{% macro crm_raw_type_name(engine_type) %}
    {{ return(adapter.dispatch('crm_raw_type_name', 'crm_value')(engine_type)) }}
{% endmacro %}

{% macro default__crm_raw_type_name(engine_type) %}
    {{ return(engine_type | upper) }}
{% endmacro %}

{% macro spark__crm_raw_type_name(engine_type) %}
    {%- set spark = engine_type | lower | trim -%}
    {%- set names = {
        'string': 'VARCHAR', 'tinyint': 'TINYINT', 'smallint': 'SMALLINT', 'int': 'INTEGER',
        'bigint': 'BIGINT', 'float': 'FLOAT', 'double': 'DOUBLE', 'boolean': 'BOOLEAN',
        'date': 'DATE', 'timestamp': 'TIMESTAMP WITH TIME ZONE', 'timestamp_ntz': 'TIMESTAMP',
        'binary': 'BLOB',
    } -%}
    {%- if spark.startswith('varchar') or spark.startswith('char') -%}
        {{ return('VARCHAR') }}
    {%- endif -%}
    {{ return(names.get(spark, spark | replace(' ', '') | upper)) }}
{% endmacro %}

{#-
    A raw column as the reader holds it (an entry of crm_raw_columns): its header, quoted,
    or a text null for an optional column the file lacks.
-#}
{% macro crm_raw_value(found) %}
    {%- if found.type == 'MISSING' -%}
        {{ return('cast(null as ' ~ dbt.type_string() ~ ')') }}
    {%- endif -%}
    {{ return(adapter.quote(found.header)) }}
{% endmacro %}
