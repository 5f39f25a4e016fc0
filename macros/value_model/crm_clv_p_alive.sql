{#-
    P(alive): the probability that a customer with x repeat purchase days, the last at
    t_x, observed for T time units, has not dropped out. Arguments are SQL expressions;
    the purchase model's columns (model, its fit_status and parameters r, alpha, a, b, s,
    beta, purchase_rate, dropout_probability) must be in scope.

    P(alive) = 1 / (1 + odds), odds = (chance of the history with a dropout after the last
    purchase) / (chance of it with the customer still active):
    - BG/NBD (Fader, Hardie & Lee 2005, eq. 13): a / (b + x - 1) ((alpha + T) / (alpha +
      t_x))^(r + x) for x > 0; a one-time buyer has had no chance to drop out: 1.
    - MBG/NBD (Batislam et al. 2007): a / (b + x) ((alpha + T) / (alpha + t_x))^(r + x),
      for every x.
    - Their limits replace a part: one dropout probability p gives p / (1 - p) for a /
      (b + x - 1); one purchase rate gives e^(rate (T - t_x)) for the power.
    - Pareto/NBD (Fader, Hardie & Lee's note on the Pareto/NBD): s (alpha + T)^(r + x)
      (beta + T)^s (F(x, t_x) - F(x, T)), with `ln_gap` = ln(F(x, t_x) - F(x, T))
      (crm_clv_pareto_ln_gap); 1 when t_x = T.
    - Without dropout (the NBD and Poisson limits) every customer is alive: 1.
    The odds are built in logarithms and capped so that exp cannot overflow.
-#}
{% macro crm_clv_p_alive(x, t_x, big_t, ln_gap='null', status='fit_status') %}
    case
        when {{ status }} in ('{{ crm_clv_no_dropout_statuses() | join("', '") }}') then 1.0
        when model = 'pareto_nbd' then
            case
                when {{ t_x }} >= {{ big_t }} then 1.0
                else 1.0 / (1.0 + exp(least(700.0,
                    ln(s) + (r + {{ x }}) * ln(alpha + {{ big_t }}) + s * ln(beta + {{ big_t }})
                    + {{ ln_gap }}
                )))
            end
        when model = 'bgnbd' and {{ x }} = 0 then 1.0
        else 1.0 / (1.0 + exp(least(700.0,
            case
                when dropout_probability is not null
                    then ln(dropout_probability) - ln(1.0 - dropout_probability)
                else ln(a) - ln(b + {{ x }} - case when model = 'bgnbd' then 1 else 0 end)
            end
            + case
                when purchase_rate is not null then purchase_rate * ({{ big_t }} - {{ t_x }})
                else (r + {{ x }}) * (ln(alpha + {{ big_t }}) - ln(alpha + {{ t_x }}))
            end
        )))
    end
{% endmacro %}
