{#-
    The version columns of a customer row, valid and invalid rows ranked apart (only the
    valid rows' ranks are read): `version_rank` (1 = the latest `updated_at`),
    `rows_sharing_version` (distinct rows at that `updated_at`, by their typed values
    across files; more than one is a conflict) and `copy_rank` (1 = the latest file's copy of a row delivered more than
    once). With one file every row is distinct, so the copies need no ranking.
-#}
{% macro crm_customer_versions(several_files) %}
    rank() over (
        partition by customer_id, row_reasons is null
        order by updated_at desc
    ) as version_rank,
    {%- if several_files %}
    row_number() over (
        partition by customer_id, row_reasons is null
        order by updated_at desc, batch_file desc
    ) as copy_rank,
    count(distinct hash({{ crm_column_list('customers') }})) over (
        partition by customer_id, row_reasons is null, updated_at
    ) as rows_sharing_version
    {%- else %}
    1 as copy_rank,
    count(*) over (
        partition by customer_id, row_reasons is null, updated_at
    ) as rows_sharing_version
    {%- endif %}
{% endmacro %}
