{#- Validate the CLV model's vars. Raises a compiler error naming the var. -#}
{% macro crm_validate_clv_vars() %}
    {%- do crm_require_number('clv_time_unit_days', var('clv_time_unit_days'), 1, 366, integer=true) -%}
    {%- do crm_require_number('clv_horizon_days', var('clv_horizon_days'), 1, 3660, integer=true) -%}
    {%- do crm_require_number('clv_margin_rate', var('clv_margin_rate'), 0, 1) -%}
    {%- do crm_require_number('clv_min_customers', var('clv_min_customers'), 10, none, integer=true) -%}
    {%- do crm_require_choice('clv_model', var('clv_model'), crm_clv_models() + ['best']) -%}
    {%- do crm_require_choice('clv_fit_scope', var('clv_fit_scope'), ['all', 'scoring']) -%}
    {%- do crm_require_number('clv_holdout_days', var('clv_holdout_days'), 1, 3660, integer=true) -%}
    {%- do crm_require_number('clv_backtest_warn_error', var('clv_backtest_warn_error'), 0, none) -%}
    {%- if var('clv_backtest_max_error') is not none -%}
        {%- do crm_require_number(
            'clv_backtest_max_error', var('clv_backtest_max_error'), var('clv_backtest_warn_error'), none
        ) -%}
    {%- endif -%}
{% endmacro %}
