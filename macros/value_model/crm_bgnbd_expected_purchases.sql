{#-
    BG/NBD expected purchases in the next `horizon` time units, given x, t_x and T
    (Fader, Hardie & Lee 2005, eq. 10), written with Euler's transformation of the
    Gaussian hypergeometric function:

        E = (a + b + x - 1) / (a - 1) * (1 - hyp2f1_scaled) * p_alive,
        hyp2f1_scaled = (1 - z)^(a - 1) * 2F1(a + b - 1 - r, a - 1; a + b + x - 1; z),
        z = horizon / (alpha + T + horizon)

    `hyp2f1_scaled` and `p_alive` are SQL expressions already computed
    (int_clv_hypergeometric_series, crm_bgnbd_p_alive).
-#}
{% macro crm_bgnbd_expected_purchases(hyp2f1_scaled, p_alive, x, a='a', b='b') %}
    ({{ a }} + {{ b }} + {{ x }} - 1) / nullif({{ a }} - 1, 0)
    * (1.0 - {{ hyp2f1_scaled }})
    * {{ p_alive }}
{% endmacro %}
