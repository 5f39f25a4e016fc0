{#-
    Select an entity's contract columns from its raw relation, as the file holds them
    (text for CSV, its own types for Parquet; extra columns are ignored; an absent optional
    column reads as null), and collapse exact duplicate rows: one row per distinct raw row,
    `n_raw_rows` counting the raw rows it stands for. Each column comes out as `raw_<column>`.
-#}
{% macro crm_deduplicated_raw(entity) %}
    {%- set spec = crm_raw_entity(entity) -%}
    {%- set raw_columns = crm_raw_columns(entity) -%}
    select
        {%- for column in spec.columns %}
        {% if raw_columns[column.name].type != 'MISSING' -%}
        {{ adapter.quote(raw_columns[column.name].header) }}
        {%- else -%}
        cast(null as {{ dbt.type_string() }})
        {%- endif %} as raw_{{ column.name }},
        {%- endfor %}
        count(*) as n_raw_rows
    from {{ crm_raw_relation(entity) }}
    group by
        {%- for column in spec.columns %}
        raw_{{ column.name }}{{ ',' if not loop.last }}
        {%- endfor %}
{% endmacro %}
