{#-
    The project's Python, reached from Spark SQL. dbt-spark runs Python models on
    Databricks only, so on Spark the project's Python runs as a script of Spark's own
    TRANSFORM, in an executor process. The interpreter is env var PYSPARK_PYTHON (default
    python3); it must import crm_value (on a cluster: the package installed on the
    workers).
-#}

{#-
    The shell command that runs `python -m <module> <arguments...>`, each word in shell
    single quotes (Spark runs the script with /bin/bash -c), as a Spark SQL string literal.
    The arguments must be plain words; the interpreter's path may hold anything but a
    single quote or a line break.
-#}
{% macro crm_python_command(module, arguments=[]) %}
    {%- set python = env_var('PYSPARK_PYTHON', 'python3') -%}
    {%- if "'" in python or '\n' in python or '\r' in python -%}
        {{ exceptions.raise_compiler_error(
            "PYSPARK_PYTHON holds a quote or a line break: point it at the interpreter's path") }}
    {%- endif -%}
    {%- set words = ["'" ~ python ~ "'", '-m', module] -%}
    {%- for argument in arguments -%}
        {%- set text = argument | string -%}
        {%- if not modules.re.fullmatch('[A-Za-z0-9_.:-]+', text) -%}
            {{ exceptions.raise_compiler_error(
                "crm_python_command: argument " ~ text ~ " is not a plain word") }}
        {%- endif -%}
        {%- do words.append("'" ~ text ~ "'") -%}
    {%- endfor -%}
    {{ return(crm_text_literal(words | join(' '))) }}
{% endmacro %}

{#-
    `python -m <module> <arguments>` answering one JSON request (any value tojson takes)
    with one JSON line: the answer, parsed. Spark only; run at execution time.
-#}
{% macro crm_python_answer(module, arguments, request) %}
    {%- set sql -%}
        select transform(request)
            using {{ crm_python_command(module, arguments) }}
            as (answer string)
        from (select {{ crm_text_literal(tojson(request)) }} as request) as requests
    {%- endset -%}
    {%- set rows = run_query(sql).columns[0].values() | list -%}
    {%- if rows | length != 1 -%}
        {{ exceptions.raise_compiler_error(
            "python -m " ~ module ~ " gave " ~ (rows | length) ~ " answers to one request") }}
    {%- endif -%}
    {{ return(fromjson(rows[0])) }}
{% endmacro %}
