{#-
    The name VALUE_MODEL.md gives the fitted CLV parameters, kept for readers who look it
    up there: the same rows as fct_clv_model_fits, which the other marts read.
-#}
{{ config(contract={"enforced": false}) }}

select * from {{ ref('fct_clv_model_fits') }}
