{#-
    The purchase models every build fits and backtests, in the order that breaks ties:
    BG/NBD first (the value model's own), then MBG/NBD, then Pareto/NBD.
-#}
{% macro crm_clv_models() %}
    {{ return(['bgnbd', 'mbgnbd', 'pareto_nbd']) }}
{% endmacro %}

{#-
    True when only the chosen purchase model is fitted, on the full window (var
    clv_fit_scope 'scoring' with a named clv_model; int_clv_models_fitted marks the rest
    'skipped'): the scores then need only that model's full-window rows.
-#}
{% macro crm_clv_scores_chosen_only() %}
    {{ return(var('clv_fit_scope') == 'scoring' and var('clv_model') in crm_clv_models()) }}
{% endmacro %}
