{#-
    Expected repeat purchase days in the next `horizon` time units, for a customer with
    x repeat purchase days observed for T time units. Arguments are SQL expressions; the
    purchase model's columns (model, fit_status, r, alpha, s, beta, purchase_rate) must be
    in scope.
    - BG/NBD, MBG/NBD and their limits with dropout: P(alive) times `survived`, the
      expected purchases an active customer makes before she drops out
      (int_clv_purchase_series).
    - Pareto/NBD (Schmittlein et al. 1987; Fader, Hardie & Lee's note, eq. 41):
      P(alive) (r + x) / (alpha + T) (beta + T) (1 - ((beta + T) / (beta + T + t))^(s - 1))
      / (s - 1); the last factor tends to ln((beta + T + t) / (beta + T)) as s -> 1.
    - Without dropout: the NBD's (r + x) t / (alpha + T), or one rate's rate t.
    Called with x = 0 and T = 0 (and P(alive) at x = 0, t_x = 0, T = 0) it is the
    unconditional E[X(t)]: the repeat purchases a new customer makes within t.
-#}
{% macro crm_clv_expected_purchases(x, big_t, horizon, p_alive, survived, status='fit_status') %}
    case
        when {{ status }} = 'limit_no_dropout'
            then (r + {{ x }}) * {{ horizon }} / (alpha + {{ big_t }})
        when {{ status }} = 'limit_no_dropout_no_rate_heterogeneity'
            then purchase_rate * {{ horizon }}
        when model = 'pareto_nbd'
            then {{ p_alive }} * (r + {{ x }}) / (alpha + {{ big_t }}) * (beta + {{ big_t }})
            * case
                when abs(s - 1.0) * (ln(beta + {{ big_t }} + {{ horizon }}) - ln(beta + {{ big_t }})) < 1e-8
                    then (ln(beta + {{ big_t }} + {{ horizon }}) - ln(beta + {{ big_t }}))
                    * (1.0 - (s - 1.0) * (ln(beta + {{ big_t }} + {{ horizon }}) - ln(beta + {{ big_t }})) / 2)
                else (1.0 - exp(-(s - 1.0) * (ln(beta + {{ big_t }} + {{ horizon }}) - ln(beta + {{ big_t }}))))
                / (s - 1.0)
            end
        else {{ p_alive }} * {{ survived }}
    end
{% endmacro %}
