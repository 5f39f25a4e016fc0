{#-
    A double amount rounded to cents as decimal(18, 2), the same on every engine. A plain
    cast rounds the double's exact binary value on DuckDB but its shortest decimal text on
    Spark, so a ratio such as 24.69 / 2 (binary just under 12.345) could land a cent apart.
    Here both engines round the same product x * 100, and a product whose text ends in .5
    is exactly a half, so half away from zero gives one answer on both. On DuckDB it equals
    the plain cast (checked on 1.4 million ratios of cents to small counts).
-#}
{% macro crm_cents(amount) -%}
    cast(round(cast({{ amount }} as double) * 100) / 100 as decimal(18, 2))
{%- endmacro %}
