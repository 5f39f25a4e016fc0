{#-
    The customers batch store: every raw customers file read once (crm_pending_batches lists
    the files this build has not read), its exact duplicate rows collapsed (`n_raw_rows`),
    its values cast to the contract's types and judged by every rule that depends on the
    row and its own file only (`static_reasons`). The rules that depend on other files, the
    customers or the clock are judged on every build by base_crm__customers_validated.
    Versions of a customer are compared across files by the validation, so no
    key rule applies here (`rows_sharing_key` is 1).
    Rows rejected whatever else arrives keep their raw form as text (`raw_<column>`).
    A build with no new file reads none (crm_batch_reader) and adds no row.
    `rules_hash` fingerprints this model's SQL and the contract: when a rule or a cast
    changes, every stored file is read again (crm_batch_rules_hash).
-#}
{{ config(**crm_batch_store_config('customers')) }}
{%- set rules_hash = crm_batch_rules_hash('customers', model.raw_code) %}
{%- set batches = crm_pending_batches('customers', rules_hash) %}
{%- set reader = crm_batch_reader('customers', batches.pending) %}
{%- set raw = crm_raw_columns('customers', reader) %}

with

batch_files as (
    {{ crm_batch_files(batches.pending, reader) }}
),

deduplicated as (
    select
        file_index,
        {{ crm_raw_value(raw.customer_id) }} as raw_customer_id,
        {{ crm_raw_value(raw.customer_name) }} as raw_customer_name,
        {{ crm_raw_value(raw.customer_type) }} as raw_customer_type,
        {{ crm_raw_value(raw.region) }} as raw_region,
        {{ crm_raw_value(raw.city) }} as raw_city,
        {{ crm_raw_value(raw.industry) }} as raw_industry,
        {{ crm_raw_value(raw.acquisition_channel) }} as raw_acquisition_channel,
        {{ crm_raw_value(raw.email) }} as raw_email,
        {{ crm_raw_value(raw.phone) }} as raw_phone,
        {{ crm_raw_value(raw.created_at) }} as raw_created_at,
        {{ crm_raw_value(raw.updated_at) }} as raw_updated_at,
        count(*) as n_raw_rows
    from {{ reader }}
    group by
        file_index,
        raw_customer_id,
        raw_customer_name,
        raw_customer_type,
        raw_region,
        raw_city,
        raw_industry,
        raw_acquisition_channel,
        raw_email,
        raw_phone,
        raw_created_at,
        raw_updated_at
),

typed as (
    select
        file_index,
        raw_customer_id,
        raw_customer_name,
        raw_customer_type,
        raw_region,
        raw_city,
        raw_industry,
        raw_acquisition_channel,
        raw_email,
        raw_phone,
        raw_created_at,
        raw_updated_at,
        n_raw_rows,
        {{ crm_cast('raw_customer_id', 'text', raw.customer_id.type) }} as customer_id,
        {{ crm_cast('raw_customer_name', 'text', raw.customer_name.type) }} as customer_name,
        {{ crm_cast('raw_customer_type', 'text', raw.customer_type.type) }} as customer_type,
        {{ crm_cast('raw_region', 'text', raw.region.type) }} as region,
        {{ crm_cast('raw_city', 'text', raw.city.type) }} as city,
        {{ crm_cast('raw_industry', 'text', raw.industry.type) }} as industry,
        {{ crm_cast('raw_acquisition_channel', 'text', raw.acquisition_channel.type) }} as acquisition_channel,
        {{ crm_cast('raw_email', 'text', raw.email.type) }} as email,
        {{ crm_cast('raw_phone', 'text', raw.phone.type) }} as phone,
        {{ crm_cast('raw_created_at', 'timestamp', raw.created_at.type) }} as created_at,
        {{ crm_cast('raw_updated_at', 'timestamp', raw.updated_at.type) }} as updated_at
    from deduplicated
),

checked as (
    select
        file_index,
        raw_customer_id,
        raw_customer_name,
        raw_customer_type,
        raw_region,
        raw_city,
        raw_industry,
        raw_acquisition_channel,
        raw_email,
        raw_phone,
        raw_created_at,
        raw_updated_at,
        customer_id,
        customer_name,
        customer_type,
        region,
        city,
        industry,
        acquisition_channel,
        email,
        phone,
        created_at,
        updated_at,
        n_raw_rows,
        nullif(concat_ws(
            ',',
            case
                when {{ crm_is_blank('raw_customer_id', raw.customer_id.type) }}
                    then 'missing_customer_id'
            end,
            case
                when {{ crm_has_control_character('raw_customer_id', raw.customer_id.type) }}
                    then 'control_character_customer_id'
            end,
            case
                when {{ crm_has_control_character('raw_customer_name', raw.customer_name.type) }}
                    then 'control_character_customer_name'
            end,
            case when customer_type not in ('individual', 'business') then 'invalid_customer_type' end,
            case
                when {{ crm_has_control_character('raw_customer_type', raw.customer_type.type) }}
                    then 'control_character_customer_type'
            end,
            case
                when {{ crm_has_control_character('raw_region', raw.region.type) }}
                    then 'control_character_region'
            end,
            case
                when {{ crm_has_control_character('raw_city', raw.city.type) }}
                    then 'control_character_city'
            end,
            case
                when {{ crm_has_control_character('raw_industry', raw.industry.type) }}
                    then 'control_character_industry'
            end,
            case
                when {{ crm_has_control_character('raw_acquisition_channel', raw.acquisition_channel.type) }}
                    then 'control_character_acquisition_channel'
            end,
            case
                when {{ crm_has_control_character('raw_email', raw.email.type) }}
                    then 'control_character_email'
            end,
            case
                when {{ crm_has_control_character('raw_phone', raw.phone.type) }}
                    then 'control_character_phone'
            end,
            case when {{ crm_is_blank('raw_created_at', raw.created_at.type) }} then 'missing_created_at' end,
            case
                when not {{ crm_is_blank('raw_created_at', raw.created_at.type) }} and created_at is null
                    then 'invalid_created_at'
            end,
            case when created_at < {{ crm_min_plausible_date() }} then 'implausible_created_at' end,
            case when {{ crm_is_blank('raw_updated_at', raw.updated_at.type) }} then 'missing_updated_at' end,
            case
                when not {{ crm_is_blank('raw_updated_at', raw.updated_at.type) }} and updated_at is null
                    then 'invalid_updated_at'
            end,
            case when updated_at < {{ crm_min_plausible_date() }} then 'implausible_updated_at' end,
            case when updated_at < created_at then 'updated_before_created' end
        ), '') as static_reasons,
        cast(1 as bigint) as rows_sharing_key
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
            when raw_kept then cast(raw_customer_id as {{ dbt.type_string() }})
        end as raw_customer_id,
        case
            when raw_kept then cast(raw_customer_name as {{ dbt.type_string() }})
        end as raw_customer_name,
        case
            when raw_kept then cast(raw_customer_type as {{ dbt.type_string() }})
        end as raw_customer_type,
        case
            when raw_kept then cast(raw_region as {{ dbt.type_string() }})
        end as raw_region,
        case
            when raw_kept then cast(raw_city as {{ dbt.type_string() }})
        end as raw_city,
        case
            when raw_kept then cast(raw_industry as {{ dbt.type_string() }})
        end as raw_industry,
        case
            when raw_kept then cast(raw_acquisition_channel as {{ dbt.type_string() }})
        end as raw_acquisition_channel,
        case
            when raw_kept then cast(raw_email as {{ dbt.type_string() }})
        end as raw_email,
        case
            when raw_kept then cast(raw_phone as {{ dbt.type_string() }})
        end as raw_phone,
        case
            when raw_kept then cast(raw_created_at as {{ dbt.type_string() }})
        end as raw_created_at,
        case
            when raw_kept then cast(raw_updated_at as {{ dbt.type_string() }})
        end as raw_updated_at,
        customer_id,
        customer_name,
        customer_type,
        region,
        city,
        industry,
        acquisition_channel,
        email,
        phone,
        created_at,
        updated_at,
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
        kept.raw_customer_id,
        kept.raw_customer_name,
        kept.raw_customer_type,
        kept.raw_region,
        kept.raw_city,
        kept.raw_industry,
        kept.raw_acquisition_channel,
        kept.raw_email,
        kept.raw_phone,
        kept.raw_created_at,
        kept.raw_updated_at,
        kept.customer_id,
        kept.customer_name,
        kept.customer_type,
        kept.region,
        kept.city,
        kept.industry,
        kept.acquisition_channel,
        kept.email,
        kept.phone,
        kept.created_at,
        kept.updated_at,
        kept.n_raw_rows,
        kept.static_reasons,
        kept.rows_sharing_key,
        kept.raw_kept
    from kept
    inner join batch_files
        on kept.file_index = batch_files.file_index
)

select * from final
