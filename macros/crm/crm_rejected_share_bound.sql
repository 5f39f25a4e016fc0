{#-
    The rejected-share bound of an entity and the var that sets it: its entry in
    `max_rejected_share_by_entity`, else `max_rejected_share`. Returns {share, var}; the
    door (crm_value.contract) reads the same macro.
-#}
{% macro crm_rejected_share_bound(entity) %}
    {%- set overrides = var('max_rejected_share_by_entity') or {} -%}
    {%- if entity in overrides -%}
        {{ return({'share': overrides[entity], 'var': 'max_rejected_share_by_entity.' ~ entity}) }}
    {%- endif -%}
    {{ return({'share': var('max_rejected_share'), 'var': 'max_rejected_share'}) }}
{% endmacro %}
