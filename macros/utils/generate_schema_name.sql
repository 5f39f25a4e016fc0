{#-
    Models land in the plain schema named by their `+schema` config (`staging`, `audit`,
    `marts`), not dbt's default `<target_schema>_<custom>`: BI users type these names.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
