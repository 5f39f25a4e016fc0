{#-
    Fails with one row per listed column that holds a value outside its bounds: the
    column, its bounds and how many rows. `ranges` maps each column to its `min_value`
    and/or `max_value` (either may be omitted). One test and one scan per model, where a
    test per column made a node and a scan each (as `crm_not_null`). Null values pass:
    whether a column may be null is `crm_not_null`'s job.
-#}
{% test crm_in_range(model, ranges) %}
with

out_of_range as (
    select
        {%- for column, bounds in ranges.items() %}
            {%- set low, high = bounds.get("min_value"), bounds.get("max_value") %}
            sum(
                case
                    when
                        {{ column }} is not null
                        and (
                            false
                            {%- if low is not none %}
                                or {{ column }} < {{ low }}
                            {%- endif %}
                            {%- if high is not none %}
                                or {{ column }} > {{ high }}
                            {%- endif %}
                        )
                        then 1
                    else 0
                end
            ) as out_of_range_rows_{{ loop.index }}
            {{- "," if not loop.last }}
        {%- endfor %}
    from {{ model }}
)

{% for column, bounds in ranges.items() -%}
    {%- set low, high = bounds.get("min_value"), bounds.get("max_value") %}
    select
        '{{ column }}' as column_name,
        {{ "'%s'" % low if low is not none else "null" }} as min_value,
        {{ "'%s'" % high if high is not none else "null" }} as max_value,
        out_of_range_rows_{{ loop.index }} as out_of_range_rows
    from out_of_range
    where out_of_range_rows_{{ loop.index }} > 0
    {% if not loop.last %}union all{% endif %}
{% endfor %}
{% endtest %}
