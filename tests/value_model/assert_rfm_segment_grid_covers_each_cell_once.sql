-- The named-segment grid must hold every (r_score, fm_score) pair of 1..5 x 1..5 exactly
-- once, and nothing else: one row here per cell that is missing, doubled or out of range.
with

scores as (
    select s.score from (values (1), (2), (3), (4), (5)) as s (score)
),

cells as (
    select
        r.score as r_score,
        fm.score as fm_score
    from scores as r
    cross join scores as fm
),

grid as (
    select
        r_score,
        fm_score
    from {{ ref('rfm_segment_grid') }}
)

select
    coalesce(cells.r_score, grid.r_score) as r_score,
    coalesce(cells.fm_score, grid.fm_score) as fm_score,
    count(grid.r_score) as grid_rows
from cells
full outer join grid
    on
        cells.r_score = grid.r_score
        and cells.fm_score = grid.fm_score
group by 1, 2
having count(grid.r_score) != 1 or max(cells.r_score) is null
