{#-
    The latest timestamp a raw row may carry: the build's clock plus
    `future_tolerance_days`. A later timestamp is rejected as `future_<column>`.
-#}
{% macro crm_future_limit() %}
    {{ dbt.dateadd('day', var('future_tolerance_days'), crm_build_clock()) }}
{% endmacro %}
