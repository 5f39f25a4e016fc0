{#-
    Per customer of this build and scheme: the tier now, the tier before the latest change,
    the date of that change and the days spent in the current tier, from the snapshots of
    the tier history up to as_of_date. A snapshot without the customer, or without a tier
    for it in the scheme, counts as 'not_in_scope', so becoming a customer is a change too.
    A tier held since the first snapshot has no previous tier and no change date; its days
    count from that first snapshot.
-#}
{%- set schemes = crm_tier_scheme_columns() -%}

with

analysis_date as (
    select as_of_date
    from {{ ref('int_analysis_date_resolved') }}
),

history as (
    select history.*
    from {{ ref('fct_customer_tier_history') }} as history
    inner join analysis_date
        on history.as_of_date <= analysis_date.as_of_date
),

snapshot_dates as (
    select distinct as_of_date
    from history
),

current_customers as (
    select history.customer_id
    from history
    inner join analysis_date
        on history.as_of_date = analysis_date.as_of_date
),

customer_snapshots as (
    -- Every current customer at every snapshot, held there or not.
    select
        {% for column in schemes.values() -%}
            coalesce(history.{{ column }}, 'not_in_scope') as {{ column }},
        {% endfor -%}
        current_customers.customer_id,
        snapshot_dates.as_of_date
    from current_customers
    cross join snapshot_dates
    left join history
        on
            current_customers.customer_id = history.customer_id
            and snapshot_dates.as_of_date = history.as_of_date
),

tiers as (
    {% for scheme, column in schemes.items() -%}
        select
            customer_id,
            '{{ scheme }}' as scheme,
            as_of_date,
            {{ column }} as tier_code
        from customer_snapshots
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

marked as (
    select
        customer_id,
        scheme,
        as_of_date,
        tier_code,
        lag(tier_code) over (partition by customer_id, scheme order by as_of_date) as prior_tier_code
    from tiers
),

streaks as (
    select
        customer_id,
        scheme,
        as_of_date,
        tier_code,
        prior_tier_code,
        sum(case when prior_tier_code <> tier_code then 1 else 0 end) over (
            partition by customer_id, scheme order by as_of_date
            rows between unbounded preceding and current row
        ) as streak
    from marked
),

current_streaks as (
    select
        customer_id,
        scheme,
        max(streak) as streak,
        count(*) as snapshots
    from streaks
    group by customer_id, scheme
),

streak_starts as (
    select
        streaks.customer_id,
        streaks.scheme,
        streaks.as_of_date,
        streaks.tier_code,
        streaks.prior_tier_code,
        current_streaks.snapshots,
        row_number() over (
            partition by streaks.customer_id, streaks.scheme order by streaks.as_of_date
        ) as position_in_streak
    from streaks
    inner join current_streaks
        on
            streaks.customer_id = current_streaks.customer_id
            and streaks.scheme = current_streaks.scheme
            and streaks.streak = current_streaks.streak
),

final as (
    select
        streak_starts.customer_id,
        streak_starts.scheme,
        analysis_date.as_of_date,
        streak_starts.tier_code as current_tier,
        streak_starts.prior_tier_code as previous_tier,
        case when streak_starts.prior_tier_code is not null then streak_starts.as_of_date end as changed_on,
        streak_starts.as_of_date as tier_since,
        cast({{ crm_days_between('streak_starts.as_of_date', 'analysis_date.as_of_date') }} as integer)
            as days_in_current_tier,
        cast(streak_starts.snapshots as integer) as snapshots
    from streak_starts
    cross join analysis_date
    where streak_starts.position_in_streak = 1
)

select * from final
