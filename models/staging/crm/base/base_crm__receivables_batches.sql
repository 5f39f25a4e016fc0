{#-
    The receivables batch store: every raw receivables file read once, its distinct rows typed and
    judged by the rules of the row itself (see crm_load_raw_batches).
-#}
{{ config(**crm_batch_store_config('receivables')) }}

{{ crm_load_raw_batches(
    'receivables',
    rules=[
        "case when due_at < issued_at then 'due_before_issued' end",
        "case when amount < 0 then 'negative_amount' end",
        "case when paid_amount < 0 then 'negative_paid_amount' end",
        "case when paid_amount > amount then 'paid_exceeds_amount' end",
        "case when paid_at is not null and paid_amount < amount then 'paid_at_before_full_payment' end",
    ],
) }}
