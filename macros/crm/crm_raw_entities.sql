{#-
    The raw-file contract, written once: every entity with its key, whether the file must
    hold rows, and its columns with their type and whether a value is required.
    Types: text, timestamp, date, integer, decimal. A text column with `values` accepts
    only those codes (else `invalid_<column>`). Entity-specific rules (ranges, cross-column
    rules) live in each base model; everything generic (reading,
    collapsing exact duplicates, casting, missing/unparseable checks) is driven from here.
-#}
{% macro crm_raw_entities() %}
    {{ return({
        'customers': {
            'key': 'customer_id',
            'requires_rows': true,
            'columns': [
                {'name': 'customer_id', 'type': 'text', 'required': true},
                {'name': 'customer_name', 'type': 'text', 'required': false},
                {'name': 'customer_type', 'type': 'text', 'required': false,
                 'values': ['individual', 'business']},
                {'name': 'region', 'type': 'text', 'required': false},
                {'name': 'city', 'type': 'text', 'required': false},
                {'name': 'industry', 'type': 'text', 'required': false},
                {'name': 'acquisition_channel', 'type': 'text', 'required': false},
                {'name': 'email', 'type': 'text', 'required': false},
                {'name': 'phone', 'type': 'text', 'required': false},
                {'name': 'created_at', 'type': 'timestamp', 'required': true},
                {'name': 'updated_at', 'type': 'timestamp', 'required': true},
            ],
        },
        'orders': {
            'key': 'order_id',
            'requires_rows': true,
            'columns': [
                {'name': 'order_id', 'type': 'text', 'required': true},
                {'name': 'customer_id', 'type': 'text', 'required': true},
                {'name': 'ordered_at', 'type': 'timestamp', 'required': true},
                {'name': 'status', 'type': 'text', 'required': true,
                 'values': ['completed', 'cancelled', 'returned']},
                {'name': 'quantity', 'type': 'integer', 'required': false},
                {'name': 'amount', 'type': 'decimal', 'required': true},
                {'name': 'cost', 'type': 'decimal', 'required': false},
                {'name': 'channel', 'type': 'text', 'required': false},
            ],
        },
        'receivables': {
            'key': 'invoice_id',
            'requires_rows': false,
            'columns': [
                {'name': 'invoice_id', 'type': 'text', 'required': true},
                {'name': 'customer_id', 'type': 'text', 'required': true},
                {'name': 'issued_at', 'type': 'date', 'required': true},
                {'name': 'due_at', 'type': 'date', 'required': true},
                {'name': 'amount', 'type': 'decimal', 'required': true},
                {'name': 'paid_amount', 'type': 'decimal', 'required': true},
                {'name': 'paid_at', 'type': 'date', 'required': false},
            ],
        },
        'service_tickets': {
            'key': 'ticket_id',
            'requires_rows': false,
            'columns': [
                {'name': 'ticket_id', 'type': 'text', 'required': true},
                {'name': 'customer_id', 'type': 'text', 'required': true},
                {'name': 'opened_at', 'type': 'timestamp', 'required': true},
                {'name': 'closed_at', 'type': 'timestamp', 'required': false},
                {'name': 'ticket_type', 'type': 'text', 'required': true,
                 'values': ['complaint', 'inquiry', 'request', 'repair']},
                {'name': 'handling_minutes', 'type': 'decimal', 'required': false},
            ],
        },
        'surveys': {
            'key': 'response_id',
            'requires_rows': false,
            'columns': [
                {'name': 'response_id', 'type': 'text', 'required': true},
                {'name': 'customer_id', 'type': 'text', 'required': true},
                {'name': 'responded_at', 'type': 'timestamp', 'required': true},
                {'name': 'expectation_score', 'type': 'integer', 'required': true},
                {'name': 'perception_score', 'type': 'integer', 'required': true},
                {'name': 'recommend_score', 'type': 'integer', 'required': false},
            ],
        },
    }) }}
{% endmacro %}
