{#-
    The orders batch store: every raw orders file read once (crm_pending_batches lists
    the files this build has not read), its exact duplicate rows collapsed (`n_raw_rows`),
    its values cast to the contract's types and judged by every rule that depends on the
    row and its own file only (`static_reasons`). The rules that depend on other files, the
    customers or the clock are judged on every build by base_crm__orders_validated.
    `rows_sharing_key` counts the distinct rows of the same file that share the
    order_id: base_crm__orders_validated rejects them as a conflicting duplicate.
    Rows rejected whatever else arrives keep their raw form as text (`raw_<column>`).
    A build with no new file reads none (crm_batch_reader) and adds no row.
    `rules_hash` fingerprints this model's SQL and the contract: when a rule or a cast
    changes, every stored file is read again (crm_batch_rules_hash).
-#}
{{ config(**crm_batch_store_config('orders')) }}
{%- set rules_hash = crm_batch_rules_hash('orders', model.raw_code) %}
{%- set batches = crm_pending_batches('orders', rules_hash) %}
{%- set reader = crm_batch_reader('orders', batches.pending) %}
{%- set raw = crm_raw_columns('orders', reader) %}

with

batch_files as (
    {{ crm_batch_files(batches.pending, reader) }}
),

deduplicated as (
    select
        file_index,
        {{ crm_raw_value(raw.order_id) }} as raw_order_id,
        {{ crm_raw_value(raw.customer_id) }} as raw_customer_id,
        {{ crm_raw_value(raw.ordered_at) }} as raw_ordered_at,
        {{ crm_raw_value(raw.status) }} as raw_status,
        {{ crm_raw_value(raw.quantity) }} as raw_quantity,
        {{ crm_raw_value(raw.amount) }} as raw_amount,
        {{ crm_raw_value(raw.cost) }} as raw_cost,
        {{ crm_raw_value(raw.channel) }} as raw_channel,
        count(*) as n_raw_rows
    from {{ reader }}
    group by
        file_index,
        raw_order_id,
        raw_customer_id,
        raw_ordered_at,
        raw_status,
        raw_quantity,
        raw_amount,
        raw_cost,
        raw_channel
),

typed as (
    select
        file_index,
        raw_order_id,
        raw_customer_id,
        raw_ordered_at,
        raw_status,
        raw_quantity,
        raw_amount,
        raw_cost,
        raw_channel,
        n_raw_rows,
        {{ crm_cast('raw_order_id', 'text', raw.order_id.type) }} as order_id,
        {{ crm_cast('raw_customer_id', 'text', raw.customer_id.type) }} as customer_id,
        {{ crm_cast('raw_ordered_at', 'timestamp', raw.ordered_at.type) }} as ordered_at,
        {{ crm_cast('raw_status', 'text', raw.status.type) }} as status,
        {{ crm_cast('raw_quantity', 'integer', raw.quantity.type) }} as quantity,
        {{ crm_cast('raw_amount', 'decimal', raw.amount.type) }} as amount,
        {{ crm_cast('raw_cost', 'decimal', raw.cost.type) }} as cost,  -- noqa: RF04
        {{ crm_cast('raw_channel', 'text', raw.channel.type) }} as channel
    from deduplicated
),

checked as (
    select
        file_index,
        raw_order_id,
        raw_customer_id,
        raw_ordered_at,
        raw_status,
        raw_quantity,
        raw_amount,
        raw_cost,
        raw_channel,
        order_id,
        customer_id,
        ordered_at,
        status,
        quantity,
        amount,
        cost,
        channel,
        n_raw_rows,
        nullif(concat_ws(
            ',',
            case when {{ crm_is_blank('raw_order_id', raw.order_id.type) }} then 'missing_order_id' end,
            case
                when {{ crm_has_control_character('raw_order_id', raw.order_id.type) }}
                    then 'control_character_order_id'
            end,
            case
                when {{ crm_is_blank('raw_customer_id', raw.customer_id.type) }}
                    then 'missing_customer_id'
            end,
            case
                when {{ crm_has_control_character('raw_customer_id', raw.customer_id.type) }}
                    then 'control_character_customer_id'
            end,
            case when {{ crm_is_blank('raw_ordered_at', raw.ordered_at.type) }} then 'missing_ordered_at' end,
            case
                when not {{ crm_is_blank('raw_ordered_at', raw.ordered_at.type) }} and ordered_at is null
                    then 'invalid_ordered_at'
            end,
            case when ordered_at < {{ crm_min_plausible_date() }} then 'implausible_ordered_at' end,
            case when {{ crm_is_blank('raw_status', raw.status.type) }} then 'missing_status' end,
            case when status not in ('completed', 'cancelled', 'returned') then 'invalid_status' end,
            case
                when {{ crm_has_control_character('raw_status', raw.status.type) }}
                    then 'control_character_status'
            end,
            case
                when not {{ crm_is_blank('raw_quantity', raw.quantity.type) }} and quantity is null
                    then 'invalid_quantity'
            end,
            case when {{ crm_is_blank('raw_amount', raw.amount.type) }} then 'missing_amount' end,
            case
                when not {{ crm_is_blank('raw_amount', raw.amount.type) }} and amount is null
                    then 'invalid_amount'
            end,
            case
                when not {{ crm_is_blank('raw_cost', raw.cost.type) }} and cost is null
                    then 'invalid_cost'
            end,
            case
                when {{ crm_has_control_character('raw_channel', raw.channel.type) }}
                    then 'control_character_channel'
            end,
            case when quantity < 0 then 'negative_quantity' end,
            case when amount < 0 then 'negative_amount' end,
            case when cost < 0 then 'negative_cost' end
        ), '') as static_reasons,
        count(*) over (partition by file_index, order_id) as rows_sharing_key
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
            when raw_kept then cast(raw_order_id as {{ dbt.type_string() }})
        end as raw_order_id,
        case
            when raw_kept then cast(raw_customer_id as {{ dbt.type_string() }})
        end as raw_customer_id,
        case
            when raw_kept then cast(raw_ordered_at as {{ dbt.type_string() }})
        end as raw_ordered_at,
        case
            when raw_kept then cast(raw_status as {{ dbt.type_string() }})
        end as raw_status,
        case
            when raw_kept then cast(raw_quantity as {{ dbt.type_string() }})
        end as raw_quantity,
        case
            when raw_kept then cast(raw_amount as {{ dbt.type_string() }})
        end as raw_amount,
        case
            when raw_kept then cast(raw_cost as {{ dbt.type_string() }})
        end as raw_cost,
        case
            when raw_kept then cast(raw_channel as {{ dbt.type_string() }})
        end as raw_channel,
        order_id,
        customer_id,
        ordered_at,
        status,
        quantity,
        amount,
        cost,
        channel,
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
        kept.raw_order_id,
        kept.raw_customer_id,
        kept.raw_ordered_at,
        kept.raw_status,
        kept.raw_quantity,
        kept.raw_amount,
        kept.raw_cost,
        kept.raw_channel,
        kept.order_id,
        kept.customer_id,
        kept.ordered_at,
        kept.status,
        kept.quantity,
        kept.amount,
        kept.cost,
        kept.channel,
        kept.n_raw_rows,
        kept.static_reasons,
        kept.rows_sharing_key,
        kept.raw_kept
    from kept
    inner join batch_files
        on kept.file_index = batch_files.file_index
)

select * from final
