{#-
    Expected purchases of an active customer before she drops out, for BG/NBD, MBG/NBD and
    their limits with dropout, per (fit window, model, x, T, horizon): the factor that
    crm_clv_expected_purchases multiplies by P(alive).

    Given she is active after x repeat purchases observed for T, her purchases in the next
    t number N: negative binomial with shape r + x and p = t / (alpha + T + t) (gamma
    rates), or Poisson with mean rate * t (one rate). After each purchase she stays with
    probability S: the k-th future purchase happens when N >= k and she stayed after the
    k - 1 before it, with chance S_(k-1) = prod_(j < k - 1) (b' + x + j) / (a + b' + x + j)
    (b' = b for BG/NBD, b + 1 for MBG/NBD), or (1 - p)^(k-1) for one dropout probability.
    So the factor is E[C_N], C_n = S_0 + ... + S_(n-1): a sum of positive terms, built
    in logarithms (sums, ln and exp: portable SQL), which neither overflows nor cancels
    whatever the parameters (the hypergeometric form of the same quantity, summed as a
    series, cancels catastrophically when r > a + b).

    Rows: the full window's (x, T) with horizon clv_horizon_days (the marts), the
    calibration window's (x, T) with the holdout as horizon (the backtest), and the
    calibration window at x = 0, T = 0 for every lag in days (the backtest's tracking:
    E[X(t)] of a new customer). Each row sums as many terms as its negative binomial
    needs: its mean, ten standard deviations, and 45 / -ln(p) for its tail, plus 20; a
    row that would need more than 20,000 is not summed (null, is_converged false) and a
    warning test counts the customers left without a score.
-#}
-- depends_on: {{ ref('int_analysis_date_resolved') }}
{%- do crm_validate_clv_vars() -%}
{%- set unit = var('clv_time_unit_days') -%}
{%- set cap = crm_clv_series_max_terms() -%}

{#- At run time the inputs and parameters exist: the tracking's longest lag and the
    longest row size the integer tables; a bare compile keeps small defaults. -#}
{%- set max_lag = 1 -%}
{%- set max_terms = 1 -%}
{%- set built = execute and load_relation(ref('int_clv_models_fitted')) is not none -%}
{%- if built -%}
    {%- set lag_query -%}
        select max({{ crm_days_between('inputs.first_order_date', 'dates.as_of_date') }}) - 1
        from {{ ref('int_customers_clv_inputs') }} as inputs
        cross join {{ ref('int_analysis_date_resolved') }} as dates
        where inputs.is_calibration_customer
    {%- endset -%}
    {%- set longest = run_query(lag_query).columns[0].values()[0] -%}
    {%- set max_lag = [longest | int if longest is not none else 1, 1] | max -%}
{%- endif -%}

{%- set sized_rows -%}
    with

    parameters as (
        select
            fit_window,
            model,
            r,
            alpha,
            purchase_rate,
            a,
            b,
            dropout_probability,
            case when model = 'mbgnbd' then 1 else 0 end as stays_once_more
        from {{ ref('int_clv_models_fitted') }}
        where
            is_usable
            and model in ('bgnbd', 'mbgnbd')
            and fit_status not in ('{{ crm_clv_no_dropout_statuses() | join("', '") }}')
    ),

    inputs as (
        select
            first_order_date,
            repeat_purchases,
            age_days,
            is_calibration_customer,
            calibration_repeat_purchases,
            calibration_age_days
        from {{ ref('int_customers_clv_inputs') }}
    ),

    lags as (
        -- The tracking predicts up to as_of_date for the calibration customers.
        {{ crm_integers(max_lag) }}
    ),

    pairs as (
        -- one row per distinct (window, x, T, horizon): a customer's row and a tracking
        -- lag can coincide, and a row summed twice would double its terms
        select
            'full' as fit_window,
            repeat_purchases,
            age_days,
            {{ var('clv_horizon_days') }} as horizon_days
        from inputs
        union
        select
            'calibration' as fit_window,
            calibration_repeat_purchases as repeat_purchases,
            calibration_age_days as age_days,
            {{ var('clv_holdout_days') }} as horizon_days
        from inputs
        where is_calibration_customer
        union
        select
            'calibration' as fit_window,
            0 as repeat_purchases,
            0 as age_days,
            lags.k + 1 as horizon_days
        from lags
        where exists (select 1 from inputs where is_calibration_customer)
    ),

    rows_to_sum as (
        select
            pairs.fit_window,
            parameters.model,
            pairs.repeat_purchases,
            pairs.age_days,
            pairs.horizon_days,
            cast(pairs.repeat_purchases as double) as x,
            cast(pairs.age_days as double) / {{ unit }} as big_t,
            cast(pairs.horizon_days as double) / {{ unit }} as horizon,
            parameters.r,
            parameters.alpha,
            parameters.purchase_rate,
            parameters.a,
            parameters.b,
            parameters.dropout_probability,
            parameters.stays_once_more
        from pairs
        inner join parameters
            on pairs.fit_window = parameters.fit_window
    ),

    with_mean as (
        select
            *,
            case
                when purchase_rate is not null then purchase_rate * horizon
                else (r + x) * horizon / (alpha + big_t)
            end as mean_purchases
        from rows_to_sum
    ),

    sized as (
        select
            *,
            cast(ceil(
                case
                    when purchase_rate is not null
                        then mean_purchases + 10 * sqrt(mean_purchases) + 30
                    else mean_purchases
                        + 10 * sqrt(mean_purchases * (alpha + big_t + horizon) / (alpha + big_t))
                        + 45 / (ln(alpha + big_t + horizon) - ln(horizon))
                        + 20
                end
            ) as bigint) as needed_terms
        from with_mean
    )
{%- endset -%}

{%- if built -%}
    {%- set sizing -%}
        {{ sized_rows }}
        select coalesce(max(least(needed_terms, {{ cap }})), 1) from sized
    {%- endset -%}
    {%- set max_terms = [run_query(sizing).columns[0].values()[0] | int, 1] | max -%}
{%- endif %}

{{ sized_rows }},

series_index as (
    {{ crm_integers(max_terms) }}
),

steps as (
    select
        sized.fit_window,
        sized.model,
        sized.repeat_purchases,
        sized.age_days,
        sized.horizon_days,
        sized.needed_terms,
        series_index.k,
        -- ln P(N = k) - ln P(N = k - 1); at k = 0, ln P(N = 0)
        case
            when sized.purchase_rate is not null
                then case
                        when series_index.k = 0 then -sized.purchase_rate * sized.horizon
                        else ln(sized.purchase_rate * sized.horizon) - ln(series_index.k)
                    end
            when series_index.k = 0
                then (sized.r + sized.x)
                    * (ln(sized.alpha + sized.big_t) - ln(sized.alpha + sized.big_t + sized.horizon))
            else ln((sized.r + sized.x + series_index.k - 1) / series_index.k)
                + ln(sized.horizon) - ln(sized.alpha + sized.big_t + sized.horizon)
        end as pmf_step,
        -- ln S_k - ln S_(k - 1): staying after one more purchase; S_0 = 1
        case
            when series_index.k = 0 then 0.0
            when sized.dropout_probability is not null then ln(1.0 - sized.dropout_probability)
            else ln(
                    (sized.b + sized.stays_once_more + sized.x + series_index.k - 1)
                    / (sized.a + sized.b + sized.stays_once_more + sized.x + series_index.k - 1)
                )
        end as stay_step
    from sized
    inner join series_index
        on series_index.k < least(sized.needed_terms, {{ cap }})
),

running as (
    select
        fit_window,
        model,
        repeat_purchases,
        age_days,
        horizon_days,
        needed_terms,
        k,
        exp(sum(pmf_step) over terms_so_far) as pmf,
        exp(sum(stay_step) over terms_so_far) as stays
    from steps
    window terms_so_far as (
        partition by fit_window, model, repeat_purchases, age_days, horizon_days
        order by k
        rows between unbounded preceding and current row
    )
),

weighted as (
    select
        fit_window,
        model,
        repeat_purchases,
        age_days,
        horizon_days,
        needed_terms,
        k,
        -- P(N = k) * C_k, C_k = S_0 + ... + S_(k - 1)
        pmf * coalesce(sum(stays) over (
            partition by fit_window, model, repeat_purchases, age_days, horizon_days
            order by k
            rows between unbounded preceding and 1 preceding
        ), 0.0) as term
    from running
),

final as (
    select
        fit_window,
        model,
        repeat_purchases,
        age_days,
        horizon_days,
        max(needed_terms) <= {{ cap }} as is_converged,
        case when max(needed_terms) <= {{ cap }} then sum(term) end as survived_purchases,
        max(case when k = least(needed_terms, {{ cap }}) - 1 then term end) as last_term,
        least(max(needed_terms), {{ cap }}) as series_terms,
        count(*) as summed_terms
    from weighted
    group by fit_window, model, repeat_purchases, age_days, horizon_days
)

select * from final
