{#- The tier-strategy dimension: the editable seed tier_strategy, typed, one row per (scheme, tier_code). -#}
with

strategy as (
    select
        scheme,
        tier_code,
        tier_label_zh,
        tier_label_en,
        priority_rank,
        service_level,
        contact_cadence_days,
        recommended_actions_zh,
        recommended_actions_en
    from {{ ref('tier_strategy') }}
),

final as (
    select
        cast(scheme as {{ dbt.type_string() }}) as scheme,
        cast(tier_code as {{ dbt.type_string() }}) as tier_code,
        cast(tier_label_zh as {{ dbt.type_string() }}) as tier_label_zh,
        cast(tier_label_en as {{ dbt.type_string() }}) as tier_label_en,
        cast(priority_rank as integer) as priority_rank,
        cast(service_level as {{ dbt.type_string() }}) as service_level,
        cast(contact_cadence_days as integer) as contact_cadence_days,
        cast(recommended_actions_zh as {{ dbt.type_string() }}) as recommended_actions_zh,
        cast(recommended_actions_en as {{ dbt.type_string() }}) as recommended_actions_en
    from strategy
)

select * from final
