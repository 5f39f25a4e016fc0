{#-
    Per customer of this build and scheme: the tier now, the tier before the latest change,
    the date of that change and the days spent in the current tier, from the snapshots of
    the tier history up to as_of_date. A snapshot without the customer, or without a tier
    for it in the scheme, counts as 'not_in_scope', so becoming a customer is a change too.
    A tier held since the first snapshot has no previous tier and no change date; its days
    count from that first snapshot.

    One pass over the history, no customer x date x scheme grid: per customer, the latest
    snapshot whose tier differs from today's (and the tier there) in each scheme, and the
    latest snapshot without the customer; the current run in the tier starts at the
    snapshot after the later of the two.
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
    select
        as_of_date,
        row_number() over (order by as_of_date) as date_index
    from (select distinct as_of_date from history) as dates
),

current_tiers as (
    select
        {% for column in schemes.values() -%}
            coalesce(history.{{ column }}, {{ crm_not_in_scope() }}) as {{ column }},
        {% endfor -%}
        history.customer_id
    from history
    inner join analysis_date
        on history.as_of_date = analysis_date.as_of_date
),

earlier_tiers as (
    select
        {% for column in schemes.values() -%}
            coalesce(history.{{ column }}, {{ crm_not_in_scope() }}) as {{ column }},
        {% endfor -%}
        history.customer_id,
        snapshot_dates.date_index
    from history
    inner join snapshot_dates
        on history.as_of_date = snapshot_dates.as_of_date
    inner join current_tiers
        on history.customer_id = current_tiers.customer_id
),

presence as (
    select
        customer_id,
        date_index,
        lag(date_index) over (partition by customer_id order by date_index) as prior_index
    from earlier_tiers
),

absences as (
    -- The latest snapshot without the customer (0: present in every one so far).
    select
        customer_id,
        count(*) as snapshots_present,
        coalesce(max(
            case
                when prior_index is null and date_index > 1 then date_index - 1
                when date_index - prior_index > 1 then date_index - 1
            end
        ), 0) as last_absent_index
    from presence
    group by customer_id
),

differences as (
    select
        {% for column in schemes.values() -%}
            max(case when earlier_tiers.{{ column }} <> current_tiers.{{ column }} then earlier_tiers.date_index end)
                as last_other_index_{{ column }},
            {{ crm_arg_max('earlier_tiers.' ~ column, 'earlier_tiers.date_index') }}
            filter (where earlier_tiers.{{ column }} <> current_tiers.{{ column }}) as last_other_{{ column }},
        {% endfor -%}
        current_tiers.customer_id
    from current_tiers
    inner join earlier_tiers
        on current_tiers.customer_id = earlier_tiers.customer_id
    group by current_tiers.customer_id
),

changes as (
    {% for scheme, column in schemes.items() -%}
        select
            current_tiers.customer_id,
            '{{ scheme }}' as scheme,
            current_tiers.{{ column }} as current_tier,
            coalesce(differences.last_other_index_{{ column }}, 0) as last_other_index,
            differences.last_other_{{ column }} as last_other_tier,
            -- Absent means not_in_scope: a change only for a customer in scope now.
            case
                when current_tiers.{{ column }} = {{ crm_not_in_scope() }} then 0 else absences.last_absent_index
            end as last_absent_index
        from current_tiers
        inner join differences
            on current_tiers.customer_id = differences.customer_id
        inner join absences
            on current_tiers.customer_id = absences.customer_id
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

last_changes as (
    select
        customer_id,
        scheme,
        current_tier,
        case when last_absent_index > last_other_index then last_absent_index else last_other_index end
            as last_change_index,
        case
            when last_absent_index > last_other_index then {{ crm_not_in_scope() }} else last_other_tier
        end as previous_tier
    from changes
),

final as (
    select
        last_changes.customer_id,
        last_changes.scheme,
        analysis_date.as_of_date,
        last_changes.current_tier,
        last_changes.previous_tier,
        case when last_changes.last_change_index > 0 then tier_start.as_of_date end as changed_on,
        tier_start.as_of_date as tier_since,
        cast({{ crm_days_between('tier_start.as_of_date', 'analysis_date.as_of_date') }} as integer)
            as days_in_current_tier,
        cast((select count(*) from snapshot_dates) as integer) as snapshots
    from last_changes
    cross join analysis_date
    inner join snapshot_dates as tier_start
        on last_changes.last_change_index + 1 = tier_start.date_index
)

select * from final
