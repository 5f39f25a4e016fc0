{#-
    ln F(x, t) for a fitted Pareto/NBD, per (fit window, x, t in days), where
    F(x, t) = integral over (t, infinity) of (alpha + u)^-(r + x) (beta + u)^-(s + 1) du.
    P(alive) needs F(x, t_x) - F(x, T) (crm_clv_p_alive), so the rows are every
    customer's (x, t_x) and (x, T), in the full window and in the calibration window.

    In closed form F = (m + t)^-c / c * 2F1(...), c = r + s + x, m = max(alpha, beta);
    after Euler's transformation the hypergeometric factor is sum_k prod_(j < k)
    (u + j) / (c + 1 + j) w^k, whose terms are positive and fall at least as fast as w^k:
    - alpha >= beta: w = (alpha - beta) / (alpha + t), u = r + x, times (1 - w)^-s;
    - alpha < beta:  w = (beta - alpha) / (beta + t),  u = s + 1, times (1 - w)^(1 - r - x).
    Each row sums 40 / -ln(w) + 20 terms (one when alpha = beta); only rows with w <= 0.99
    are summed (at most about 4,000 terms): the customers whose t_x would need more have
    their F(x, t_x) - F(x, T) integrated instead (int_clv_pareto_nbd_quadrature).
-#}
{%- do crm_validate_clv_vars() -%}
{%- set unit = var('clv_time_unit_days') -%}
{%- set cap = crm_clv_series_max_terms() -%}
{%- set max_w = crm_clv_pareto_series_max_w() -%}

{%- set sized_rows -%}
    with

    parameters as (
        select
            fit_window,
            r,
            alpha,
            s,
            beta
        from {{ ref('int_clv_models_fitted') }}
        where is_usable and model = 'pareto_nbd' and fit_status = 'fitted'
    ),

    inputs as (
        select
            repeat_purchases,
            recency_days,
            age_days,
            is_calibration_customer,
            calibration_repeat_purchases,
            calibration_recency_days,
            calibration_age_days
        from {{ ref('int_customers_clv_inputs') }}
    ),

    pairs as (
        select 'full' as fit_window, repeat_purchases, recency_days as time_days from inputs
        union
        select 'full' as fit_window, repeat_purchases, age_days as time_days from inputs
        union
        select
            'calibration' as fit_window,
            calibration_repeat_purchases as repeat_purchases,
            calibration_recency_days as time_days
        from inputs
        where is_calibration_customer
        union
        select
            'calibration' as fit_window,
            calibration_repeat_purchases as repeat_purchases,
            calibration_age_days as time_days
        from inputs
        where is_calibration_customer
    ),

    rows_to_sum as (
        select
            pairs.fit_window,
            pairs.repeat_purchases,
            pairs.time_days,
            cast(pairs.repeat_purchases as double) as x,
            cast(pairs.time_days as double) / {{ unit }} as t,
            parameters.r,
            parameters.alpha,
            parameters.s,
            parameters.beta,
            parameters.alpha >= parameters.beta as is_alpha_larger
        from pairs
        inner join parameters
            on pairs.fit_window = parameters.fit_window
    ),

    sized as (
        select
            *,
            case
                when is_alpha_larger then (alpha - beta) / (alpha + t)
                else (beta - alpha) / (beta + t)
            end as w,
            case when is_alpha_larger then r + x else s + 1 end as u,
            r + s + x as c
        from rows_to_sum
    ),

    with_terms as (
        -- a larger w is left to int_clv_pareto_nbd_quadrature
        select
            *,
            case
                when w <= 0 then cast(1 as bigint)
                else cast(ceil(40 / -ln(w) + 20) as bigint)
            end as needed_terms
        from sized
        where w <= {{ max_w }}
    )
{%- endset -%}

{%- set max_terms = 1 -%}
{%- if execute and load_relation(ref('int_clv_models_fitted')) is not none -%}
    {%- set sizing -%}
        {{ sized_rows }}
        select coalesce(max(least(needed_terms, {{ cap }})), 1) from with_terms
    {%- endset -%}
    {%- set max_terms = [run_query(sizing).columns[0].values()[0] | int, 1] | max -%}
{%- endif %}

{{ sized_rows }},

series_index as (
    {{ crm_integers(max_terms) }}
),

steps as (
    select
        with_terms.fit_window,
        with_terms.repeat_purchases,
        with_terms.time_days,
        with_terms.needed_terms,
        series_index.k,
        -- ln term_k - ln term_(k - 1); term_0 = 1
        case
            when series_index.k = 0 then 0.0
            else ln((with_terms.u + series_index.k - 1) / (with_terms.c + series_index.k))
                + ln(with_terms.w)
        end as step
    from with_terms
    inner join series_index
        on series_index.k < least(with_terms.needed_terms, {{ cap }})
),

terms as (
    select
        fit_window,
        repeat_purchases,
        time_days,
        needed_terms,
        k,
        exp(sum(step) over (
            partition by fit_window, repeat_purchases, time_days
            order by k
            rows between unbounded preceding and current row
        )) as term
    from steps
),

summed as (
    select
        fit_window,
        repeat_purchases,
        time_days,
        max(needed_terms) <= {{ cap }} as is_converged,
        sum(term) as series_sum,
        max(case when k = least(needed_terms, {{ cap }}) - 1 then term end) as last_term,
        least(max(needed_terms), {{ cap }}) as series_terms
    from terms
    group by fit_window, repeat_purchases, time_days
),

final as (
    select
        summed.fit_window,
        summed.repeat_purchases,
        summed.time_days,
        case
            when summed.is_converged
                then case
                        when with_terms.is_alpha_larger
                            then -with_terms.c * ln(with_terms.alpha + with_terms.t)
                                - with_terms.s * ln(1 - with_terms.w)
                        else -with_terms.c * ln(with_terms.beta + with_terms.t)
                            + (1 - with_terms.r - with_terms.x) * ln(1 - with_terms.w)
                    end - ln(with_terms.c) + ln(summed.series_sum)
        end as ln_f,
        summed.is_converged,
        summed.last_term,
        summed.series_terms
    from summed
    inner join with_terms
        on
            summed.fit_window = with_terms.fit_window
            and summed.repeat_purchases = with_terms.repeat_purchases
            and summed.time_days = with_terms.time_days
)

select * from final
