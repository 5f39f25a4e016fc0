{#-
    The direct identifiers of every accepted customer: name, email, phone, and where the
    customer is. They are personal data: the publish writes this schema to the release's
    restricted file (readable by its owner alone), never to the BI serving file, whose
    tables carry no name, email or phone (README, Personal data).
-#}
with

customers as (
    select
        customer_id,
        customer_name,
        customer_type,
        region,
        city,
        email,
        phone
    from {{ ref('stg_crm__customers') }}
)

select
    customer_id,
    customer_name,
    customer_type,
    region,
    city,
    email,
    phone
from customers
