{#-
    BG/NBD probability that a customer is still active (Fader, Hardie & Lee 2005, eq. 13):
    1 when x = 0, else 1 / (1 + a / (b + x - 1) * ((alpha + T) / (alpha + t_x))^(r + x)).
    Arguments are SQL expressions; r, alpha, a, b are the fitted parameters' columns.
-#}
{% macro crm_bgnbd_p_alive(x, t_x, big_t, r='r', alpha='alpha', a='a', b='b') %}
    case
        when {{ x }} = 0 then 1.0
        else 1.0 / (
            1.0 + {{ a }} / ({{ b }} + {{ x }} - 1)
            * power(({{ alpha }} + {{ big_t }}) / ({{ alpha }} + {{ t_x }}), {{ r }} + {{ x }})
        )
    end
{% endmacro %}
