{#-
    Validate the quality-customer score's vars: quality_weights (a weight in [0, 1] for
    each of the six measures, summing to 1), quality_top_share, cost_per_service_minute and
    default_margin_rate. Raises a compiler error naming the var.
-#}
{% macro crm_validate_quality_score_vars() %}
    {%- set weights = var('quality_weights') -%}
    {%- set measures = crm_quality_measures() -%}
    {%- if weights is not mapping or (weights.keys() | list | sort) != (measures | sort) -%}
        {{ exceptions.raise_compiler_error(
            "Invalid var 'quality_weights' = " ~ (weights | tojson)
            ~ ": must map each of " ~ (measures | join(', ')) ~ " to a weight in [0, 1], summing to 1.") }}
    {%- endif -%}
    {%- for measure in measures -%}
        {%- do crm_require_number('quality_weights.' ~ measure, weights[measure], 0, 1) -%}
    {%- endfor -%}
    {%- set total = weights.values() | sum -%}
    {%- if (total - 1) | abs > 0.000001 -%}
        {{ exceptions.raise_compiler_error(
            "Invalid var 'quality_weights': the weights sum to " ~ total ~ ", they must sum to 1.") }}
    {%- endif -%}
    {%- do crm_require_number('quality_top_share', var('quality_top_share'), 0, 1) -%}
    {%- do crm_require_number('cost_per_service_minute', var('cost_per_service_minute'), 0, 1000000) -%}
    {%- do crm_require_number('default_margin_rate', var('default_margin_rate'), 0, 1) -%}
{% endmacro %}
