{#-
    The surveys batch store: every raw surveys file read once (crm_pending_batches lists
    the files this build has not read), its exact duplicate rows collapsed (`n_raw_rows`),
    its values cast to the contract's types and judged by every rule that depends on the
    row and its own file only (`static_reasons`). The rules that depend on other files, the
    customers or the clock are judged on every build by base_crm__surveys_validated.
    `rows_sharing_key` counts the distinct rows of the same file that share the
    response_id: base_crm__surveys_validated rejects them as a conflicting duplicate.
    Rows rejected whatever else arrives keep their raw form as text (`raw_<column>`).
    A build with no new file reads none (crm_batch_reader) and adds no row.
    `rules_hash` fingerprints this model's SQL and the contract: when a rule or a cast
    changes, every stored file is read again (crm_batch_rules_hash).
-#}
{{ config(**crm_batch_store_config('surveys')) }}
{%- set rules_hash = crm_batch_rules_hash('surveys', model.raw_code) %}
{%- set batches = crm_pending_batches('surveys', rules_hash) %}
{%- set reader = crm_batch_reader('surveys', batches.pending) %}
{%- set raw = crm_raw_columns('surveys', reader) %}

with

batch_files as (
    {{ crm_batch_files(batches.pending, reader) }}
),

deduplicated as (
    select
        file_index,
        {{ crm_raw_value(raw.response_id) }} as raw_response_id,
        {{ crm_raw_value(raw.customer_id) }} as raw_customer_id,
        {{ crm_raw_value(raw.responded_at) }} as raw_responded_at,
        {{ crm_raw_value(raw.expectation_score) }} as raw_expectation_score,
        {{ crm_raw_value(raw.perception_score) }} as raw_perception_score,
        {{ crm_raw_value(raw.recommend_score) }} as raw_recommend_score,
        count(*) as n_raw_rows
    from {{ reader }}
    group by
        file_index,
        raw_response_id,
        raw_customer_id,
        raw_responded_at,
        raw_expectation_score,
        raw_perception_score,
        raw_recommend_score
),

typed as (
    select
        file_index,
        raw_response_id,
        raw_customer_id,
        raw_responded_at,
        raw_expectation_score,
        raw_perception_score,
        raw_recommend_score,
        n_raw_rows,
        {{ crm_cast('raw_response_id', 'text', raw.response_id.type) }} as response_id,
        {{ crm_cast('raw_customer_id', 'text', raw.customer_id.type) }} as customer_id,
        {{ crm_cast('raw_responded_at', 'timestamp', raw.responded_at.type) }} as responded_at,
        {{ crm_cast('raw_expectation_score', 'integer', raw.expectation_score.type) }} as expectation_score,
        {{ crm_cast('raw_perception_score', 'integer', raw.perception_score.type) }} as perception_score,
        {{ crm_cast('raw_recommend_score', 'integer', raw.recommend_score.type) }} as recommend_score
    from deduplicated
),

checked as (
    select
        file_index,
        raw_response_id,
        raw_customer_id,
        raw_responded_at,
        raw_expectation_score,
        raw_perception_score,
        raw_recommend_score,
        response_id,
        customer_id,
        responded_at,
        expectation_score,
        perception_score,
        recommend_score,
        n_raw_rows,
        nullif(concat_ws(
            ',',
            case
                when {{ crm_is_blank('raw_response_id', raw.response_id.type) }}
                    then 'missing_response_id'
            end,
            case
                when {{ crm_has_control_character('raw_response_id', raw.response_id.type) }}
                    then 'control_character_response_id'
            end,
            case
                when {{ crm_is_blank('raw_customer_id', raw.customer_id.type) }}
                    then 'missing_customer_id'
            end,
            case
                when {{ crm_has_control_character('raw_customer_id', raw.customer_id.type) }}
                    then 'control_character_customer_id'
            end,
            case
                when {{ crm_is_blank('raw_responded_at', raw.responded_at.type) }}
                    then 'missing_responded_at'
            end,
            case
                when not {{ crm_is_blank('raw_responded_at', raw.responded_at.type) }}
                    and responded_at is null
                    then 'invalid_responded_at'
            end,
            case when responded_at < {{ crm_min_plausible_date() }} then 'implausible_responded_at' end,
            case
                when {{ crm_is_blank('raw_expectation_score', raw.expectation_score.type) }}
                    then 'missing_expectation_score'
            end,
            case
                when not {{ crm_is_blank('raw_expectation_score', raw.expectation_score.type) }}
                    and expectation_score is null
                    then 'invalid_expectation_score'
            end,
            case
                when {{ crm_is_blank('raw_perception_score', raw.perception_score.type) }}
                    then 'missing_perception_score'
            end,
            case
                when not {{ crm_is_blank('raw_perception_score', raw.perception_score.type) }}
                    and perception_score is null
                    then 'invalid_perception_score'
            end,
            case
                when not {{ crm_is_blank('raw_recommend_score', raw.recommend_score.type) }}
                    and recommend_score is null
                    then 'invalid_recommend_score'
            end,
            case when expectation_score not between 1 and 10 then 'expectation_score_out_of_range' end,
            case when perception_score not between 1 and 10 then 'perception_score_out_of_range' end,
            case when recommend_score not between 0 and 10 then 'recommend_score_out_of_range' end
        ), '') as static_reasons,
        count(*) over (partition by file_index, response_id) as rows_sharing_key
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
            when raw_kept then cast(raw_response_id as {{ dbt.type_string() }})
        end as raw_response_id,
        case
            when raw_kept then cast(raw_customer_id as {{ dbt.type_string() }})
        end as raw_customer_id,
        case
            when raw_kept then cast(raw_responded_at as {{ dbt.type_string() }})
        end as raw_responded_at,
        case
            when raw_kept then cast(raw_expectation_score as {{ dbt.type_string() }})
        end as raw_expectation_score,
        case
            when raw_kept then cast(raw_perception_score as {{ dbt.type_string() }})
        end as raw_perception_score,
        case
            when raw_kept then cast(raw_recommend_score as {{ dbt.type_string() }})
        end as raw_recommend_score,
        response_id,
        customer_id,
        responded_at,
        expectation_score,
        perception_score,
        recommend_score,
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
        kept.raw_response_id,
        kept.raw_customer_id,
        kept.raw_responded_at,
        kept.raw_expectation_score,
        kept.raw_perception_score,
        kept.raw_recommend_score,
        kept.response_id,
        kept.customer_id,
        kept.responded_at,
        kept.expectation_score,
        kept.perception_score,
        kept.recommend_score,
        kept.n_raw_rows,
        kept.static_reasons,
        kept.rows_sharing_key,
        kept.raw_kept
    from kept
    inner join batch_files
        on kept.file_index = batch_files.file_index
)

select * from final
