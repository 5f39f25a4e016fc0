{#-
    Per customer of this build and scheme: the tier now, the tier before the latest change,
    the date of that change and the days spent in the current tier, from the snapshots of
    the tier history up to as_of_date. A snapshot without the customer, or without a tier
    for it in the scheme, counts as 'not_in_scope', so becoming a customer is a change too.
    A tier held since the first snapshot has no previous tier and no change date; its days
    count from that first snapshot.

    The runs come from int_customer_tier_runs, the state a daily refresh folds its own
    snapshot into; this model only turns its schemes into rows.
-#}
{%- set schemes = crm_tier_scheme_columns() -%}

with

runs as (
    select *
    from {{ ref('int_customer_tier_runs') }}
    where is_present
),

changes as (
    {% for scheme, column in schemes.items() -%}
        select
            customer_id,
            '{{ scheme }}' as scheme,
            as_of_date,
            {{ column }} as current_tier,
            previous_{{ column }} as previous_tier,
            case when previous_{{ column }} is not null then since_{{ column }} end as changed_on,
            since_{{ column }} as tier_since,
            snapshots
        from runs
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

final as (
    select
        customer_id,
        scheme,
        as_of_date,
        current_tier,
        previous_tier,
        changed_on,
        tier_since,
        cast({{ crm_days_between('tier_since', 'as_of_date') }} as integer) as days_in_current_tier,
        snapshots
    from changes
)

select * from final
