{#-
    The tier-strategy dimension: the editable seed tier_strategy, typed, one row per
    (scheme, tier_code), stamped with the as_of_date of the build like every mart.
-#}
with

analysis_date as (
    select as_of_date from {{ ref('int_analysis_date_resolved') }}
),


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
        analysis_date.as_of_date,
        cast(strategy.scheme as {{ dbt.type_string() }}) as scheme,
        cast(strategy.tier_code as {{ dbt.type_string() }}) as tier_code,
        cast(strategy.tier_label_zh as {{ dbt.type_string() }}) as tier_label_zh,
        cast(strategy.tier_label_en as {{ dbt.type_string() }}) as tier_label_en,
        cast(strategy.priority_rank as integer) as priority_rank,
        cast(strategy.service_level as {{ dbt.type_string() }}) as service_level,
        cast(strategy.contact_cadence_days as integer) as contact_cadence_days,
        cast(strategy.recommended_actions_zh as {{ dbt.type_string() }}) as recommended_actions_zh,
        cast(strategy.recommended_actions_en as {{ dbt.type_string() }}) as recommended_actions_en
    from strategy
    cross join analysis_date
)

select * from final
