{#-
    A select of one column `k` holding the integers 0 .. n - 1, built from cross-joined
    digits so every engine can run it (no generate_series / range).
-#}
{% macro crm_integers(n) %}
    {%- set places = (n - 1) | string | length -%}
    select k
    from (
        select
            {% for place in range(places) -%}
                d{{ place }}.digit * {{ 10 ** place }}{{ ' +' if not loop.last }}
            {% endfor -%} as k
        from
            {% for place in range(places) -%}
                (values (0), (1), (2), (3), (4), (5), (6), (7), (8), (9)) as d{{ place }} (digit)
                {{- '\n            cross join' if not loop.last }}
            {% endfor %}
    ) as integers
    where k < {{ n }}
{% endmacro %}
