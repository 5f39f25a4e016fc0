{#-
    The raw files a batch store reads in this build, one row each (file_index, batch_file,
    file_size, file_modified, file_hash, file_raw_rows): the position of the file in
    `files` (the reader's `file_index`), its identity as listed, the md5 of its bytes (none
    for the demo seed) and its rows, counted on the file itself apart from the rows kept.
    With the loading invocation they make the ledger (audit.crm_input_ledger). A file
    without rows has no row here (its batch stores nothing; the ledger lists it); with no
    file to read there is none.
-#}
{% macro crm_batch_files(files, reader) %}
    {%- set hashed = [] -%}
    {%- for item in files if item.size is not none -%}
        {%- do hashed.append(item.file) -%}
    {%- endfor %}
    select
        listed.file_index,
        listed.batch_file,
        listed.file_size,
        listed.file_modified,
        file_hashes.file_hash,
        file_counts.file_raw_rows
    from (
        {%- if files %}
        select
            cast(file_index as bigint) as file_index,
            batch_file,
            cast(file_size as bigint) as file_size,
            cast(file_modified as bigint) as file_modified
        from (
            values
            {%- for item in files %}
            ({{ loop.index0 }}, {{ crm_text_literal(item.file) }}, {{ item.size if item.size is not none else 'null' }}, {{ item.modified if item.modified is not none else 'null' }}){{ ',' if not loop.last }}
            {%- endfor %}
        ) as files (file_index, batch_file, file_size, file_modified)
        {%- else %}
        select
            cast(null as bigint) as file_index,
            cast(null as {{ dbt.type_string() }}) as batch_file,
            cast(null as bigint) as file_size,
            cast(null as bigint) as file_modified
        where false
        {%- endif %}
    ) as listed
    inner join (
        select
            file_index,
            count(*) as file_raw_rows
        from {{ reader }}
        group by file_index
    ) as file_counts
        on listed.file_index = file_counts.file_index
    left join (
        {%- if hashed %}
        {{ crm_file_hashes(hashed) }}
        {%- else %}
        select
            cast(null as {{ dbt.type_string() }}) as batch_file,
            cast(null as {{ dbt.type_string() }}) as file_hash
        where false
        {%- endif %}
    ) as file_hashes
        on listed.batch_file = file_hashes.batch_file
{% endmacro %}
