{#-
    The expected value of a customer's purchase day, given x repeat purchase days of mean
    value m_x. Arguments are SQL expressions; the order-value model's parameters (p, q,
    gamma, spend_rate, spend_scale, constant_value) must be in scope and `status` names
    its fit_status.
    - Gamma-Gamma (Fader, Hardie & Lee 2005, "RFM and CLV", eq. 5): (gamma + m_x x) p /
      (p x + q - 1) for x > 0, the population mean p gamma / (q - 1) for x = 0. Each exists
      only when its denominator is positive: with q <= 1 the population has no mean (a
      one-time buyer gets null), while a repeat buyer's posterior mean still exists when
      p x + q > 1.
    - limit_no_spend_heterogeneity: every customer's spend rate is the same, so the
      expected value is the population's, p / spend_rate, for everyone.
    - limit_no_spend_variation: a customer spends the same on every purchase day: m_x for
      x > 0; the population mean spend_scale / (q - 1) for x = 0 (null when q <= 1).
    - limit_constant_spend: every purchase day has the same value.
-#}
{% macro crm_clv_expected_order_value(x, m_x, status) %}
    case
        when {{ status }} = 'fitted' then
            case
                when {{ x }} > 0 and p * {{ x }} + q > 1
                    then (gamma + {{ m_x }} * {{ x }}) * p / (p * {{ x }} + q - 1)
                when {{ x }} = 0 and q > 1 then p * gamma / (q - 1)
            end
        when {{ status }} = 'limit_no_spend_heterogeneity' then p / spend_rate
        when {{ status }} = 'limit_no_spend_variation' then
            case
                when {{ x }} > 0 then {{ m_x }}
                when q > 1 then spend_scale / (q - 1)
            end
        when {{ status }} = 'limit_constant_spend' then constant_value
    end
{% endmacro %}
