{#-
    Customers and revenue by level of each of the six value dimensions: one block of rows
    per dimension, named in `scheme`, with shares and running shares within it.
-#}
{%- for dimension in crm_value_dimensions() %}
    select * from ({{ crm_tier_summary(dimension) }}) as {{ dimension }}_summary
    {% if not loop.last %}union all{% endif %}
{%- endfor %}
