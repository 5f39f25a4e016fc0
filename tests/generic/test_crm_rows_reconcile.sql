{#-
    Fails for an entity whose raw rows are not all accounted for:
    raw_rows must equal accepted_rows + collapsed_rows + rejected_rows. Compared with
    `is distinct from`, so a null count fails too.
-#}
{% test crm_rows_reconcile(model, entity) %}
select
    entity,
    raw_rows,
    accepted_rows,
    collapsed_rows,
    rejected_rows
from {{ model }}
where
    entity = '{{ entity }}'
    and raw_rows is distinct from accepted_rows + collapsed_rows + rejected_rows
union all
select
    '{{ entity }}' as entity,
    null as raw_rows,
    null as accepted_rows,
    null as collapsed_rows,
    null as rejected_rows
where not exists (select 1 from {{ model }} where entity = '{{ entity }}')
{% endtest %}
