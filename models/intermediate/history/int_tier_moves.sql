{#-
    Per scheme and each pair of consecutive dates of the tier history: how many customers
    went from one tier to another, and their value-window revenue at both dates. A
    customer absent from a snapshot, or without a tier in the scheme there, is
    'not_in_scope', so entries and exits are rows too; a customer out of scope at both
    dates is no row.

    A pair depends on its two snapshots only, so a build computes the pairs that touch
    its own date or a stored file that changed, and keeps the others from its previous
    build (crm_tier_pairs_plan): a daily refresh computes two pairs, however long the
    history. from_stamp and to_stamp record the stored files a pair was computed from
    (empty: this build's own snapshot), computed_as_of_date the build that computed it.
-#}
{%- set schemes = crm_tier_scheme_columns() -%}
{%- set plan = crm_tier_pairs_plan() -%}
{%- set computed = plan.pairs | rejectattr('keep') | list -%}
{%- set kept = plan.pairs | selectattr('keep') | list -%}
{%- set computed_dates = [] -%}
{%- for pair in computed -%}
    {%- do computed_dates.extend([pair.from, pair.to]) -%}
{%- endfor -%}

with

analysis_date as (
    select as_of_date
    from {{ ref('int_analysis_date_resolved') }}
),

consecutive_dates as (
    {% for pair in computed -%}
        select
            cast('{{ pair.from }}' as date) as from_as_of_date,
            cast('{{ pair.to }}' as date) as to_as_of_date,
            '{{ pair.from_stamp }}' as from_stamp,
            '{{ pair.to_stamp }}' as to_stamp
        {% if not loop.last %}union all{% endif %}
    {% else -%}
        select
            cast(null as date) as from_as_of_date,
            cast(null as date) as to_as_of_date,
            cast(null as {{ dbt.type_string() }}) as from_stamp,
            cast(null as {{ dbt.type_string() }}) as to_stamp
        where false
    {%- endfor %}
),

history as (
    select history.*
    from {{ ref('fct_customer_tier_history') }} as history
    where
        {% if computed_dates -%}
            history.as_of_date in (
                {%- for day in computed_dates | unique | sort -%}
                    cast('{{ day }}' as date){{ ', ' if not loop.last }}
                {%- endfor -%}
            )
        {%- else -%}
            false
        {%- endif %}
),

before_move as (
    select
        consecutive_dates.from_as_of_date,
        consecutive_dates.to_as_of_date,
        history.*
    from consecutive_dates
    inner join history
        on consecutive_dates.from_as_of_date = history.as_of_date
),

after_move as (
    select
        consecutive_dates.from_as_of_date,
        consecutive_dates.to_as_of_date,
        history.*
    from consecutive_dates
    inner join history
        on consecutive_dates.to_as_of_date = history.as_of_date
),

paired as (
    select
        {% for column in schemes.values() -%}
            coalesce(before_move.{{ column }}, {{ crm_not_in_scope() }}) as from_{{ column }},
            coalesce(after_move.{{ column }}, {{ crm_not_in_scope() }}) as to_{{ column }},
        {% endfor -%}
        coalesce(before_move.from_as_of_date, after_move.from_as_of_date) as from_as_of_date,
        coalesce(before_move.to_as_of_date, after_move.to_as_of_date) as to_as_of_date,
        before_move.value_window_revenue as from_revenue,
        after_move.value_window_revenue as to_revenue,
        -- A valid order in [from, to): the later snapshot's latest order is on or after from.
        coalesce(
            after_move.last_order_date >= coalesce(before_move.from_as_of_date, after_move.from_as_of_date),
            false
        ) as bought_again
    from before_move
    full outer join after_move
        on
            before_move.from_as_of_date = after_move.from_as_of_date
            and before_move.customer_id = after_move.customer_id
),

moves as (
    {% for scheme, column in schemes.items() -%}
        select
            '{{ scheme }}' as scheme,
            from_as_of_date,
            to_as_of_date,
            from_{{ column }} as from_tier,
            to_{{ column }} as to_tier,
            count(*) as customers,
            sum(from_revenue) as from_revenue,
            sum(to_revenue) as to_revenue,
            sum(case when bought_again then 1 else 0 end) as bought_again_customers
        from paired
        where from_{{ column }} <> {{ crm_not_in_scope() }} or to_{{ column }} <> {{ crm_not_in_scope() }}
        group by from_as_of_date, to_as_of_date, from_{{ column }}, to_{{ column }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

computed_moves as (
    select
        moves.scheme,
        moves.from_as_of_date,
        moves.to_as_of_date,
        moves.from_tier,
        moves.to_tier,
        cast(moves.customers as integer) as customers,
        cast(coalesce(moves.from_revenue, 0) as decimal(18, 2)) as from_revenue,
        cast(coalesce(moves.to_revenue, 0) as decimal(18, 2)) as to_revenue,
        cast(moves.bought_again_customers as integer) as bought_again_customers,
        consecutive_dates.from_stamp,
        consecutive_dates.to_stamp,
        analysis_date.as_of_date as computed_as_of_date
    from moves
    cross join analysis_date
    inner join consecutive_dates
        on
            moves.from_as_of_date = consecutive_dates.from_as_of_date
            and moves.to_as_of_date = consecutive_dates.to_as_of_date
),

final as (
    select * from computed_moves
    {%- if kept %}
        union all
        select
            scheme,
            from_as_of_date,
            to_as_of_date,
            from_tier,
            to_tier,
            customers,
            from_revenue,
            to_revenue,
            bought_again_customers,
            from_stamp,
            to_stamp,
            computed_as_of_date
        from {{ this }}
        where
            cast(from_as_of_date as {{ dbt.type_string() }}) || '|' || cast(to_as_of_date as {{ dbt.type_string() }}) in (
                {%- for pair in kept -%}
                    '{{ pair.from }}|{{ pair.to }}'{{ ', ' if not loop.last }}
                {%- endfor -%}
            )
    {%- endif %}
)

select * from final
