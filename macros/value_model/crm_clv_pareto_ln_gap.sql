{#-
    ln(F(x, t_x) - F(x, T)), Pareto/NBD's dropout term (crm_clv_p_alive), from where it was
    computed: `ln_gap_integrated` (int_clv_pareto_nbd_quadrature) where the series would be
    long, else from the series' ln F at t_x and at T (int_clv_pareto_nbd_series):
    ln F(t_x) + ln(1 - F(T) / F(t_x)). Arguments are SQL expressions.
-#}
{% macro crm_clv_pareto_ln_gap(ln_f_recency, ln_f_age, ln_gap_integrated) %}
    coalesce(
        {{ ln_gap_integrated }},
        {{ ln_f_recency }} + ln(greatest(1e-300, 1.0 - exp({{ ln_f_age }} - ({{ ln_f_recency }}))))
    )
{% endmacro %}
