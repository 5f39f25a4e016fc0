{#- The rejected-share bound of an entity (crm_rejected_share_bound). -#}
{% macro crm_max_rejected_share(entity) %}
    {{ return(crm_rejected_share_bound(entity).share) }}
{% endmacro %}
