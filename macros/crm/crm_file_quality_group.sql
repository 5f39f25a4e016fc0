{#-
    One group-by of the customer-file quality summary: per value of `dimension` (a
    missing value is the group '(missing)'), or over all customers when dimension is 'all'.
-#}
{% macro crm_file_quality_group(relation, dimension) %}
    {%- set value = "'all'" if dimension == 'all' else "coalesce(" ~ dimension ~ ", '(missing)')" -%}
    select
        '{{ dimension }}' as dimension,
        {{ value }} as dimension_value,
        max(as_of_date) as as_of_date,
        count(*) as customers,
        sum(case when is_complete then 1 else 0 end) as complete_customers,
        sum(case when is_current then 1 else 0 end) as current_customers,
        avg(completeness_share) as mean_completeness_share
    from {{ relation }}
    {%- if dimension != 'all' %}
    group by {{ value }}
    {%- endif %}
{% endmacro %}
