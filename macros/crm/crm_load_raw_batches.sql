{#-
    The body of an entity's batch store, base_crm__<entity>_batches: the batches (raw
    files) this build has not read yet (crm_pending_batches), each read once, its exact
    duplicate rows collapsed (`n_raw_rows`), its values typed and judged by every rule that
    depends on the row and its own file only:
      - `static_reasons`: the contract's generic codes and the entity's `rules`;
      - `rows_sharing_key`: how many distinct rows of the same file share the `key`
        (`key_conflicts`), from which the validation rejects a conflicting duplicate.
    Rules that depend on other files, the customers or the clock (an unknown customer, a
    future date, a later version) are judged on every build by the validation model.
    Each row carries its file's identity (`batch_file`, `file_size`, `file_modified`,
    `file_hash`), the file's raw row count taken by a separate count, and the dbt
    invocation that read it: together they are the ledger (audit.crm_input_ledger).
    `rules_hash` (crm_batch_rules_hash) names the rules that judged the file: when they
    change (a var such as `min_plausible_date`, the contract), every stored file is read
    again.
    Rows rejected whatever else arrives keep their raw form as text (`raw_<column>`); a row
    rejected later by a rule of other rows or the clock shows its typed values as text.
-#}
{% macro crm_load_raw_batches(entity, rules=[], key_conflicts=true) %}
{%- set spec = crm_raw_entity(entity) -%}
{%- set rules_hash = crm_batch_rules_hash(entity, rules) -%}
{%- set batches = crm_pending_batches(entity, rules_hash) -%}
{%- if execute and not batches.pending %}
select * from {{ this }} where false
{%- else -%}
{%- set reader = crm_batch_reader(entity, batches.pending) -%}
{%- set raw_columns = crm_raw_columns(entity, reader) -%}
{%- set hashed = [] -%}
{%- for item in batches.pending if item.size is not none -%}
    {%- do hashed.append(item.file) -%}
{%- endfor %}
with

file_counts as (
    -- Counted on the files themselves, apart from the rows kept below.
    select
        file_index,
        count(*) as file_raw_rows
    from {{ reader }}
    group by file_index
),

files as (
    select
        cast(file_index as bigint) as file_index,
        batch_file,
        cast(file_size as bigint) as file_size,
        cast(file_modified as bigint) as file_modified
    from (
        values
        {%- for item in batches.pending %}
        ({{ loop.index0 }}, {{ crm_text_literal(item.file) }}, {{ item.size if item.size is not none else 'null' }}, {{ item.modified if item.modified is not none else 'null' }}){{ ',' if not loop.last }}
        {%- endfor %}
    ) as listed (file_index, batch_file, file_size, file_modified)
),

file_hashes as (
    {%- if hashed %}
    {{ crm_file_hashes(hashed) }}
    {%- else %}
    select
        cast(null as {{ dbt.type_string() }}) as batch_file,
        cast(null as {{ dbt.type_string() }}) as file_hash
    where false
    {%- endif %}
),

deduplicated as (
    select
        file_index,
        {%- for column in spec.columns %}
        {% if raw_columns[column.name].type != 'MISSING' -%}
        {{ adapter.quote(raw_columns[column.name].header) }}
        {%- else -%}
        cast(null as {{ dbt.type_string() }})
        {%- endif %} as raw_{{ column.name }},
        {%- endfor %}
        count(*) as n_raw_rows
    from {{ reader }}
    group by
        file_index,
        {%- for column in spec.columns %}
        raw_{{ column.name }}{{ ',' if not loop.last }}
        {%- endfor %}
),

typed as (
    select
        file_index,
        {{ crm_column_list(entity, prefix='raw_') }},
        n_raw_rows,
        {{ crm_typed_columns(entity, reader) }}
    from deduplicated
),

checked as (
    select
        file_index,
        {{ crm_column_list(entity, prefix='raw_') }},
        {{ crm_column_list(entity) }},
        n_raw_rows,
        {{ crm_reason_list(crm_contract_reasons(entity, reader) + rules) }} as static_reasons,
        {%- if key_conflicts %}
        count(*) over (partition by file_index, {{ spec.key }}) as rows_sharing_key
        {%- else %}
        cast(1 as bigint) as rows_sharing_key
        {%- endif %}
    from typed
),

kept as (
    -- The raw texts only on rows rejected whatever else arrives (broken rules, a key
    -- twice in the file): storing them for every row would double the store.
    select
        file_index,
        {%- for column in spec.columns %}
        case
            when static_reasons is not null or rows_sharing_key > 1
                then cast(raw_{{ column.name }} as {{ dbt.type_string() }})
        end as raw_{{ column.name }},
        {%- endfor %}
        {{ crm_column_list(entity) }},
        n_raw_rows,
        static_reasons,
        rows_sharing_key,
        static_reasons is not null or rows_sharing_key > 1 as raw_kept
    from checked
),

final as (
    select
        files.batch_file,
        files.file_size,
        files.file_modified,
        file_hashes.file_hash,
        file_counts.file_raw_rows,
        '{{ invocation_id }}' as loaded_by,
        '{{ rules_hash }}' as rules_hash,
        {{ crm_column_list(entity, prefix='kept.raw_') }},
        {{ crm_column_list(entity, prefix='kept.') }},
        kept.n_raw_rows,
        kept.static_reasons,
        kept.rows_sharing_key,
        kept.raw_kept
    from kept
    inner join file_counts
        on kept.file_index = file_counts.file_index
    inner join files
        on kept.file_index = files.file_index
    left join file_hashes
        on files.batch_file = file_hashes.batch_file
)

select * from final
{%- endif %}
{% endmacro %}
