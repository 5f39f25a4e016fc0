-- Rejected raw rows per entity and reason code, with each code's meaning: where the
-- source systems break the contract most. Compile with `dbt compile` and run the SQL
-- from target/compiled/ against the warehouse.
with

rejected as (
    {% for entity in crm_raw_entities() -%}
        select
            '{{ entity }}' as entity,
            unnest(string_split(reject_reasons, ',')) as reason_code,
            n_raw_rows
        from {{ ref('rejected_' ~ entity) }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

reasons as (
    select
        entity,
        reason_code,
        description_en,
        description_zh
    from {{ ref('crm_reject_reasons') }}
),

final as (
    select
        rejected.entity,
        rejected.reason_code,
        reasons.description_en,
        reasons.description_zh,
        count(*) as rejected_rows,
        sum(rejected.n_raw_rows) as raw_rows
    from rejected
    left join reasons
        on
            rejected.entity = reasons.entity
            and rejected.reason_code = reasons.reason_code
    group by
        rejected.entity,
        rejected.reason_code,
        reasons.description_en,
        reasons.description_zh
)

select * from final
order by entity asc, rejected_rows desc
