-- With n paying customers, the pyramid holds floor(n x cut) customers up to each cut:
-- top = floor(n x 1st cut), top + big = floor(n x 2nd cut), and so on.
{%- set cuts = var('pyramid_cuts') %}

with

pyramid as (
    select pyramid_tier
    from {{ ref('fct_customer_pyramid') }}
),

counts as (
    select
        sum(case when pyramid_tier in ('top', 'big', 'medium', 'small') then 1 else 0 end) as paying,
        sum(case when pyramid_tier = 'top' then 1 else 0 end) as up_to_top,
        sum(case when pyramid_tier in ('top', 'big') then 1 else 0 end) as up_to_big,
        sum(case when pyramid_tier in ('top', 'big', 'medium') then 1 else 0 end) as up_to_medium
    from pyramid
)

select
    paying,
    up_to_top,
    up_to_big,
    up_to_medium
from counts
where
    up_to_top != floor(paying * {{ cuts[0] }})
    or up_to_big != floor(paying * {{ cuts[1] }})
    or up_to_medium != floor(paying * {{ cuts[2] }})
