{#- Validate the customer-file quality vars. Raises a compiler error naming the var. -#}
{% macro crm_validate_quality_vars() %}
    {%- set allowed = ['customer_name', 'customer_type', 'region', 'city', 'industry', 'contact'] -%}
    {%- set fields = var('profile_fields') -%}
    {%- if fields is string or fields is not iterable or (fields | length) == 0
        or (fields | reject('in', allowed) | list) or (fields | unique | list | length) != (fields | length) -%}
        {{ exceptions.raise_compiler_error(
            "Invalid var 'profile_fields' = " ~ (fields | tojson) ~ ": must be a non-empty list of distinct names from "
            ~ (allowed | join(', ')) ~ ".") }}
    {%- endif -%}
    {%- do crm_require_number('profile_max_age_days', var('profile_max_age_days'), 1, 36600, integer=true) -%}
    {%- for measure in ['completeness', 'timeliness'] -%}
        {%- set error_bound = var('min_profile_' ~ measure) -%}
        {%- set warn_bound = var('warn_profile_' ~ measure) -%}
        {%- do crm_require_number('min_profile_' ~ measure, error_bound, 0, 1) -%}
        {%- do crm_require_number('warn_profile_' ~ measure, warn_bound, 0, 1) -%}
        {%- if warn_bound < error_bound -%}
            {{ exceptions.raise_compiler_error(
                "Invalid var 'warn_profile_" ~ measure ~ "' = " ~ warn_bound ~ ": must be at least min_profile_"
                ~ measure ~ " (" ~ error_bound ~ "), so the build warns before it fails.") }}
        {%- endif -%}
    {%- endfor -%}
{% endmacro %}
