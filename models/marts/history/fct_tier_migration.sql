{#-
    How customers moved between tiers: per scheme and each pair of consecutive dates of
    the tier history, the from tier, the to tier, how many customers made that move and
    their value-window revenue at both dates. A customer absent from a snapshot, or
    without a tier in the scheme there, is 'not_in_scope', so entries and exits are rows
    too. movement says up, down, stayed, changed (a scheme or tier without a value order,
    seed tier_value_rank), entered or exited. The counting is int_tier_moves', which keeps
    the pairs of dates a build did not touch.
-#}
with

moves as (
    select * from {{ ref('int_tier_moves') }}
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
        moves.customers,
        moves.from_revenue,
        moves.to_revenue,
        moves.bought_again_customers
    from moves
    left join value_ranks as from_rank
        on moves.scheme = from_rank.scheme and moves.from_tier = from_rank.tier_code
    left join value_ranks as to_rank
        on moves.scheme = to_rank.scheme and moves.to_tier = to_rank.tier_code
)

select * from final
