{#-
    The RFM score (1..5, 5 best) of `column` over all rows of the query (a window over
    the whole result): `better` is 'higher' (frequency, monetary) or 'lower' (recency).
    rfm_score_method 'quantile': least(5, 1 + 5 * (rank - 1) div (n - 1)) in integer
    arithmetic, rank() ordered worst first so ties share a score; 1 when n = 1.
    rfm_score_method 'fixed': the four ascending edges in `edges_var`; for 'higher' each
    edge reached adds 1 to a base of 1, for 'lower' each edge exceeded takes 1 from 5.
-#}
{% macro crm_rfm_score(column, better, edges_var) %}
    {%- do crm_validate_rfm_vars() -%}
    {%- if better not in ['higher', 'lower'] -%}
        {{ exceptions.raise_compiler_error("crm_rfm_score: better must be 'higher' or 'lower', got '" ~ better ~ "'") }}
    {%- endif -%}
    {%- if var('rfm_score_method') == 'quantile' -%}
        {%- set worst_first = 'asc' if better == 'higher' else 'desc' -%}
        case
            when count(*) over () = 1 then 1
            else least(
                5,
                1 + {{ crm_int_div(
                    '5 * (rank() over (order by ' ~ column ~ ' ' ~ worst_first ~ ') - 1)',
                    'count(*) over () - 1') }}
            )
        end
    {%- else -%}
        {%- set edges = var(edges_var) -%}
        {%- if better == 'higher' -%}
            1
            {%- for edge in edges %}
            + case when {{ column }} >= {{ edge }} then 1 else 0 end
            {%- endfor %}
        {%- else -%}
            5
            {%- for edge in edges %}
            - case when {{ column }} > {{ edge }} then 1 else 0 end
            {%- endfor %}
        {%- endif -%}
    {%- endif -%}
{% endmacro %}
