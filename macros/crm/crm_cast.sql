{#-
    Cast one raw text value to its contract type; a value that does not parse becomes
    null (the batch model flags it as `invalid_<column>`). Text is trimmed and blank
    becomes null.
    Only the contract's forms parse: ISO-8601 dates and timestamps (an offset converts
    to UTC), plain decimal numbers with `.` (an exponent is allowed). Integers must be
    whole numbers ('1.5' is unparseable, not rounded) that fit a bigint; decimals are
    rounded to cents, decimal(18, 2).
    A raw column that is already typed (Parquet) is cast directly: its values cannot be
    malformed text, and skipping the text rules keeps the big scan cheap.
-#}
{% macro crm_cast(raw_column, type, source_type='VARCHAR') %}
    {%- if not crm_is_text_type(source_type) -%}
        {{ return(crm_cast_typed(raw_column, type)) }}
    {%- endif -%}
    {%- set cleaned = "nullif(trim(" ~ raw_column ~ "), '')" -%}
    {%- set iso_datetime = '\\d{4}-\\d{2}-\\d{2}([ T]\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?)?(Z|[+-]\\d{2}(:?\\d{2})?)?' -%}
    {%- set number = '[+-]?(\\d+(\\.\\d*)?|\\.\\d+)([eE][+-]?\\d+)?' -%}
    {%- if type == 'text' -%}
        {{ cleaned }}
    {%- elif type == 'timestamp' -%}
        case
            when {{ crm_matches(cleaned, iso_datetime) }}
                then {{ crm_try_cast_utc_timestamp(cleaned) }}
        end
    {%- elif type == 'date' -%}
        case
            when {{ crm_matches(cleaned, iso_datetime) }}
                then {{ crm_try_cast(crm_try_cast_utc_timestamp(cleaned), 'date') }}
        end
    {%- elif type == 'decimal' -%}
        case
            when {{ crm_matches(cleaned, number) }}
                then {{ crm_try_cast(cleaned, 'decimal(18, 2)') }}
        end
    {%- elif type == 'integer' -%}
        {%- set as_number = crm_try_cast(cleaned, 'decimal(38, 6)') -%}
        case
            when {{ crm_matches(cleaned, number) }} and {{ as_number }} = floor({{ as_number }})
                then {{ crm_try_cast(as_number, dbt.type_bigint()) }}
        end
    {%- else -%}
        {{ exceptions.raise_compiler_error("crm_cast: unknown contract type '" ~ type ~ "'") }}
    {%- endif -%}
{% endmacro %}
