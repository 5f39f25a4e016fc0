{#-
    Gamma-Gamma expected value of a customer's purchase (Fader, Hardie & Lee 2005, "RFM
    and CLV", eq. 5): (gamma + m_x * x) * p / (p * x + q - 1) for x > 0; for x = 0 the
    population mean p * gamma / (q - 1). Null when q <= 1 (the mean does not exist).
-#}
{% macro crm_gamma_gamma_expected_value(x, m_x, p='p', q='q', gamma='gamma') %}
    case
        when {{ q }} <= 1 then null
        when {{ x }} > 0
            then ({{ gamma }} + {{ m_x }} * {{ x }}) * {{ p }} / ({{ p }} * {{ x }} + {{ q }} - 1)
        else {{ p }} * {{ gamma }} / ({{ q }} - 1)
    end
{% endmacro %}
