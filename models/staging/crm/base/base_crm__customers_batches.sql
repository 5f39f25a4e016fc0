{#-
    The customers batch store: every raw customer file read once, its distinct rows typed
    and judged by the rules of the row itself (see crm_load_raw_batches). Versions of a
    customer are compared across files by the validation, so no key rule applies here.
-#}
{{ config(**crm_batch_store_config('customers')) }}

{{ crm_load_raw_batches(
    'customers',
    rules=["case when updated_at < created_at then 'updated_before_created' end"],
    key_conflicts=false,
) }}
