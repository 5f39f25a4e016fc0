-- Hand-written DuckDB version of the value picture (VALUE_MODEL.md, "Six value dimensions"
-- to "Quality-customer score") with the project's default vars, for the benchmark only.
-- The runner executes it after handwritten_value_model.sql and the CLV fit, on the same
-- connection: it reads that script's orders, customers, receivables, service_tickets,
-- surveys, customer_facts, pyramid and clv tables.

-- Per in-scope customer: the orders facts the picture needs, one pass over purchase days.
CREATE TEMP TABLE picture_days AS
SELECT
    customer_id,
    CAST(ordered_at AS DATE) AS d,
    count(*) AS n_orders,
    sum(amount) AS amount,
    sum(quantity) AS quantity,
    sum(amount - cost) AS known_margin
FROM orders
WHERE status = 'completed' AND ordered_at < getvariable('as_of_date')
GROUP BY ALL;

CREATE TEMP TABLE picture_facts AS
WITH gaps AS (
    SELECT
        *,
        lag(d) OVER (PARTITION BY customer_id ORDER BY d) AS prev_d
    FROM picture_days
),

w AS (
    SELECT
        customer_id,
        min(d) AS first_d,
        max(d) AS last_d,
        max(prev_d) AS prev_last_d,
        sum(n_orders) AS orders_all,
        sum(amount) AS amount_all,
        sum(n_orders) FILTER (WHERE d >= getvariable('as_of_date') - 365) AS orders_w,
        sum(amount) FILTER (WHERE d >= getvariable('as_of_date') - 365) AS amount_w,
        sum(quantity) FILTER (WHERE d >= getvariable('as_of_date') - 365) AS quantity_w,
        sum(known_margin) FILTER (WHERE d >= getvariable('as_of_date') - 365) AS margin_w,
        median(d - prev_d) FILTER (WHERE prev_d >= getvariable('as_of_date') - 365) AS cycle_w,
        count(DISTINCT CASE
            WHEN d >= getvariable('as_of_date') - INTERVAL 3 MONTH THEN 1
            WHEN d >= getvariable('as_of_date') - INTERVAL 6 MONTH THEN 2
            WHEN d >= getvariable('as_of_date') - INTERVAL 9 MONTH THEN 3
            WHEN d >= getvariable('as_of_date') - INTERVAL 12 MONTH THEN 4
        END) AS quarters
    FROM gaps
    GROUP BY customer_id
)

SELECT
    f.customer_id,
    w.first_d,
    w.last_d,
    w.prev_last_d,
    w.orders_all IS NOT NULL AS buyer,
    coalesce(w.orders_w, 0) AS orders_w,
    w.amount_w,
    w.quantity_w,
    w.margin_w,
    w.cycle_w,
    coalesce(w.quarters, 0) AS quarters,
    -- Mean order amount in micro-units, half-up (window, else all history).
    CASE
        WHEN w.orders_w > 0 THEN (CAST(round(w.amount_w * 100) AS BIGINT) * 20000 + w.orders_w) // (2 * w.orders_w)
        WHEN w.orders_all > 0 THEN (CAST(round(w.amount_all * 100) AS BIGINT) * 20000 + w.orders_all) // (2 * w.orders_all)
    END AS mean_micros
FROM customer_facts AS f
LEFT JOIN w ON w.customer_id = f.customer_id;

CREATE TEMP TABLE picture_service AS
SELECT
    f.customer_id,
    t.complaints,
    coalesce(t.minutes, 0) AS minutes,
    s.surveys,
    s.points,
    r.recommend,
    coalesce(debt.overdue, 0) AS overdue
FROM customer_facts AS f
LEFT JOIN (
    SELECT
        customer_id,
        count(*) FILTER (WHERE ticket_type = 'complaint') AS complaints,
        sum(coalesce(handling_minutes, 0)) AS minutes
    FROM service_tickets
    WHERE opened_at >= getvariable('as_of_date') - 365 AND opened_at < getvariable('as_of_date')
    GROUP BY customer_id
) AS t ON t.customer_id = f.customer_id
LEFT JOIN (
    SELECT
        customer_id,
        count(*) AS surveys,
        sum(perception_score * (2520 // expectation_score)) AS points
    FROM surveys
    WHERE responded_at >= getvariable('as_of_date') - 365 AND responded_at < getvariable('as_of_date')
    GROUP BY customer_id
) AS s ON s.customer_id = f.customer_id
LEFT JOIN (
    SELECT
        customer_id,
        arg_max(recommend_score, (responded_at, response_id)) AS recommend
    FROM surveys
    WHERE
        responded_at >= getvariable('as_of_date') - 365 AND responded_at < getvariable('as_of_date')
        AND recommend_score IS NOT NULL
    GROUP BY customer_id
) AS r ON r.customer_id = f.customer_id
LEFT JOIN (
    SELECT
        customer_id,
        sum(CASE WHEN paid_at IS NULL THEN amount - paid_amount ELSE amount END) AS overdue
    FROM receivables
    WHERE
        issued_at < getvariable('as_of_date') AND due_at < getvariable('as_of_date')
        AND (paid_at IS NULL OR paid_at >= getvariable('as_of_date'))
    GROUP BY customer_id
) AS debt ON debt.customer_id = f.customer_id;

CREATE TABLE value_dimensions AS
WITH j AS (
    SELECT
        p.*,
        s.complaints, s.surveys, s.points, s.recommend,
        CAST(c.clv AS DECIMAL(18, 2)) AS clv,
        c.p_alive,
        sum(CASE WHEN p.buyer THEN 1 ELSE 0 END) OVER () AS n,
        count(c.clv) OVER () AS n_clv,
        CASE WHEN p.buyer THEN rank() OVER (PARTITION BY p.buyer ORDER BY p.mean_micros) END AS k_power,
        CASE WHEN p.buyer THEN rank() OVER (PARTITION BY p.buyer ORDER BY p.orders_w) END AS k_freq,
        CASE WHEN c.clv IS NOT NULL
            THEN rank() OVER (PARTITION BY c.clv IS NULL ORDER BY CAST(c.clv AS DECIMAL(18, 2))) END AS k_clv
    FROM picture_facts AS p
    JOIN picture_service AS s USING (customer_id)
    LEFT JOIN clv AS c USING (customer_id)
)

SELECT
    customer_id,
    CASE
        WHEN k_power IS NULL THEN 'unknown' WHEN n = 1 THEN 'low'
        WHEN 3 * (k_power - 1) >= 2 * (n - 1) THEN 'high'
        WHEN 3 * (k_power - 1) >= n - 1 THEN 'medium' ELSE 'low'
    END AS purchasing_power,
    CASE
        WHEN orders_w = 0 OR n = 1 THEN 'low'
        WHEN 3 * (k_freq - 1) >= 2 * (n - 1) THEN 'high'
        WHEN 3 * (k_freq - 1) >= n - 1 THEN 'medium' ELSE 'low'
    END AS purchase_frequency,
    CASE
        WHEN k_clv IS NULL THEN 'unknown' WHEN n_clv = 1 THEN 'low'
        WHEN 3 * (k_clv - 1) >= 2 * (n_clv - 1) THEN 'high'
        WHEN 3 * (k_clv - 1) >= n_clv - 1 THEN 'medium' ELSE 'low'
    END AS purchase_potential,
    CASE
        WHEN coalesce(surveys, 0) = 0 THEN 'unknown'
        WHEN points >= 2520 * surveys THEN 'high'
        WHEN points * 10 >= 8 * 2520 * surveys THEN 'medium' ELSE 'low'
    END AS satisfaction,
    CASE
        WHEN getvariable('as_of_date') - first_d >= 365 AND quarters >= 3 THEN 'high'
        WHEN orders_w >= 2 THEN 'medium' ELSE 'low'
    END AS loyalty,
    CASE
        WHEN p_alive IS NULL THEN 'unknown' WHEN p_alive < 0.3 THEN 'high'
        WHEN p_alive < 0.7 THEN 'medium' ELSE 'low'
    END AS churn_risk,
    coalesce(complaints, 0) AS complaints,
    CASE WHEN recommend >= 9 THEN 'promoter' WHEN recommend <= 6 THEN 'detractor'
        WHEN recommend IS NOT NULL THEN 'passive' END AS nps_class
FROM j;

CREATE TABLE lifecycle AS
WITH staged AS (
    SELECT
        p.customer_id, p.buyer, p.orders_w, v.loyalty, v.churn_risk, v.purchase_potential,
        y.pyramid_tier,
        CASE
            WHEN NOT p.buyer THEN 'prospect'
            WHEN getvariable('as_of_date') - p.first_d <= 90 THEN 'new'
            WHEN p.orders_w > 0 AND p.last_d - p.prev_last_d >= 365 THEN 'reactivated'
            WHEN p.orders_w > 0 THEN 'mature'
            ELSE 'lost'
        END AS lifecycle_stage
    FROM picture_facts AS p
    JOIN value_dimensions AS v USING (customer_id)
    JOIN pyramid AS y USING (customer_id)
)

SELECT
    customer_id,
    lifecycle_stage,
    CASE
        WHEN buyer AND (orders_w = 0 OR churn_risk = 'high') THEN 'lost'
        WHEN loyalty = 'high' AND pyramid_tier IN ('top', 'big', 'medium') THEN 'loyal'
        WHEN NOT buyer OR lifecycle_stage = 'new' OR purchase_potential = 'high' THEN 'potential'
        ELSE 'marginal'
    END AS loyalty_type
FROM staged;

CREATE TABLE quality AS
WITH m AS (
    SELECT
        p.customer_id, p.amount_w AS revenue, p.quantity_w AS volume, p.margin_w AS margin,
        s.overdue, p.cycle_w, s.minutes * 1.0 AS cost_to_serve
    FROM picture_facts AS p
    JOIN picture_service AS s USING (customer_id)
    WHERE p.orders_w > 0
),

r AS (
    SELECT
        *,
        count(*) OVER () AS n,
        0.25 * (rank() OVER (ORDER BY revenue) - 1)
        + 0.15 * (rank() OVER (ORDER BY volume NULLS FIRST) - 1)
        + 0.20 * (rank() OVER (ORDER BY margin NULLS FIRST) - 1)
        + 0.15 * (rank() OVER (ORDER BY overdue DESC) - 1)
        + 0.15 * (rank() OVER (ORDER BY cycle_w DESC NULLS FIRST) - 1)
        + 0.10 * (rank() OVER (ORDER BY cost_to_serve DESC) - 1) AS points,
        coalesce(margin, revenue * 0.30) - cost_to_serve - overdue AS net
    FROM m
)

SELECT
    customer_id,
    row_number() OVER (ORDER BY points DESC, customer_id) * 5 <= n AS is_quality_customer,
    CASE
        WHEN row_number() OVER (ORDER BY points DESC, customer_id) * 5 <= n THEN 'quality'
        WHEN net < 0 THEN 'unprofitable'
        ELSE 'standard'
    END AS quality_tier
FROM r;
