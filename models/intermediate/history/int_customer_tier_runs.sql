{#-
    Per customer ever seen in the tier history up to as_of_date (one row, every scheme
    side by side): the tier now (not_in_scope when absent or without one), the tier before
    the latest change and the snapshot the current run in the tier started at. A snapshot
    without the customer counts as not_in_scope, so becoming a customer is a change too; a
    tier held since the first snapshot has no previous tier, and its run starts there.

    This is the state the history marts read instead of every snapshot. A daily refresh
    folds its own snapshot into the state the previous build left (work that does not
    grow with the history); anything else recomputes it from every snapshot in one pass
    (crm_tier_runs_plan says when, and why). Both give the same rows, by test.
-#}
{%- set schemes = crm_tier_scheme_columns() -%}
{%- set not_in_scope = crm_not_in_scope() -%}
{%- set plan = crm_tier_runs_plan() -%}

with

analysis_date as (
    select as_of_date
    from {{ ref('int_analysis_date_resolved') }}
),

this_snapshot as (
    select history.*
    from {{ ref('fct_customer_tier_history') }} as history
    inner join analysis_date
        on history.as_of_date = analysis_date.as_of_date
),

key_rules as (
    select
        scheme,
        tier_code,
        rule_rank
    from {{ ref('key_customer_rules') }}
    where rule = 'key'
),

{% if plan.fold %}

    previous_state as (
        select * from {{ this }}
    ),

    this_key_tiers as (
        -- The key tier this snapshot holds the customer in, by the first key rule.
        select
            held.customer_id,
            held.as_of_date as key_as_of_date,
            held.scheme as key_scheme,
            held.tier_code as key_tier,
            held.value_window_revenue as key_revenue,
            held.clv as key_clv
        from (
            {{ crm_key_tiers_held('this_snapshot', 'key_rules') }}
        ) as held
        where held.key_order = 1
    ),

    keys as (
        -- The latest key tier before as_of_date is the state's; with this snapshot, it moves on.
        select
            coalesce(this_key_tiers.customer_id, previous_state.customer_id) as customer_id,
            {% for column in ['key_as_of_date', 'key_scheme', 'key_tier', 'key_revenue', 'key_clv'] -%}
                previous_state.{{ column }} as earlier_{{ column }},
                case
                    when this_key_tiers.customer_id is not null then this_key_tiers.{{ column }}
                    else previous_state.{{ column }}
                end as {{ column }}{{ ',' if not loop.last }}
            {% endfor -%}
        from this_key_tiers
        full outer join (select * from previous_state where key_as_of_date is not null) as previous_state
            on this_key_tiers.customer_id = previous_state.customer_id
    ),

    runs as (
        -- One step: a tier unchanged keeps its run; a new tier starts one at as_of_date.
        select
            coalesce(this_snapshot.customer_id, previous_state.customer_id) as customer_id,
            this_snapshot.customer_id is not null as is_present,
            {% for column in schemes.values() -%}
                {%- set now = 'coalesce(this_snapshot.' ~ column ~ ', ' ~ not_in_scope ~ ')' -%}
                {{ now }} as {{ column }},
                case
                    when previous_state.customer_id is null
                        then case when {{ now }} = {{ not_in_scope }} then null else {{ not_in_scope }} end
                    when {{ now }} = previous_state.{{ column }} then previous_state.previous_{{ column }}
                    else previous_state.{{ column }}
                end as previous_{{ column }},
                case
                    when previous_state.customer_id is null
                        then case
                            when {{ now }} = {{ not_in_scope }}
                                then cast('{{ plan.previous.first_snapshot_date }}' as date)
                            else analysis_date.as_of_date
                        end
                    when {{ now }} = previous_state.{{ column }} then previous_state.since_{{ column }}
                    else analysis_date.as_of_date
                end as since_{{ column }},
            {% endfor -%}
            cast('{{ plan.previous.first_snapshot_date }}' as date) as first_snapshot_date,
            cast({{ plan.previous.snapshots }} + 1 as integer) as snapshots
        from this_snapshot
        full outer join previous_state
            on this_snapshot.customer_id = previous_state.customer_id
        cross join analysis_date
    ),

{% else %}

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

    key_tiers_held as (
        {{ crm_key_tiers_held('history', 'key_rules') }}
    ),

    ranked_key_tiers as (
        -- The first key rule of each customer and date, latest date first; the latest
        -- before as_of_date separately.
        select
            key_tiers_held.customer_id,
            key_tiers_held.as_of_date,
            key_tiers_held.scheme,
            key_tiers_held.tier_code,
            key_tiers_held.value_window_revenue,
            key_tiers_held.clv,
            row_number() over (
                partition by key_tiers_held.customer_id order by key_tiers_held.as_of_date desc
            ) as latest_order,
            row_number() over (
                partition by key_tiers_held.customer_id, key_tiers_held.as_of_date < analysis_date.as_of_date
                order by key_tiers_held.as_of_date desc
            ) as order_in_period,
            key_tiers_held.as_of_date < analysis_date.as_of_date as is_earlier
        from key_tiers_held
        cross join analysis_date
        where key_tiers_held.key_order = 1
    ),

    latest_key_tiers as (
        select * from ranked_key_tiers
        where latest_order = 1
    ),

    earlier_key_tiers as (
        select * from ranked_key_tiers
        where is_earlier and order_in_period = 1
    ),

    keys as (
        select
            coalesce(latest_key_tiers.customer_id, earlier_key_tiers.customer_id) as customer_id,
            earlier_key_tiers.as_of_date as earlier_key_as_of_date,
            latest_key_tiers.as_of_date as key_as_of_date,
            earlier_key_tiers.scheme as earlier_key_scheme,
            latest_key_tiers.scheme as key_scheme,
            earlier_key_tiers.tier_code as earlier_key_tier,
            latest_key_tiers.tier_code as key_tier,
            earlier_key_tiers.value_window_revenue as earlier_key_revenue,
            latest_key_tiers.value_window_revenue as key_revenue,
            earlier_key_tiers.clv as earlier_key_clv,
            latest_key_tiers.clv as key_clv
        from latest_key_tiers
        full outer join earlier_key_tiers
            on latest_key_tiers.customer_id = earlier_key_tiers.customer_id
    ),

    customers as (
        select distinct history.customer_id
        from history
    ),

    current_tiers as (
        -- Everyone the history has seen, absent now or not.
        select
            {% for column in schemes.values() -%}
                coalesce(this_snapshot.{{ column }}, {{ not_in_scope }}) as {{ column }},
            {% endfor -%}
            customers.customer_id,
            this_snapshot.customer_id is not null as is_present
        from customers
        left join this_snapshot
            on customers.customer_id = this_snapshot.customer_id
    ),

    earlier_tiers as (
        select
            {% for column in schemes.values() -%}
                coalesce(history.{{ column }}, {{ not_in_scope }}) as {{ column }},
            {% endfor -%}
            history.customer_id,
            snapshot_dates.date_index
        from history
        inner join snapshot_dates
            on history.as_of_date = snapshot_dates.as_of_date
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
                coalesce(max(
                    case when earlier_tiers.{{ column }} <> current_tiers.{{ column }} then earlier_tiers.date_index end
                ), 0) as last_other_index_{{ column }},
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
        -- Absent means not_in_scope: an absence is a change only for a tier in scope now.
        select
            {% for column in schemes.values() -%}
                case
                    when current_tiers.{{ column }} = {{ not_in_scope }} then 0 else absences.last_absent_index
                end as last_absent_index_{{ column }},
                1 + greatest(
                    case
                        when current_tiers.{{ column }} = {{ not_in_scope }} then 0 else absences.last_absent_index
                    end,
                    differences.last_other_index_{{ column }}
                ) as run_start_index_{{ column }},
                current_tiers.{{ column }},
                differences.last_other_index_{{ column }},
                differences.last_other_{{ column }},
            {% endfor -%}
            current_tiers.customer_id,
            current_tiers.is_present
        from current_tiers
        inner join differences
            on current_tiers.customer_id = differences.customer_id
        inner join absences
            on current_tiers.customer_id = absences.customer_id
    ),

    runs as (
        select
            changes.customer_id,
            changes.is_present,
            {% for column in schemes.values() -%}
                changes.{{ column }},
                case
                    when changes.last_absent_index_{{ column }} > changes.last_other_index_{{ column }}
                        then {{ not_in_scope }}
                    else changes.last_other_{{ column }}
                end as previous_{{ column }},
                run_start_{{ loop.index }}.as_of_date as since_{{ column }},
            {% endfor -%}
            (select min(snapshot_dates.as_of_date) from snapshot_dates) as first_snapshot_date,
            cast((select count(*) from snapshot_dates) as integer) as snapshots
        from changes
        {% for column in schemes.values() -%}
            inner join snapshot_dates as run_start_{{ loop.index }}
                on changes.run_start_index_{{ column }} = run_start_{{ loop.index }}.date_index
        {% endfor %}
    ),

{% endif %}

final as (
    select
        analysis_date.as_of_date,
        runs.*,
        {% for column in ['key_as_of_date', 'key_scheme', 'key_tier', 'key_revenue', 'key_clv'] -%}
            keys.earlier_{{ column }},
            keys.{{ column }},
        {% endfor -%}
        '{{ plan.history_fingerprint }}' as history_fingerprint,
        (select {{ crm_tier_snapshot_hash() }} from this_snapshot) as snapshot_hash,
        '{{ 'folded' if plan.fold else 'recomputed' }}' as built_by
    from runs
    cross join analysis_date
    left join keys
        on runs.customer_id = keys.customer_id
)

select * from final
