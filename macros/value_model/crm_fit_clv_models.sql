{#-
    Every CLV model fitted on the per-customer inputs `inputs` (int_customers_clv_inputs):
    one row per model and fit window, with the columns of crm_clv_fit_columns(). The fit
    is one piece of Python on every engine (crm_value.clv_fit.fit_rows, numpy and scipy);
    each engine reaches it its own way, and every score stays SQL:
    - DuckDB: the function crm_fit_clv_models that the project's dbt-duckdb plugin
      registers, called once over the columns aggregated into lists; it answers JSON;
    - Spark: a TRANSFORM through `python -m crm_value.clv_fit`, on one partition
      (crm_python_command: the interpreter is env var PYSPARK_PYTHON).
    The settings are vars clv_min_customers, clv_model and clv_fit_scope (checked by
    crm_validate_clv_vars).
-#}
{% macro crm_fit_clv_models(inputs) %}
    {{ return(adapter.dispatch('crm_fit_clv_models', 'crm_value')(inputs)) }}
{% endmacro %}

{#- The output columns and their types, in the order crm_value.clv_fit.OUTPUTS writes them. -#}
{% macro crm_clv_fit_columns() %}
    {%- set columns = [
        ('fit_window', 'text'), ('model', 'text'), ('predicts', 'text'),
        ('fit_status', 'text'), ('is_usable', 'boolean')
    ] -%}
    {%- for name in [
        'r', 'alpha', 'a', 'b', 's', 'beta', 'purchase_rate', 'dropout_probability',
        'p', 'q', 'gamma', 'spend_rate', 'spend_scale', 'constant_value', 'log_likelihood'
    ] -%}
        {%- do columns.append((name, 'double')) -%}
    {%- endfor -%}
    {{ return(columns + [('customers', 'bigint'), ('iterations', 'bigint')]) }}
{% endmacro %}

{#- The inputs in the order crm_value.clv_fit.INPUTS reads them, nulls as 0 (or false). -#}
{% macro crm_clv_fit_inputs() %}
    {%- set inputs = [] -%}
    {%- for column in [
        'repeat_purchases', 'recency_units', 'age_units', 'mean_repeat_value'
    ] -%}
        {%- do inputs.append('coalesce(cast(' ~ column ~ ' as double), 0)') -%}
    {%- endfor -%}
    {%- do inputs.append('coalesce(is_calibration_customer, false)') -%}
    {%- for column in [
        'calibration_repeat_purchases', 'calibration_recency_units',
        'calibration_age_units', 'calibration_mean_repeat_value'
    ] -%}
        {%- do inputs.append('coalesce(cast(' ~ column ~ ' as double), 0)') -%}
    {%- endfor -%}
    {{ return(inputs) }}
{% endmacro %}

{% macro duckdb__crm_fit_clv_models(inputs) %}
    {%- set types = {'text': 'VARCHAR', 'boolean': 'BOOLEAN', 'double': 'DOUBLE', 'bigint': 'BIGINT'} -%}
    {%- set shape = [] -%}
    {%- for name, type in crm_clv_fit_columns() -%}
        {%- do shape.append('"' ~ name ~ '": "' ~ types[type] ~ '"') -%}
    {%- endfor %}
    select
        {%- for name, type in crm_clv_fit_columns() %}
        fitted.fit.{{ name }}{{ ',' if not loop.last }}
        {%- endfor %}
    from (
        select unnest(from_json(
            crm_fit_clv_models(
                {{ var('clv_min_customers') | int }},
                '{{ var('clv_model') }}',
                '{{ var('clv_fit_scope') }}',
                {%- for value in crm_clv_fit_inputs() %}
                coalesce(list({{ value }}), []){{ ',' if not loop.last }}
                {%- endfor %}
            ),
            '[{ {{ shape | join(", ") }} }]'
        )) as fit
        from {{ inputs }}
    ) as fitted
{% endmacro %}

{% macro spark__crm_fit_clv_models(inputs) %}
    {%- set command = crm_python_command('crm_value.clv_fit', [
        var('clv_min_customers') | int, var('clv_model'), var('clv_fit_scope')
    ]) -%}
    {%- set types = {'text': 'string', 'boolean': 'boolean', 'double': 'double', 'bigint': 'bigint'} -%}
    select transform(
        {%- for value in crm_clv_fit_inputs() %}
        input_{{ loop.index }}{{ ',' if not loop.last }}
        {%- endfor %}
    )
        row format delimited fields terminated by '\t'
        using {{ command }}
        as (
            {%- for name, type in crm_clv_fit_columns() %}
            {{ name }} {{ types[type] }}{{ ',' if not loop.last }}
            {%- endfor %}
        )
        row format delimited fields terminated by '\t'
    from (
        {#- one partition: the fit needs every buyer in one process. The marker row (x = -1,
            which no customer has; the script drops it) keeps that partition from being
            empty, so the script runs and answers 'skipped' rows when nobody bought. #}
        select /*+ REPARTITION(1) */ *
        from (
            select
                {%- for value in crm_clv_fit_inputs() %}
                {{ value }} as input_{{ loop.index }}{{ ',' if not loop.last }}
                {%- endfor %}
            from {{ inputs }}
            union all
            select
                {%- for value in crm_clv_fit_inputs() %}
                {{ 'false' if 'is_calibration_customer' in value else 'cast(-1 as double)' }}
                    as input_{{ loop.index }}{{ ',' if not loop.last }}
                {%- endfor %}
        ) as rows_and_marker
    ) as inputs
{% endmacro %}
