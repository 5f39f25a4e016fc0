{#-
    Select an entity's contract columns from its raw relation as text (extra columns are
    ignored; an absent optional column reads as null) and collapse exact duplicate rows:
    one row per distinct raw row, `n_raw_rows` counting the raw rows it stands for.
    Each column comes out as `raw_<column>`, the value exactly as the file held it.
-#}
{% macro crm_deduplicated_raw(entity) %}
    {%- set spec = crm_raw_entity(entity) -%}
    {%- set present = crm_raw_present_columns(entity) -%}
    select
        {%- for column in spec.columns %}
        {% if column.name in present -%}
        cast({{ adapter.quote(column.name) }} as {{ dbt.type_string() }})
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
