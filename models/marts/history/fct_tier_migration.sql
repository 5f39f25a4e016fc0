{#-
    How customers moved between tiers: per scheme and each pair of consecutive dates of
    the tier history, the from tier, the to tier, how many customers made that move and
    their value-window revenue at both dates. A customer absent from a snapshot, or
    without a tier in the scheme there, is 'not_in_scope', so entries and exits are rows
    too. movement says up, down, stayed, changed (a scheme or tier without a value order,
    seed tier_value_rank), entered or exited.
-#}
{%- set schemes = crm_tier_scheme_columns() -%}

with

history as (
    select * from {{ ref('fct_customer_tier_history') }}
),

snapshot_dates as (
    select distinct as_of_date
    from history
),

date_pairs as (
    select
        as_of_date as from_as_of_date,
        lead(as_of_date) over (order by as_of_date) as to_as_of_date
    from snapshot_dates
),

consecutive_dates as (
    select
        from_as_of_date,
        to_as_of_date
    from date_pairs
    where to_as_of_date is not null
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

value_ranks as (
    select
        scheme,
        tier_code,
        value_rank
    from {{ ref('tier_value_rank') }}
),

final as (
    select
        moves.scheme,
        moves.from_as_of_date,
        moves.to_as_of_date,
        moves.from_tier,
        moves.to_tier,
        case
            when moves.from_tier = {{ crm_not_in_scope() }} then 'entered'
            when moves.to_tier = {{ crm_not_in_scope() }} then 'exited'
            when moves.from_tier = moves.to_tier then 'stayed'
            when from_rank.value_rank is null or to_rank.value_rank is null then 'changed'
            when to_rank.value_rank < from_rank.value_rank then 'up'
            else 'down'
        end as movement,
        cast(moves.customers as integer) as customers,
        cast(coalesce(moves.from_revenue, 0) as decimal(18, 2)) as from_revenue,
        cast(coalesce(moves.to_revenue, 0) as decimal(18, 2)) as to_revenue,
        cast(moves.bought_again_customers as integer) as bought_again_customers
    from moves
    left join value_ranks as from_rank
        on moves.scheme = from_rank.scheme and moves.from_tier = from_rank.tier_code
    left join value_ranks as to_rank
        on moves.scheme = to_rank.scheme and moves.to_tier = to_rank.tier_code
)

select * from final
