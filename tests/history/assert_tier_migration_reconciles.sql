{#-
    The migration matrix adds up: for every scheme and pair of consecutive snapshots, the
    customers leaving a tier (summed over every to tier) are the tier's customers at the
    earlier snapshot, and the customers arriving in a tier (summed over every from tier)
    are its customers at the later one; the revenues add up the same way. Returns each
    tier and date where they differ.
-#}

with

history as (
    select * from {{ ref('fct_customer_tier_history') }}
),

tier_counts as (
    {{ crm_tier_counts('history') }}
),

migration as (
    select * from {{ ref('fct_tier_migration') }}
),

leaving as (
    select
        scheme,
        from_as_of_date as as_of_date,
        from_tier as tier_code,
        sum(customers) as customers,
        sum(from_revenue) as revenue
    from migration
    where from_tier <> {{ crm_not_in_scope() }}
    group by scheme, from_as_of_date, from_tier
),

arriving as (
    select
        scheme,
        to_as_of_date as as_of_date,
        to_tier as tier_code,
        sum(customers) as customers,
        sum(to_revenue) as revenue
    from migration
    where to_tier <> {{ crm_not_in_scope() }}
    group by scheme, to_as_of_date, to_tier
),

pair_dates as (
    select distinct
        from_as_of_date as as_of_date,
        'from' as side
    from migration
    union all
    select distinct
        to_as_of_date as as_of_date,
        'to' as side
    from migration
),

expected as (
    select
        tier_counts.scheme,
        tier_counts.as_of_date,
        tier_counts.tier_code,
        pair_dates.side,
        tier_counts.customers,
        tier_counts.revenue
    from tier_counts
    inner join pair_dates
        on tier_counts.as_of_date = pair_dates.as_of_date
),

moved as (
    select
        'from' as side,
        leaving.*
    from leaving
    union all
    select
        'to' as side,
        arriving.*
    from arriving
),

final as (
    select
        coalesce(expected.scheme, moved.scheme) as scheme,
        coalesce(expected.as_of_date, moved.as_of_date) as as_of_date,
        coalesce(expected.tier_code, moved.tier_code) as tier_code,
        coalesce(expected.side, moved.side) as side,
        expected.customers as customers_in_history,
        moved.customers as customers_in_migration,
        expected.revenue as revenue_in_history,
        moved.revenue as revenue_in_migration
    from expected
    full outer join moved
        on
            expected.scheme = moved.scheme
            and expected.as_of_date = moved.as_of_date
            and expected.tier_code = moved.tier_code
            and expected.side = moved.side
)

select * from final
where
    customers_in_history is null
    or customers_in_migration is null
    or customers_in_history <> customers_in_migration
    or revenue_in_history <> revenue_in_migration
