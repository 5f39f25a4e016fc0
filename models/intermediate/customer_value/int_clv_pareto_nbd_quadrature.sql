{#-
    ln(F(x, t_x) - F(x, T)) of a fitted Pareto/NBD, per (fit window, x, t_x, T in days),
    for the customers whose F(x, t_x) the series of int_clv_pareto_nbd_series would need
    too many terms for: w = |alpha - beta| / (max(alpha, beta) + t_x) above 0.99 (beta /
    alpha or its inverse above about 100, and t_x small). crm_clv_pareto_ln_gap takes this
    where it exists, the series elsewhere.

    The difference is the integral over (t_x, T) of (alpha + u)^-(r + x) (beta +
    u)^-(s + 1), integrated by 64-point Gauss-Legendre quadrature. With mu the smaller of
    alpha and beta (k its exponent, j the other's, big the larger) and v = ln((mu + u) /
    (mu + t_x)), it is (mu + t_x)^(1 - k) times the integral over (0, V) of e^((1 - k) v)
    (big - mu + (mu + t_x) e^v)^-j, V = ln((mu + T) / (mu + t_x)): smooth, its
    singularities pi away from the real line; for k > 1 the range is cut where the
    exponential has fallen by e^-50. In logarithms (log-sum-exp), to about 1e-13 (checked
    against mpmath in the Python twin, crm_value.clv.pareto_nbd_log_gap).
-#}
{%- do crm_validate_clv_vars() -%}
{%- set unit = var('clv_time_unit_days') -%}

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

triples as (
    select
        'full' as fit_window,
        repeat_purchases,
        recency_days,
        age_days
    from inputs
    union
    select
        'calibration' as fit_window,
        calibration_repeat_purchases as repeat_purchases,
        calibration_recency_days as recency_days,
        calibration_age_days as age_days
    from inputs
    where is_calibration_customer
),

long_series as (
    -- mu, the smaller of alpha and beta, with its exponent k; big, the larger, with j
    select
        triples.fit_window,
        triples.repeat_purchases,
        triples.recency_days,
        triples.age_days,
        least(parameters.alpha, parameters.beta) as mu,
        greatest(parameters.alpha, parameters.beta) as big,
        case
            when parameters.alpha <= parameters.beta then parameters.r + triples.repeat_purchases
            else parameters.s + 1
        end as k,
        case
            when parameters.alpha <= parameters.beta then parameters.s + 1
            else parameters.r + triples.repeat_purchases
        end as j,
        cast(triples.recency_days as double) / {{ unit }} as t_x,
        cast(triples.age_days as double) / {{ unit }} as big_t
    from triples
    inner join parameters
        on triples.fit_window = parameters.fit_window
    where
        triples.recency_days < triples.age_days
        and abs(parameters.alpha - parameters.beta)
        / (greatest(parameters.alpha, parameters.beta) + cast(triples.recency_days as double) / {{ unit }})
        > {{ crm_clv_pareto_series_max_w() }}
),

spans as (
    select
        *,
        case
            when k > 1 then least(ln((mu + big_t) / (mu + t_x)), 50 / (k - 1))
            else ln((mu + big_t) / (mu + t_x))
        end as span
    from long_series
),

nodes as (
    {{ crm_gauss_legendre_64() }}
),

evaluated as (
    select
        spans.fit_window,
        spans.repeat_purchases,
        spans.recency_days,
        spans.age_days,
        spans.k,
        spans.mu,
        spans.t_x,
        spans.span,
        nodes.weight,
        (1 - spans.k) * (nodes.node + 1) * spans.span / 2
        - spans.j * ln(
            spans.big - spans.mu + (spans.mu + spans.t_x) * exp((nodes.node + 1) * spans.span / 2)
        ) as log_integrand
    from spans
    cross join nodes
),

with_top as (
    select
        *,
        max(log_integrand) over (
            partition by fit_window, repeat_purchases, recency_days, age_days
        ) as peak
    from evaluated
),

final as (
    select
        fit_window,
        repeat_purchases,
        recency_days,
        age_days,
        (1 - max(k)) * ln(max(mu) + max(t_x)) + ln(max(span) / 2) + max(peak)
        + ln(sum(weight * exp(log_integrand - peak))) as ln_gap
    from with_top
    group by fit_window, repeat_purchases, recency_days, age_days
)

select * from final
