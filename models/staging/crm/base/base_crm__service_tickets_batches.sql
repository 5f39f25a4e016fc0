{#-
    The service_tickets batch store: every raw service_tickets file read once, its distinct rows typed and
    judged by the rules of the row itself (see crm_load_raw_batches).
-#}
{{ config(**crm_batch_store_config('service_tickets')) }}

{{ crm_load_raw_batches(
    'service_tickets',
    rules=[
        "case when closed_at < opened_at then 'closed_before_opened' end",
        "case when handling_minutes < 0 then 'negative_handling_minutes' end",
    ],
) }}
