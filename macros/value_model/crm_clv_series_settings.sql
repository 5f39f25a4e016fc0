{#-
    How the CLV scores sum their series, in one place for every model that does:
    - crm_clv_series_max_terms(): a row of int_clv_purchase_series or
      int_clv_pareto_nbd_series that would need more terms is not summed (null, and a
      warning test counts the customers left without a score);
    - crm_clv_pareto_series_max_w(): Pareto/NBD's F(x, t) is summed as a series where w =
      |alpha - beta| / (max(alpha, beta) + t) is at most this (at most about 4,000 terms);
      above it int_clv_pareto_nbd_quadrature integrates the gap instead. The two models
      split the customers on it, so each customer is computed by exactly one. (The fit in
      crm_value.clv splits the same way, PARETO_SERIES_MAX_W, for speed: both ways agree to
      about 1e-13.)
    - crm_clv_no_dropout_statuses(): the limits without dropout, whose expected purchases
      and P(alive) are closed forms with no series.
-#}
{% macro crm_clv_series_max_terms() %}
    {{ return(20000) }}
{% endmacro %}

{% macro crm_clv_pareto_series_max_w() %}
    {{ return(0.99) }}
{% endmacro %}

{% macro crm_clv_no_dropout_statuses() %}
    {{ return(['limit_no_dropout', 'limit_no_dropout_no_rate_heterogeneity']) }}
{% endmacro %}
