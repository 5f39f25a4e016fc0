{#-
    Is a tier's strategy working? Per scheme, snapshot and tier of the tier history: its
    customers and their value-window revenue, and of them, by the next snapshot, the share
    that moved up, stayed, moved down, changed (no value order), or left the scheme's
    scope, and the share retained: with a valid order between the two snapshots. The
    latest snapshot has no next one: its shares are null.
-#}

with

history as (
    select * from {{ ref('fct_customer_tier_history') }}
),

tiers as (
    {{ crm_tier_counts('history') }}
),

moves as (
    select
        scheme,
        from_as_of_date,
        from_tier,
        max(to_as_of_date) as next_as_of_date,
        sum(customers) as moved_customers,
        sum(case when movement = 'up' then customers else 0 end) as moved_up,
        sum(case when movement = 'stayed' then customers else 0 end) as stayed,
        sum(case when movement = 'down' then customers else 0 end) as moved_down,
        sum(case when movement = 'changed' then customers else 0 end) as changed,
        sum(case when movement = 'exited' then customers else 0 end) as exited,
        sum(bought_again_customers) as retained,
        sum(to_revenue) as next_revenue
    from {{ ref('fct_tier_migration') }}
    where from_tier <> {{ crm_not_in_scope() }}
    group by scheme, from_as_of_date, from_tier
),

final as (
    select
        tiers.scheme,
        tiers.as_of_date,
        tiers.tier_code,
        moves.next_as_of_date,
        cast(tiers.customers as integer) as customers,
        cast(tiers.revenue as decimal(18, 2)) as revenue,
        cast(moves.next_revenue as decimal(18, 2)) as next_revenue,
        cast(moves.moved_up as double) / tiers.customers as moved_up_share,
        cast(moves.stayed as double) / tiers.customers as stayed_share,
        cast(moves.moved_down as double) / tiers.customers as moved_down_share,
        cast(moves.changed as double) / tiers.customers as changed_share,
        cast(moves.exited as double) / tiers.customers as exited_share,
        cast(moves.retained as double) / tiers.customers as retained_share
    from tiers
    left join moves
        on
            tiers.scheme = moves.scheme
            and tiers.as_of_date = moves.from_as_of_date
            and tiers.tier_code = moves.from_tier
)

select * from final
