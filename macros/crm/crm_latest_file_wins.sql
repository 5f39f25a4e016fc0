{#-
    The CTEs `versioned` of a validation model, after its `batches`, `customers` and
    `reasoned` CTEs: every row of `reasoned` with `is_superseded`, true for a valid row
    whose key has a valid row in a later file (file path order). A later file's row
    replaces the key's row from earlier files (an order's status changing from completed
    to returned).
    Only a key that a file after the first holds can have a row in two files, so only
    those keys are compared, their rows read from the batches again and judged by
    `reject_reasons` (the model's own reasons, as `reasoned` applies them): the whole store
    is never compared with itself. With one file nothing is superseded.
-#}
{% macro crm_latest_file_wins(key, reject_reasons, listing) %}
{%- if listing.files | length > 1 %}
later_keys as (
    select distinct {{ key }}
    from batches
    where batch_file > {{ crm_text_literal(listing.files[0].file) }}
),

contested as (
    select
        batches.*,
        customers.customer_id is not null as is_known_customer
    from batches
    inner join later_keys
        on batches.{{ key }} = later_keys.{{ key }}
    left join customers
        on batches.customer_id = customers.customer_id
),

latest_files as (
    select
        {{ key }},
        max(batch_file) as latest_file
    from contested
    where {{ reject_reasons }} is null
    group by {{ key }}
),

versioned as (
    select
        reasoned.*,
        coalesce(
            reasoned.reject_reasons is null
            and reasoned.batch_file < latest_files.latest_file,
            false
        ) as is_superseded
    from reasoned
    left join latest_files
        on reasoned.{{ key }} = latest_files.{{ key }}
)
{%- else %}
versioned as (
    select
        *,
        false as is_superseded
    from reasoned
)
{%- endif %}
{% endmacro %}
