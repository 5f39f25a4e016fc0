{#-
    One row of counts for an entity, each from an independent place: the raw files (each
    file's row count, taken when it was read, for every file still listed), the staging
    model, the rejected-rows table and the validation table. Sums are cast to bigint
    (DuckDB sums bigints to a hugeint, Spark to a bigint).
-#}
{% macro crm_row_counts(entity) %}
    {%- set validated = ref('base_crm__' ~ entity ~ '_validated') -%}
    select
        '{{ entity }}' as entity,
        (
            select cast(coalesce(sum(file_raw_rows), 0) as {{ dbt.type_bigint() }})
            from (
                select distinct batch_file, file_raw_rows
                from {{ ref('base_crm__' ~ entity ~ '_batches') }}
            ) as read_files
        ) as raw_rows,
        (select count(*) from {{ ref('stg_crm__' ~ entity) }}) as accepted_rows,
        (select count(*) from {{ ref('rejected_' ~ entity) }}) as rejected_rows,
        (
            select cast(coalesce(sum(n_raw_rows), 0) as {{ dbt.type_bigint() }})
            from {{ ref('rejected_' ~ entity) }}
        ) as rejected_raw_rows,
        (
            select cast(coalesce(sum(n_raw_rows - 1), 0) as {{ dbt.type_bigint() }})
            from {{ validated }}
        ) as exact_duplicate_rows,
        (select count(*) from {{ validated }} where row_outcome = 'superseded') as superseded_rows,
        {{ crm_max_rejected_share(entity) }} as max_rejected_share
{% endmacro %}
