{#- One entity's rows of audit.crm_input_ledger: its files, as listed and as stored. The
    sums are cast to bigint: DuckDB sums bigints to a hugeint, Spark to a bigint. -#}
{% macro crm_ledger_rows(entity) %}
    {%- set listing = crm_raw_listing(entity) -%}
    select
        '{{ entity }}' as entity,
        listed.batch_file,
        case when stored.batch_file is null then 'listed_without_rows' else 'read' end as status,
        coalesce(stored.file_size, listed.file_size) as file_size,
        coalesce(stored.file_modified, listed.file_modified) as file_modified_us,
        stored.file_hash,
        stored.loaded_by,
        coalesce(stored.file_raw_rows, 0) as raw_rows,
        coalesce(stored.distinct_rows, 0) as distinct_rows,
        coalesce(stored.exact_duplicate_rows, 0) as exact_duplicate_rows,
        coalesce(outcomes.accepted_raw_rows, 0) as accepted_raw_rows,
        coalesce(outcomes.superseded_raw_rows, 0) as superseded_raw_rows,
        coalesce(outcomes.rejected_raw_rows, 0) as rejected_raw_rows
    from (
        values
        {%- for item in listing.files %}
        ({{ crm_text_literal(item.file) }},
         cast({{ item.size if item.size is not none else 'null' }} as bigint),
         cast({{ item.modified if item.modified is not none else 'null' }} as bigint)){{ ',' if not loop.last }}
        {%- endfor %}
    ) as listed (batch_file, file_size, file_modified)
    left join (
        select
            batch_file,
            max(file_size) as file_size,
            max(file_modified) as file_modified,
            max(file_hash) as file_hash,
            max(loaded_by) as loaded_by,
            max(file_raw_rows) as file_raw_rows,
            count(*) as distinct_rows,
            cast(sum(n_raw_rows - 1) as {{ dbt.type_bigint() }}) as exact_duplicate_rows
        from {{ ref('base_crm__' ~ entity ~ '_batches') }}
        group by batch_file
    ) as stored
        on listed.batch_file = stored.batch_file
    left join (
        select
            batch_file,
            cast(sum(case when row_outcome = 'accepted' then n_raw_rows else 0 end) as {{ dbt.type_bigint() }})
                as accepted_raw_rows,
            cast(sum(case when row_outcome = 'superseded' then n_raw_rows else 0 end) as {{ dbt.type_bigint() }})
                as superseded_raw_rows,
            cast(sum(case when row_outcome = 'rejected' then n_raw_rows else 0 end) as {{ dbt.type_bigint() }})
                as rejected_raw_rows
        from {{ ref('base_crm__' ~ entity ~ '_validated') }}
        group by batch_file
    ) as outcomes
        on listed.batch_file = outcomes.batch_file
{% endmacro %}
