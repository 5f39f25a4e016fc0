-- The quality customers are exactly floor(quality_top_share x paying customers) of them,
-- and none scores below a customer left out.
with

quality as (
    select
        is_quality_customer,
        quality_points
    from {{ ref('fct_customer_quality') }}
),

counts as (
    select
        count(*) as paying_customers,
        sum(case when is_quality_customer then 1 else 0 end) as quality_customers,
        min(case when is_quality_customer then quality_points end) as lowest_quality_points,
        max(case when not is_quality_customer then quality_points end) as highest_other_points
    from quality
)

select *
from counts
where
    quality_customers != cast(floor(paying_customers * {{ crm_decimal_var('quality_top_share') }}) as bigint)
    or lowest_quality_points < highest_other_points
