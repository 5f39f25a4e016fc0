{#-
    Every CLV model fitted at this build, one row per model and fit window, with its
    status, parameters, log-likelihood, its backtest's errors, and which model scores the
    customers (is_chosen).

    The choice (var clv_model): a named purchase model is used as it is (when its full fit
    is skipped, the CLV columns are null and a warning says so). `best` takes the purchase
    model with the lowest holdout RMSE per calibration customer among those whose
    calibration and full fits are both usable, ties broken in the order bgnbd, mbgnbd,
    pareto_nbd; without a backtest, the first usable full fit in that order. The
    order-value model, Gamma-Gamma, is always chosen.
-#}
{%- do crm_validate_clv_vars() -%}
{%- set models = crm_clv_models() -%}

with

fits as (
    select
        as_of_date,
        fit_window,
        period_end_date,
        model,
        predicts,
        fit_status,
        is_usable,
        r,
        alpha,
        a,
        b,
        s,
        beta,
        purchase_rate,
        dropout_probability,
        p,
        q,
        gamma,
        spend_rate,
        spend_scale,
        constant_value,
        log_likelihood,
        customers,
        iterations
    from {{ ref('int_clv_models_fitted') }}
),

errors as (
    select
        model,
        customers as backtest_customers,
        relative_error as backtest_relative_error,
        mae as backtest_mae,
        rmse as backtest_rmse
    from {{ ref('int_clv_backtest_summarised') }}
    where frequency_bucket = 'all'
),

{% if var('clv_model') == 'best' -%}
candidates as (
    select
        full_fits.model,
        errors.backtest_rmse,
        case full_fits.model
            {% for model in models -%}
                when '{{ model }}' then {{ loop.index }}
            {% endfor -%}
        end as model_order,
        calibration_fits.is_usable as is_calibration_usable
    from fits as full_fits
    inner join fits as calibration_fits
        on
            full_fits.model = calibration_fits.model
            and calibration_fits.fit_window = 'calibration'
    left join errors
        on full_fits.model = errors.model
    where full_fits.fit_window = 'full' and full_fits.predicts = 'purchases' and full_fits.is_usable
),

ranked as (
    select
        model,
        row_number() over (
            order by
                case
                    when is_calibration_usable and backtest_rmse is not null then 0
                    else 1
                end,
                backtest_rmse,
                model_order
        ) as choice_rank,
        is_calibration_usable and backtest_rmse is not null as has_backtest
    from candidates
),

{%- endif %}
choice as (
    {% if var('clv_model') == 'best' -%}
        select
            model as chosen_model,
            case
                when has_backtest then 'best: the lowest holdout RMSE'
                else 'best: no backtest, the first usable model'
            end as chosen_by
        from ranked
        where choice_rank = 1
        union all
        -- no usable purchase model at all: BG/NBD's row says why
        select
            'bgnbd' as chosen_model,
            'best: no usable model' as chosen_by
        from (select 1 as one) as placeholder
        where not exists (select 1 from ranked)
    {%- else -%}
        select
            '{{ var("clv_model") }}' as chosen_model,
            'var clv_model' as chosen_by
    {%- endif %}
),

final as (
    select
        fits.as_of_date,
        fits.model,
        fits.fit_window,
        fits.period_end_date,
        fits.predicts,
        fits.fit_status,
        fits.is_usable,
        fits.model = choice.chosen_model or fits.predicts = 'order_value' as is_chosen,
        case
            when fits.model = choice.chosen_model then choice.chosen_by
            when fits.predicts = 'order_value' then 'the only order-value model'
        end as chosen_by,
        fits.r,
        fits.alpha,
        fits.a,
        fits.b,
        fits.s,
        fits.beta,
        fits.purchase_rate,
        fits.dropout_probability,
        fits.p,
        fits.q,
        fits.gamma,
        fits.spend_rate,
        fits.spend_scale,
        fits.constant_value,
        fits.log_likelihood,
        cast(fits.customers as integer) as customers,
        cast(fits.iterations as integer) as iterations,
        errors.backtest_customers,
        errors.backtest_relative_error,
        errors.backtest_mae,
        errors.backtest_rmse
    from fits
    cross join choice
    left join errors
        on fits.model = errors.model
)

select * from final
