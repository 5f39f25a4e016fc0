{#-
    The generic reason codes of an entity's columns, as a list of SQL expressions that are
    a code or null: `missing_<column>` for a required column with no value, and
    `invalid_<column>` for a value that does not parse as its type or is not one of the
    column's `values`, `control_character_<column>` for text holding a control character
    (a NUL byte, an escape: never part of a real name or code; tabs and line breaks are
    allowed), and `implausible_<column>` for a date or timestamp before
    `min_plausible_date` (an export's "no value" placeholder such as 0001-01-01). Needs
    the typed column and its raw_<column> text side by side.
-#}
{% macro crm_contract_reasons(entity, reader=none) %}
    {%- set reasons = [] -%}
    {%- set types = crm_raw_column_types(entity, reader) -%}
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
        {%- if column.type == 'text' and crm_is_text_type(types[column.name]) -%}
            {%- do reasons.append("case when " ~ crm_has_control_character("raw_" ~ column.name)
                ~ " then 'control_character_" ~ column.name ~ "' end") -%}
        {%- endif -%}
        {%- if column.type in ['timestamp', 'date'] -%}
            {%- do reasons.append("case when " ~ column.name ~ " < " ~ crm_min_plausible_date()
                ~ " then 'implausible_" ~ column.name ~ "' end") -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(reasons) }}
{% endmacro %}
