{#-
    Fails (one row) when the share of rows whose boolean `column_name` is true falls below
    the var named `bound_var`. An empty model has no share and passes; a null counts as
    not true.
-#}
{% test crm_share_at_least(model, column_name, bound_var) %}
with

shares as (
    select
        count(*) as total_rows,
        sum(case when {{ column_name }} then 1 else 0 end) as true_rows
    from {{ model }}
)

select
    total_rows,
    true_rows,
    cast(true_rows as double) / total_rows as share,
    {{ var(bound_var) }} as bound
from shares
where
    total_rows > 0
    and true_rows < total_rows * {{ var(bound_var) }}
{% endtest %}
