{#-
    One row per customer in scope with what the service records say about them over the
    value window: complaints and handling minutes from the service tickets, the surveys'
    satisfaction (exactly, see below) and latest recommend score, and the overdue debt
    on as_of_date from the receivables.
-#}
with

analysis_date as (
    select
        as_of_date,
        value_window_start_date
    from {{ ref('int_analysis_date_resolved') }}
),

customers as (
    select customer_id
    from {{ ref('int_customers_summarised') }}
),

tickets as (
    select
        service_tickets.customer_id,
        cast(sum(case when service_tickets.is_complaint then 1 else 0 end) as integer) as complaints,
        cast(sum(coalesce(service_tickets.handling_minutes, 0)) as decimal(18, 2))
            as service_minutes
    from {{ ref('stg_crm__service_tickets') }} as service_tickets
    cross join analysis_date
    where
        service_tickets.opened_at >= analysis_date.value_window_start_date
        and service_tickets.opened_at < analysis_date.as_of_date
    group by service_tickets.customer_id
),

surveys_in_window as (
    select
        surveys.customer_id,
        surveys.response_id,
        surveys.responded_at,
        surveys.perception_score,
        surveys.expectation_score,
        surveys.recommend_score
    from {{ ref('stg_crm__surveys') }} as surveys
    cross join analysis_date
    where
        surveys.responded_at >= analysis_date.value_window_start_date
        and surveys.responded_at < analysis_date.as_of_date
),

satisfaction as (
    select
        customer_id,
        cast(count(*) as integer) as surveys_in_window,
        -- perception / expectation in units of 1 / crm_satisfaction_unit(): an exact
        -- integer sum, so the thresholds compare exactly.
        cast(sum(
            perception_score * {{ crm_int_div(crm_satisfaction_unit(), 'expectation_score') }}
        ) as bigint) as satisfaction_points
    from surveys_in_window
    group by customer_id
),

recommend_ranked as (
    select
        customer_id,
        recommend_score,
        row_number() over (
            partition by customer_id
            order by responded_at desc, response_id desc
        ) as recency_rank
    from surveys_in_window
    where recommend_score is not null
),

debt as (
    -- Open on as_of_date and past due: issued and due before it, not paid in full before
    -- it. An invoice paid in full on or after as_of_date was wholly open then (part
    -- payments carry no date).
    select
        receivables.customer_id,
        cast(sum(
            case
                when receivables.paid_at is null then receivables.amount - receivables.paid_amount
                else receivables.amount
            end
        ) as decimal(18, 2)) as overdue_debt
    from {{ ref('stg_crm__receivables') }} as receivables
    cross join analysis_date
    where
        receivables.issued_at < analysis_date.as_of_date
        and receivables.due_at < analysis_date.as_of_date
        and (receivables.paid_at is null or receivables.paid_at >= analysis_date.as_of_date)
    group by receivables.customer_id
),

final as (
    select
        customers.customer_id,
        coalesce(tickets.complaints, 0) as complaints,
        coalesce(tickets.service_minutes, 0) as service_minutes,
        coalesce(satisfaction.surveys_in_window, 0) as surveys_in_window,
        satisfaction.satisfaction_points,
        recommend_ranked.recommend_score as latest_recommend_score,
        coalesce(debt.overdue_debt, 0) as overdue_debt
    from customers
    left join tickets
        on customers.customer_id = tickets.customer_id
    left join satisfaction
        on customers.customer_id = satisfaction.customer_id
    left join recommend_ranked
        on
            customers.customer_id = recommend_ranked.customer_id
            and recommend_ranked.recency_rank = 1
    left join debt
        on customers.customer_id = debt.customer_id
)

select * from final
