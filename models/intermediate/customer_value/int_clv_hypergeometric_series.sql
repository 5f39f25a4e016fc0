{#-
    The hypergeometric factor of BG/NBD's expected purchases (eq. 10 of Fader, Hardie &
    Lee 2005) after Euler's transformation, scaled so its terms cannot overflow:

        hyp2f1_scaled = (1 - z)^(a - 1) * 2F1(a + b - 1 - r, a - 1; a + b + x - 1; z),
        z = t / (alpha + T + t)

    It depends on x and T only, so it is summed once per distinct (x, T) pair. Each term
    is built in log space from (a - 1) ln(1 - z) and the running sum of ln|factor|, with
    the negative factors counted for its sign: sums, `ln` and `exp` only (portable SQL).
    The number of terms is sized from the fitted parameters at run time, so large a and b
    or a z near 1 get the terms they need; `last_term` shows the truncation error, which a
    test bounds (and a test fails on an infinite or NaN sum).
-#}
{%- do crm_validate_clv_vars() -%}
{%- set horizon = var('clv_horizon_days') / var('clv_time_unit_days') -%}
{%- set terms = 1000 -%}
{#- Sized only when the parameters exist (at build time they do: they are built first; a
    bare compile or lint on an empty warehouse keeps the default). -#}
{%- if execute and load_relation(ref('clv_model_parameters')) is not none -%}
    {#- Terms needed where z is largest (T = 0): past the peak of the terms, then enough
        factors of z to fall by e^-60. Capped; beyond the cap the convergence test fails. -#}
    {%- set sizing -%}
        select
            cast(ceil(
                (abs(a - 1) + abs(a + b - 1 - r)) * z / (1 - z) + 60 / (-ln(z)) + 50
            ) as bigint) as terms
        from (
            select
                a,
                b,
                r,
                {{ horizon }} / (alpha + {{ horizon }}) as z
            from {{ ref('clv_model_parameters') }}
            where fit_status = 'fitted'
        ) as fitted
    {%- endset -%}
    {%- set sized = run_query(sizing).columns[0].values() -%}
    {%- if sized | length > 0 and sized[0] is not none -%}
        {%- set terms = [[sized[0] | int, 100] | max, 100000] | min -%}
    {%- endif -%}
{%- endif %}

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
        (parameters.a - 1)
        * ln(1 - {{ horizon }} / (parameters.alpha + pairs.age_units + {{ horizon }}))
            as log_scale,
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
        log_scale,
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
    -- term k + 1 of the scaled series
    select
        repeat_purchases,
        age_units,
        k,
        log_scale,
        case
            when zero_factors > 0 then 0.0
            when negative_factors % 2 = 1 then -exp(log_scale + log_magnitude)
            else exp(log_scale + log_magnitude)
        end as term
    from running
),

final as (
    select
        repeat_purchases,
        age_units,
        exp(max(log_scale)) + sum(term) as hyp2f1_scaled,
        max(case when k = {{ terms - 1 }} then abs(term) end) as last_term,
        {{ terms }} as series_terms
    from terms
    group by repeat_purchases, age_units
)

select * from final
