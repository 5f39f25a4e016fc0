{#- RFM per customer with a valid order before as_of_date: scores, cell, eight-type and named segment. -#}
with

summary as (
    select
        customer_id,
        as_of_date,
        last_order_date,
        rfm_frequency,
        rfm_monetary
    from {{ ref('int_customers_summarised') }}
    where has_valid_order
),

segment_grid as (
    select
        r_score,
        fm_score,
        rfm_segment
    from {{ ref('rfm_segment_grid') }}
),

measured as (
    select
        customer_id,
        as_of_date,
        last_order_date,
        {{ crm_days_between('last_order_date', 'as_of_date') }} as recency_days,
        rfm_frequency as frequency,
        cast(rfm_monetary as decimal(18, 2)) as monetary
    from summary
),

scored as (
    select
        customer_id,
        as_of_date,
        last_order_date,
        recency_days,
        frequency,
        monetary,
        cast({{ crm_rfm_score('recency_days', 'lower', 'rfm_recency_edges') }} as integer) as r_score,
        cast({{ crm_rfm_score('frequency', 'higher', 'rfm_frequency_edges') }} as integer) as f_score,
        cast({{ crm_rfm_score('monetary', 'higher', 'rfm_monetary_edges') }} as integer) as m_score,
        {{ crm_rfm8_segment('recency_days', 'frequency', 'monetary') }} as rfm8_segment
    from measured
),

final as (
    select
        scored.customer_id,
        scored.as_of_date,
        scored.last_order_date,
        scored.recency_days,
        scored.frequency,
        scored.monetary,
        scored.r_score,
        scored.f_score,
        scored.m_score,
        cast({{ crm_fm_score('scored.f_score', 'scored.m_score') }} as integer) as fm_score,
        {{ dbt.concat([
            dbt.cast('scored.r_score', dbt.type_string()),
            dbt.cast('scored.f_score', dbt.type_string()),
            dbt.cast('scored.m_score', dbt.type_string()),
        ]) }} as rfm_cell,
        scored.rfm8_segment,
        segment_grid.rfm_segment
    from scored
    left join segment_grid
        on
            scored.r_score = segment_grid.r_score
            and {{ crm_fm_score('scored.f_score', 'scored.m_score') }} = segment_grid.fm_score
)

select * from final
