{#-
    One row per raw entity: where every raw row went. The counts come from independent
    places (see crm_row_counts), so `raw_rows = accepted_rows + collapsed_rows +
    rejected_rows` is a real check (tests on this model, one per entity).
-#}
with

counts as (
    {% for entity in crm_raw_entities() -%}
        {{ crm_row_counts(entity) }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

final as (
    select
        entity,
        raw_rows,
        accepted_rows,
        exact_duplicate_rows,
        superseded_rows,
        exact_duplicate_rows + superseded_rows as collapsed_rows,
        rejected_rows,
        rejected_raw_rows,
        case
            when raw_rows > 0 then cast(rejected_raw_rows as double) / raw_rows
            else 0
        end as rejected_share,
        cast(max_rejected_share as double) as max_rejected_share,
        '{{ invocation_id }}' as invocation_id,
        {{ crm_build_clock() }} as checked_at
    from counts
)

select * from final
