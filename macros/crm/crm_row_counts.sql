{#-
    One row of counts for an entity, each from an independent place: the raw input
    itself, the staging model, the rejected-rows table and the validation table.
-#}
{% macro crm_row_counts(entity) %}
    {%- set validated = ref('base_crm__' ~ entity ~ '_validated') -%}
    select
        '{{ entity }}' as entity,
        (select count(*) from {{ crm_raw_relation(entity) }}) as raw_rows,
        (select count(*) from {{ ref('stg_crm__' ~ entity) }}) as accepted_rows,
        (select count(*) from {{ ref('rejected_' ~ entity) }}) as rejected_rows,
        (
            select coalesce(sum(n_raw_rows), 0) from {{ ref('rejected_' ~ entity) }}
        ) as rejected_raw_rows,
        (select coalesce(sum(n_raw_rows - 1), 0) from {{ validated }}) as exact_duplicate_rows,
        (select count(*) from {{ validated }} where row_outcome = 'superseded') as superseded_rows,
        {{ crm_max_rejected_share(entity) }} as max_rejected_share
{% endmacro %}
