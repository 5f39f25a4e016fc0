{#- The rejected-share bound of an entity: its entry in `max_rejected_share_by_entity`, else `max_rejected_share`. -#}
{% macro crm_max_rejected_share(entity) %}
    {%- set overrides = var('max_rejected_share_by_entity') or {} -%}
    {{ return(overrides.get(entity, var('max_rejected_share'))) }}
{% endmacro %}
