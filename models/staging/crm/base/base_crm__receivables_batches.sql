{#-
    The receivables batch store: every raw receivables file read once (crm_pending_batches lists
    the files this build has not read), its exact duplicate rows collapsed (`n_raw_rows`),
    its values cast to the contract's types and judged by every rule that depends on the
    row and its own file only (`static_reasons`). The rules that depend on other files, the
    customers or the clock are judged on every build by base_crm__receivables_validated.
    `rows_sharing_key` counts the distinct rows of the same file that share the
    invoice_id: base_crm__receivables_validated rejects them as a conflicting duplicate.
    Rows rejected whatever else arrives keep their raw form as text (`raw_<column>`).
    A build with no new file reads none (crm_batch_reader) and adds no row.
    `rules_hash` fingerprints this model's SQL and the contract: when a rule or a cast
    changes, every stored file is read again (crm_batch_rules_hash).
-#}
{{ config(**crm_batch_store_config('receivables')) }}
{%- set rules_hash = crm_batch_rules_hash('receivables', model.raw_code) %}
{%- set batches = crm_pending_batches('receivables', rules_hash) %}
{%- set reader = crm_batch_reader('receivables', batches.pending) %}
{%- set raw = crm_raw_columns('receivables', reader) %}

with

batch_files as (
    {{ crm_batch_files(batches.pending, reader) }}
),

deduplicated as (
    select
        file_index,
        {{ crm_raw_value(raw.invoice_id) }} as raw_invoice_id,
        {{ crm_raw_value(raw.customer_id) }} as raw_customer_id,
        {{ crm_raw_value(raw.issued_at) }} as raw_issued_at,
        {{ crm_raw_value(raw.due_at) }} as raw_due_at,
        {{ crm_raw_value(raw.amount) }} as raw_amount,
        {{ crm_raw_value(raw.paid_amount) }} as raw_paid_amount,
        {{ crm_raw_value(raw.paid_at) }} as raw_paid_at,
        count(*) as n_raw_rows
    from {{ reader }}
    group by
        file_index,
        raw_invoice_id,
        raw_customer_id,
        raw_issued_at,
        raw_due_at,
        raw_amount,
        raw_paid_amount,
        raw_paid_at
),

typed as (
    select
        file_index,
        raw_invoice_id,
        raw_customer_id,
        raw_issued_at,
        raw_due_at,
        raw_amount,
        raw_paid_amount,
        raw_paid_at,
        n_raw_rows,
        {{ crm_cast('raw_invoice_id', 'text', raw.invoice_id.type) }} as invoice_id,
        {{ crm_cast('raw_customer_id', 'text', raw.customer_id.type) }} as customer_id,
        {{ crm_cast('raw_issued_at', 'date', raw.issued_at.type) }} as issued_at,
        {{ crm_cast('raw_due_at', 'date', raw.due_at.type) }} as due_at,
        {{ crm_cast('raw_amount', 'decimal', raw.amount.type) }} as amount,
        {{ crm_cast('raw_paid_amount', 'decimal', raw.paid_amount.type) }} as paid_amount,
        {{ crm_cast('raw_paid_at', 'date', raw.paid_at.type) }} as paid_at
    from deduplicated
),

checked as (
    select
        file_index,
        raw_invoice_id,
        raw_customer_id,
        raw_issued_at,
        raw_due_at,
        raw_amount,
        raw_paid_amount,
        raw_paid_at,
        invoice_id,
        customer_id,
        issued_at,
        due_at,
        amount,
        paid_amount,
        paid_at,
        n_raw_rows,
        nullif(concat_ws(
            ',',
            case when {{ crm_is_blank('raw_invoice_id', raw.invoice_id.type) }} then 'missing_invoice_id' end,
            case
                when {{ crm_has_control_character('raw_invoice_id', raw.invoice_id.type) }}
                    then 'control_character_invoice_id'
            end,
            case
                when {{ crm_is_blank('raw_customer_id', raw.customer_id.type) }}
                    then 'missing_customer_id'
            end,
            case
                when {{ crm_has_control_character('raw_customer_id', raw.customer_id.type) }}
                    then 'control_character_customer_id'
            end,
            case when {{ crm_is_blank('raw_issued_at', raw.issued_at.type) }} then 'missing_issued_at' end,
            case
                when not {{ crm_is_blank('raw_issued_at', raw.issued_at.type) }} and issued_at is null
                    then 'invalid_issued_at'
            end,
            case when issued_at < {{ crm_min_plausible_date() }} then 'implausible_issued_at' end,
            case when {{ crm_is_blank('raw_due_at', raw.due_at.type) }} then 'missing_due_at' end,
            case
                when not {{ crm_is_blank('raw_due_at', raw.due_at.type) }} and due_at is null
                    then 'invalid_due_at'
            end,
            case when due_at < {{ crm_min_plausible_date() }} then 'implausible_due_at' end,
            case when {{ crm_is_blank('raw_amount', raw.amount.type) }} then 'missing_amount' end,
            case
                when not {{ crm_is_blank('raw_amount', raw.amount.type) }} and amount is null
                    then 'invalid_amount'
            end,
            case
                when {{ crm_is_blank('raw_paid_amount', raw.paid_amount.type) }}
                    then 'missing_paid_amount'
            end,
            case
                when not {{ crm_is_blank('raw_paid_amount', raw.paid_amount.type) }} and paid_amount is null
                    then 'invalid_paid_amount'
            end,
            case
                when not {{ crm_is_blank('raw_paid_at', raw.paid_at.type) }} and paid_at is null
                    then 'invalid_paid_at'
            end,
            case when paid_at < {{ crm_min_plausible_date() }} then 'implausible_paid_at' end,
            case when due_at < issued_at then 'due_before_issued' end,
            case when amount < 0 then 'negative_amount' end,
            case when paid_amount < 0 then 'negative_paid_amount' end,
            case when paid_amount > amount then 'paid_exceeds_amount' end,
            case when paid_at is not null and paid_amount < amount then 'paid_at_before_full_payment' end
        ), '') as static_reasons,
        count(*) over (partition by file_index, invoice_id) as rows_sharing_key
    from typed
),

judged as (
    select
        *,
        static_reasons is not null or rows_sharing_key > 1 as raw_kept
    from checked
),

kept as (
    -- The raw texts only on rows rejected whatever else arrives (broken rules, a key
    -- twice in the file): storing them for every row would double the store.
    select
        file_index,
        case
            when raw_kept then cast(raw_invoice_id as {{ dbt.type_string() }})
        end as raw_invoice_id,
        case
            when raw_kept then cast(raw_customer_id as {{ dbt.type_string() }})
        end as raw_customer_id,
        case
            when raw_kept then cast(raw_issued_at as {{ dbt.type_string() }})
        end as raw_issued_at,
        case
            when raw_kept then cast(raw_due_at as {{ dbt.type_string() }})
        end as raw_due_at,
        case
            when raw_kept then cast(raw_amount as {{ dbt.type_string() }})
        end as raw_amount,
        case
            when raw_kept then cast(raw_paid_amount as {{ dbt.type_string() }})
        end as raw_paid_amount,
        case
            when raw_kept then cast(raw_paid_at as {{ dbt.type_string() }})
        end as raw_paid_at,
        invoice_id,
        customer_id,
        issued_at,
        due_at,
        amount,
        paid_amount,
        paid_at,
        n_raw_rows,
        static_reasons,
        rows_sharing_key,
        raw_kept
    from judged
),

final as (
    select
        batch_files.batch_file,
        batch_files.file_size,
        batch_files.file_modified,
        batch_files.file_hash,
        batch_files.file_raw_rows,
        '{{ invocation_id }}' as loaded_by,
        '{{ rules_hash }}' as rules_hash,
        kept.raw_invoice_id,
        kept.raw_customer_id,
        kept.raw_issued_at,
        kept.raw_due_at,
        kept.raw_amount,
        kept.raw_paid_amount,
        kept.raw_paid_at,
        kept.invoice_id,
        kept.customer_id,
        kept.issued_at,
        kept.due_at,
        kept.amount,
        kept.paid_amount,
        kept.paid_at,
        kept.n_raw_rows,
        kept.static_reasons,
        kept.rows_sharing_key,
        kept.raw_kept
    from kept
    inner join batch_files
        on kept.file_index = batch_files.file_index
)

select * from final
