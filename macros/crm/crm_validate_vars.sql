{#-
    Validate every var the project reads, before anything builds (on-run-start). A var
    out of range stops the build with an error naming the var and its allowed range.
-#}
{% macro crm_validate_vars() %}
    {%- do crm_require_number('max_rejected_share', var('max_rejected_share'), 0, 1) -%}
    {%- set overrides = var('max_rejected_share_by_entity') -%}
    {%- if overrides is not mapping -%}
        {{ exceptions.raise_compiler_error(
            "Invalid var 'max_rejected_share_by_entity': must be a mapping of entity to a number in [0, 1], e.g. {orders: 0.01}.") }}
    {%- endif -%}
    {%- for entity, bound in overrides.items() -%}
        {%- if entity not in crm_raw_entities() -%}
            {{ exceptions.raise_compiler_error(
                "Invalid var 'max_rejected_share_by_entity': unknown entity '" ~ entity
                ~ "'; entities are " ~ (crm_raw_entities().keys() | list | join(', ')) ~ ".") }}
        {%- endif -%}
        {%- do crm_require_number('max_rejected_share_by_entity.' ~ entity, bound, 0, 1) -%}
    {%- endfor -%}
    {%- do crm_require_number('future_tolerance_days', var('future_tolerance_days'), 0, 3650, integer=true) -%}
    {%- do crm_require_choice('changed_raw_files', var('changed_raw_files'), ['fail', 'reprocess']) -%}
    {%- do crm_validate_window_vars() -%}
    {%- do crm_validate_rfm_vars() -%}
    {%- do crm_validate_abc_vars() -%}
    {%- do crm_validate_pyramid_vars() -%}
    {%- do crm_validate_strategy_vars() -%}
    {%- do crm_validate_quality_vars() -%}
    {%- do crm_validate_clv_vars() -%}
    {%- do crm_validate_dimension_vars() -%}
    {%- do crm_validate_quality_score_vars() -%}
    {%- do crm_validate_history_vars() -%}
    select 1 as vars_validated
{% endmacro %}
