{#-
    The purchase models every build fits and backtests, in the order that breaks ties:
    BG/NBD first (the value model's own), then MBG/NBD, then Pareto/NBD.
-#}
{% macro crm_clv_models() %}
    {{ return(['bgnbd', 'mbgnbd', 'pareto_nbd']) }}
{% endmacro %}
