{#-
    The ledger of what the warehouse has read: one row per entity and raw file (batch),
    from the batch stores, which write a file's rows and its identity in one step, so the
    ledger cannot claim a file whose rows are missing or miss one whose rows are there.
    Per file: size, modification time, content hash, the raw rows counted on the file, the
    distinct rows kept, the dbt invocation that read it, and where its raw rows went in
    this build (accepted, superseded by a later version, rejected; exact duplicates within
    the file collapsed). `status` is `read`, or `listed_without_rows` for a header-only
    file (nothing to store; it is read again at no cost). See crm_ledger_rows.
-#}
with

ledger as (
    {% for entity in crm_raw_entities() -%}
        {{ crm_ledger_rows(entity) }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select * from ledger
