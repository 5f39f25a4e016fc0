{#- One entity's contract from crm_raw_entities(), with a clear error for a name it lacks. -#}
{% macro crm_raw_entity(entity) %}
    {%- set entities = crm_raw_entities() -%}
    {%- if entity not in entities -%}
        {{ exceptions.raise_compiler_error(
            "Unknown raw entity '" ~ entity ~ "'; the contract defines: "
            ~ (entities.keys() | list | join(', '))) }}
    {%- endif -%}
    {{ return(entities[entity]) }}
{% endmacro %}
