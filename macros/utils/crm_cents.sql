{#-
    A double amount rounded to cents as decimal(18, 2), the same on every engine. A plain
    cast rounds differently per engine: DuckDB scales the double by 100 in floating point
    and rounds that, Spark rounds the double's shortest decimal text half up. So 1.005
    (binary just under it; times 100 is 100.49999999999999) is 1.00 on DuckDB and 1.01 on
    Spark. Here both engines round the same product x * 100; a product whose text ends in
    .5 is exactly a half, so half away from zero gives one answer on both. On DuckDB it
    equals the plain cast (checked on millions of ratios of cents to small counts).
-#}
{% macro crm_cents(amount) -%}
    cast(round(cast({{ amount }} as double) * 100) / 100 as decimal(18, 2))
{%- endmacro %}
