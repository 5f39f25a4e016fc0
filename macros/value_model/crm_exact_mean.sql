{#-
    The mean `total / count` of a non-negative money sum (2 decimals), rounded half-up to
    6 decimals in integer arithmetic: exact on every engine, so equal means tie.
    Null when `count` is 0 or null. Cents x 20000 must fit a bigint: a total up to about
    4.6e12 (beyond it the build stops with an overflow error, never a wrong mean).
-#}
{% macro crm_exact_mean(total, count) %}
    case
        when {{ count }} > 0 then
            cast(
                cast(
                    {{ crm_int_div(
                        'cast(round(' ~ total ~ ' * 100) as bigint) * 20000 + ' ~ count,
                        '2 * ' ~ count) }}
                    as decimal(38, 0)
                ) * cast(0.000001 as decimal(7, 6))
                as decimal(18, 6)
            )
    end
{% endmacro %}
