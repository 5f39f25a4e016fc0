{#-
    The tier of a customer absent from a snapshot, or without a tier in a scheme there, as
    a SQL literal: the one spelling the history marts and their guards use for entries and
    exits.
-#}
{% macro crm_not_in_scope() %}'not_in_scope'{% endmacro %}
