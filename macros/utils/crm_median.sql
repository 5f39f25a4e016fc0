{#- The median of `expression` as an aggregate (the mean of the two middle values for an even count). -#}
{% macro crm_median(expression) %}
    {{ return(adapter.dispatch('crm_median', 'crm_value')(expression)) }}
{% endmacro %}

{% macro default__crm_median(expression) %}
    median({{ expression }})
{% endmacro %}

{% macro spark__crm_median(expression) %}
    percentile({{ expression }}, 0.5)
{% endmacro %}
