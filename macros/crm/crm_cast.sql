{#-
    Cast one raw text value to its contract type; a value that does not parse becomes
    null (crm_contract_reasons() then flags it). Text is trimmed and blank becomes null.
    Integers must be whole numbers ('1.5' is unparseable, not rounded); decimals are
    rounded to cents, decimal(18, 2).
-#}
{% macro crm_cast(raw_column, type) %}
    {%- set cleaned = "nullif(trim(" ~ raw_column ~ "), '')" -%}
    {%- if type == 'text' -%}
        {{ cleaned }}
    {%- elif type == 'timestamp' -%}
        {{ crm_try_cast(cleaned, dbt.type_timestamp()) }}
    {%- elif type == 'date' -%}
        {{ crm_try_cast(cleaned, 'date') }}
    {%- elif type == 'decimal' -%}
        {{ crm_try_cast(cleaned, 'decimal(18, 2)') }}
    {%- elif type == 'integer' -%}
        {%- set as_number = crm_try_cast(cleaned, 'decimal(38, 6)') -%}
        case
            when {{ as_number }} = floor({{ as_number }})
                then cast({{ as_number }} as {{ dbt.type_bigint() }})
        end
    {%- else -%}
        {{ exceptions.raise_compiler_error("crm_cast: unknown contract type '" ~ type ~ "'") }}
    {%- endif -%}
{% endmacro %}
