{#-
    Fails for every reason code in a comma-separated `column_name` that is not listed for
    `entity` in the seed crm_reject_reasons, and for a rejected row with no reason at all.
-#}
{% test crm_reason_codes_known(model, column_name, entity) %}
with

codes as (
    {{ crm_split_codes(model, column_name) }}
),

known as (
    select reason_code
    from {{ ref('crm_reject_reasons') }}
    where entity = '{{ entity }}'
)

select codes.reason_code
from codes
left join known
    on codes.reason_code = known.reason_code
where
    codes.reason_code is null
    or codes.reason_code = ''
    or known.reason_code is null
{% endtest %}
