{#-
    Fails when the share of an entity's raw rows that were rejected passes its bound
    (var `max_rejected_share`, or the entity's entry in `max_rejected_share_by_entity`).
-#}
{% test crm_rejected_share_within_bound(model, entity) %}
select
    entity,
    rejected_rows,
    raw_rows,
    rejected_share,
    max_rejected_share
from {{ model }}
where
    entity = '{{ entity }}'
    and (
        rejected_share is null
        or max_rejected_share is null
        or rejected_share > max_rejected_share
    )
{% endtest %}
