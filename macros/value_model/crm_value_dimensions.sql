{#- The six value dimensions, each a column of fct_customer_value_dimensions and dim_customers and a scheme of the tier-strategy seed. -#}
{% macro crm_value_dimensions() %}
    {{ return([
        'purchasing_power', 'purchase_frequency', 'purchase_potential',
        'satisfaction', 'loyalty', 'churn_risk',
    ]) }}
{% endmacro %}
