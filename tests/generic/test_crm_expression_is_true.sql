{#-
    Fails for every row where `expression` is not true. A null result fails too, so a
    nullable column must say what null means (e.g. `closed_at is null or closed_at >= opened_at`).
-#}
{% test crm_expression_is_true(model, expression) %}
select *
from {{ model }}
where not coalesce(({{ expression }}), false)
{% endtest %}
