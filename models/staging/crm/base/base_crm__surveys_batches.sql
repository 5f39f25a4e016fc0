{#-
    The surveys batch store: every raw surveys file read once, its distinct rows typed and
    judged by the rules of the row itself (see crm_load_raw_batches).
-#}
{{ config(**crm_batch_store_config('surveys')) }}

{{ crm_load_raw_batches(
    'surveys',
    rules=[
        "case when expectation_score not between 1 and 10 then 'expectation_score_out_of_range' end",
        "case when perception_score not between 1 and 10 then 'perception_score_out_of_range' end",
        "case when recommend_score not between 0 and 10 then 'recommend_score_out_of_range' end",
    ],
) }}
