{#-
    BG/NBD expected purchases in the next `horizon` time units, given x, t_x and T
    (Fader, Hardie & Lee 2005, eq. 10), written with Euler's transformation of the
    Gaussian hypergeometric function so its series converges fast:

        E = (a + b + x - 1) / (a - 1) * (1 - (1 - z)^(a - 1) * hyp2f1) * p_alive,
        z = horizon / (alpha + T + horizon),
        hyp2f1 = 2F1(a + b - 1 - r, a - 1; a + b + x - 1; z)

    `hyp2f1` and `p_alive` are SQL expressions already computed (int_clv_hypergeometric,
    crm_bgnbd_p_alive).
-#}
{% macro crm_bgnbd_expected_purchases(hyp2f1, p_alive, x, big_t, horizon, r='r', alpha='alpha', a='a', b='b') %}
    ({{ a }} + {{ b }} + {{ x }} - 1) / nullif({{ a }} - 1, 0)
    * (
        1.0 - power(
            1.0 - {{ horizon }} / ({{ alpha }} + {{ big_t }} + {{ horizon }}), {{ a }} - 1
        ) * {{ hyp2f1 }}
    )
    * {{ p_alive }}
{% endmacro %}
