{#-
    The generic reason codes of an entity's columns, as a list of SQL expressions that are
    a code or null: `missing_<column>` for a required column with no value, and
    `invalid_<column>` for a value that does not parse as its type or is not one of the
    column's `values`. Needs the typed
    column and its raw_<column> text side by side.
-#}
{% macro crm_contract_reasons(entity) %}
    {%- set reasons = [] -%}
    {%- set types = crm_raw_column_types(entity) -%}
    {%- for column in crm_raw_entity(entity).columns -%}
        {%- if crm_is_text_type(types[column.name]) -%}
            {%- set blank = "nullif(trim(raw_" ~ column.name ~ "), '') is null" -%}
        {%- else -%}
            {%- set blank = "raw_" ~ column.name ~ " is null" -%}
        {%- endif -%}
        {%- if column.required -%}
            {%- do reasons.append("case when " ~ blank ~ " then 'missing_" ~ column.name ~ "' end") -%}
        {%- endif -%}
        {%- if column.get('values') -%}
            {%- do reasons.append("case when " ~ column.name ~ " not in ('"
                ~ (column['values'] | join("', '")) ~ "') then 'invalid_" ~ column.name ~ "' end") -%}
        {%- endif -%}
        {%- if column.type != 'text' -%}
            {%- do reasons.append("case when not (" ~ blank ~ ") and " ~ column.name
                ~ " is null then 'invalid_" ~ column.name ~ "' end") -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(reasons) }}
{% endmacro %}
