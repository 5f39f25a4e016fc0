{#-
    Whether one profile field of var profile_fields counts as filled, as SQL over the
    accepted customer columns; null when the field does not apply to this customer
    (industry is expected of business customers only). `contact` is email or phone.
-#}
{% macro crm_profile_field_filled(field) %}
    {%- if field == 'contact' -%}
        (email is not null or phone is not null)
    {%- elif field == 'industry' -%}
        case when customer_type = 'business' then industry is not null end
    {%- else -%}
        ({{ field }} is not null)
    {%- endif -%}
{% endmacro %}
