{#-
    The service_tickets batch store: every raw service_tickets file read once (crm_pending_batches lists
    the files this build has not read), its exact duplicate rows collapsed (`n_raw_rows`),
    its values cast to the contract's types and judged by every rule that depends on the
    row and its own file only (`static_reasons`). The rules that depend on other files, the
    customers or the clock are judged on every build by base_crm__service_tickets_validated.
    `rows_sharing_key` counts the distinct rows of the same file that share the
    ticket_id: base_crm__service_tickets_validated rejects them as a conflicting duplicate.
    Rows rejected whatever else arrives keep their raw form as text (`raw_<column>`).
    A build with no new file reads none (crm_batch_reader) and adds no row.
    `rules_hash` fingerprints this model's SQL and the contract: when a rule or a cast
    changes, every stored file is read again (crm_batch_rules_hash).
-#}
{{ config(**crm_batch_store_config('service_tickets')) }}
{%- set rules_hash = crm_batch_rules_hash('service_tickets', model.raw_code) %}
{%- set batches = crm_pending_batches('service_tickets', rules_hash) %}
{%- set reader = crm_batch_reader('service_tickets', batches.pending) %}
{%- set raw = crm_raw_columns('service_tickets', reader) %}

with

batch_files as (
    {{ crm_batch_files(batches.pending, reader) }}
),

deduplicated as (
    select
        file_index,
        {{ crm_raw_value(raw.ticket_id) }} as raw_ticket_id,
        {{ crm_raw_value(raw.customer_id) }} as raw_customer_id,
        {{ crm_raw_value(raw.opened_at) }} as raw_opened_at,
        {{ crm_raw_value(raw.closed_at) }} as raw_closed_at,
        {{ crm_raw_value(raw.ticket_type) }} as raw_ticket_type,
        {{ crm_raw_value(raw.handling_minutes) }} as raw_handling_minutes,
        count(*) as n_raw_rows
    from {{ reader }}
    group by
        file_index,
        raw_ticket_id,
        raw_customer_id,
        raw_opened_at,
        raw_closed_at,
        raw_ticket_type,
        raw_handling_minutes
),

typed as (
    select
        file_index,
        raw_ticket_id,
        raw_customer_id,
        raw_opened_at,
        raw_closed_at,
        raw_ticket_type,
        raw_handling_minutes,
        n_raw_rows,
        {{ crm_cast('raw_ticket_id', 'text', raw.ticket_id.type) }} as ticket_id,
        {{ crm_cast('raw_customer_id', 'text', raw.customer_id.type) }} as customer_id,
        {{ crm_cast('raw_opened_at', 'timestamp', raw.opened_at.type) }} as opened_at,
        {{ crm_cast('raw_closed_at', 'timestamp', raw.closed_at.type) }} as closed_at,
        {{ crm_cast('raw_ticket_type', 'text', raw.ticket_type.type) }} as ticket_type,
        {{ crm_cast('raw_handling_minutes', 'decimal', raw.handling_minutes.type) }} as handling_minutes
    from deduplicated
),

checked as (
    select
        file_index,
        raw_ticket_id,
        raw_customer_id,
        raw_opened_at,
        raw_closed_at,
        raw_ticket_type,
        raw_handling_minutes,
        ticket_id,
        customer_id,
        opened_at,
        closed_at,
        ticket_type,
        handling_minutes,
        n_raw_rows,
        nullif(concat_ws(
            ',',
            case when {{ crm_is_blank('raw_ticket_id', raw.ticket_id.type) }} then 'missing_ticket_id' end,
            case
                when {{ crm_has_control_character('raw_ticket_id', raw.ticket_id.type) }}
                    then 'control_character_ticket_id'
            end,
            case
                when {{ crm_is_blank('raw_customer_id', raw.customer_id.type) }}
                    then 'missing_customer_id'
            end,
            case
                when {{ crm_has_control_character('raw_customer_id', raw.customer_id.type) }}
                    then 'control_character_customer_id'
            end,
            case when {{ crm_is_blank('raw_opened_at', raw.opened_at.type) }} then 'missing_opened_at' end,
            case
                when not {{ crm_is_blank('raw_opened_at', raw.opened_at.type) }} and opened_at is null
                    then 'invalid_opened_at'
            end,
            case when opened_at < {{ crm_min_plausible_date() }} then 'implausible_opened_at' end,
            case
                when not {{ crm_is_blank('raw_closed_at', raw.closed_at.type) }} and closed_at is null
                    then 'invalid_closed_at'
            end,
            case when closed_at < {{ crm_min_plausible_date() }} then 'implausible_closed_at' end,
            case
                when {{ crm_is_blank('raw_ticket_type', raw.ticket_type.type) }}
                    then 'missing_ticket_type'
            end,
            case
                when ticket_type not in ('complaint', 'inquiry', 'request', 'repair')
                    then 'invalid_ticket_type'
            end,
            case
                when {{ crm_has_control_character('raw_ticket_type', raw.ticket_type.type) }}
                    then 'control_character_ticket_type'
            end,
            case
                when not {{ crm_is_blank('raw_handling_minutes', raw.handling_minutes.type) }}
                    and handling_minutes is null
                    then 'invalid_handling_minutes'
            end,
            case when closed_at < opened_at then 'closed_before_opened' end,
            case when handling_minutes < 0 then 'negative_handling_minutes' end
        ), '') as static_reasons,
        count(*) over (partition by file_index, ticket_id) as rows_sharing_key
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
            when raw_kept then cast(raw_ticket_id as {{ dbt.type_string() }})
        end as raw_ticket_id,
        case
            when raw_kept then cast(raw_customer_id as {{ dbt.type_string() }})
        end as raw_customer_id,
        case
            when raw_kept then cast(raw_opened_at as {{ dbt.type_string() }})
        end as raw_opened_at,
        case
            when raw_kept then cast(raw_closed_at as {{ dbt.type_string() }})
        end as raw_closed_at,
        case
            when raw_kept then cast(raw_ticket_type as {{ dbt.type_string() }})
        end as raw_ticket_type,
        case
            when raw_kept then cast(raw_handling_minutes as {{ dbt.type_string() }})
        end as raw_handling_minutes,
        ticket_id,
        customer_id,
        opened_at,
        closed_at,
        ticket_type,
        handling_minutes,
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
        kept.raw_ticket_id,
        kept.raw_customer_id,
        kept.raw_opened_at,
        kept.raw_closed_at,
        kept.raw_ticket_type,
        kept.raw_handling_minutes,
        kept.ticket_id,
        kept.customer_id,
        kept.opened_at,
        kept.closed_at,
        kept.ticket_type,
        kept.handling_minutes,
        kept.n_raw_rows,
        kept.static_reasons,
        kept.rows_sharing_key,
        kept.raw_kept
    from kept
    inner join batch_files
        on kept.file_index = batch_files.file_index
)

select * from final
