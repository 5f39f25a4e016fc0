{#-
    The Gaussian hypergeometric function BG/NBD's expected purchases need,
    2F1(a + b - 1 - r, a - 1; a + b + x - 1; z) with z = t / (alpha + T + t) (Euler's
    transformation of eq. 10 of Fader, Hardie & Lee 2005), summed as its power series.
    It depends on x and T only, so it is computed once per distinct (x, T) pair, not per
    customer. Terms are multiplied in log space with their signs counted, so only sums,
    logs and exponentials are needed (portable SQL). `last_term` shows the truncation
    error; a test bounds it.
-#}
{%- do crm_validate_clv_vars() -%}
{%- set terms = 1000 -%}
{%- set horizon = var('clv_horizon_days') / var('clv_time_unit_days') -%}

with

parameters as (
    select
        r,
        alpha,
        a,
        b
    from {{ ref('clv_model_parameters') }}
    where fit_status = 'fitted'
),

pairs as (
    select distinct
        repeat_purchases,
        age_units
    from {{ ref('int_customers_clv_inputs') }}
),

series_index as (
    {{ crm_integers(terms) }}
),

factors as (
    -- factor k turns term k into term k + 1
    select
        pairs.repeat_purchases,
        pairs.age_units,
        series_index.k,
        (parameters.a + parameters.b - 1 - parameters.r + series_index.k)
        * (parameters.a - 1 + series_index.k)
        / (
            (parameters.a + parameters.b + pairs.repeat_purchases - 1 + series_index.k)
            * (series_index.k + 1)
        )
        * ({{ horizon }} / (parameters.alpha + pairs.age_units + {{ horizon }})) as factor
    from pairs
    cross join parameters
    cross join series_index
),

running as (
    select
        repeat_purchases,
        age_units,
        k,
        sum(case when factor != 0 then ln(abs(factor)) else 0 end) over terms_so_far
            as log_magnitude,
        sum(case when factor < 0 then 1 else 0 end) over terms_so_far as negative_factors,
        sum(case when factor = 0 then 1 else 0 end) over terms_so_far as zero_factors
    from factors
    window terms_so_far as (
        partition by repeat_purchases, age_units
        order by k
        rows between unbounded preceding and current row
    )
),

terms as (
    select
        repeat_purchases,
        age_units,
        k,
        case
            when zero_factors > 0 then 0.0
            when negative_factors % 2 = 1 then -exp(log_magnitude)
            else exp(log_magnitude)
        end as term
    from running
),

final as (
    select
        repeat_purchases,
        age_units,
        1.0 + sum(term) as hyp2f1,
        max(case when k = {{ terms - 1 }} then abs(term) end) as last_term
    from terms
    group by repeat_purchases, age_units
)

select * from final
