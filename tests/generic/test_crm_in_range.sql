{#-
    Fails for every row whose `column_name` lies outside [min_value, max_value] (either bound
    may be omitted). Null values pass: whether a column may be null is `crm_not_null`'s job.
-#}
{% test crm_in_range(model, column_name, min_value=none, max_value=none) %}
select {{ column_name }}
from {{ model }}
where
    {{ column_name }} is not null
    and (
        false
        {%- if min_value is not none %}
        or {{ column_name }} < {{ min_value }}
        {%- endif %}
        {%- if max_value is not none %}
        or {{ column_name }} > {{ max_value }}
        {%- endif %}
    )
{% endtest %}
