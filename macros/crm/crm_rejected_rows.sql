{#-
    The rejected-rows table of an entity: each rejected distinct raw row with the values
    exactly as the file held them (as text), every reason code, how many identical raw
    rows it stands for, and the dbt invocation that rejected it.
-#}
{% macro crm_rejected_rows(entity) %}
with

validated as (
    select * from {{ ref('base_crm__' ~ entity ~ '_validated') }}
),

final as (
    select
        {%- for column in crm_raw_entity(entity).columns %}
        raw_{{ column.name }} as {{ column.name }},
        {%- endfor %}
        reject_reasons,
        n_raw_rows,
        '{{ invocation_id }}' as invocation_id,
        {{ crm_build_clock() }} as rejected_at
    from validated
    where row_outcome = 'rejected'
)

select * from final
{% endmacro %}
