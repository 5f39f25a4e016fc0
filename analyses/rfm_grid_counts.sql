-- The R x FM grid: customers per (r_score, fm_score) cell, R from 5 (recent) down, FM across,
-- with the named segment each cell maps to in the editable grid seed.
with

rfm as (
    select
        r_score,
        fm_score
    from {{ ref('fct_customer_rfm') }}
),

grid as (
    select
        r_score,
        fm_score,
        rfm_segment
    from {{ ref('rfm_segment_grid') }}
),

counts as (
    select
        grid.r_score,
        grid.fm_score,
        grid.rfm_segment,
        count(rfm.r_score) as customers
    from grid
    left join rfm
        on
            grid.r_score = rfm.r_score
            and grid.fm_score = rfm.fm_score
    group by grid.r_score, grid.fm_score, grid.rfm_segment
),

final as (
    select
        r_score,
        {% for fm in range(1, 6) -%}
            sum(case when fm_score = {{ fm }} then customers else 0 end) as fm_{{ fm }}_customers,
            max(case when fm_score = {{ fm }} then rfm_segment end) as fm_{{ fm }}_segment,
        {% endfor -%}
        sum(customers) as customers
    from counts
    group by r_score
)

select * from final
order by r_score desc
