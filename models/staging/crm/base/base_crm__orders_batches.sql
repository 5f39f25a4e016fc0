{#-
    The orders batch store: every raw orders file read once, its distinct rows typed and
    judged by the rules of the row itself (see crm_load_raw_batches).
-#}
{{ config(**crm_batch_store_config('orders')) }}

{{ crm_load_raw_batches(
    'orders',
    rules=[
        "case when quantity < 0 then 'negative_quantity' end",
        "case when amount < 0 then 'negative_amount' end",
        "case when cost < 0 then 'negative_cost' end",
    ],
) }}
