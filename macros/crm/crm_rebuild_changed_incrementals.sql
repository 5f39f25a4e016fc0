{#-
    Run before anything builds (on-run-start). An incremental mart keeps its table from
    one build to the next, and dbt refuses to add rows to a table whose columns are not
    the model's any more (on_schema_change: fail). When a code upgrade changes a contracted
    incremental mart's columns (a new tier scheme, a column renamed, a type widened), this
    drops the table the earlier code left, so the build writes it whole, as a
    --full-refresh would: such a mart is derived data (the tier history is the history
    store read again), and nothing is lost by writing it again. The log says which table
    and why.

    Only contracted incremental models are checked (their columns are known before the
    build: the contract), only when this run builds them (`dbt build` or `dbt run`,
    selected, not --full-refresh, which rewrites them anyway). The batch stores are
    incremental but not contracted, and are never dropped: their rows come from raw
    files, which a changed store would have to read again.
-#}
{% macro crm_rebuild_changed_incrementals() %}
    {%- if not execute or flags.WHICH not in ('build', 'run') or flags.FULL_REFRESH -%}
        {{ return('') }}
    {%- endif -%}
    {%- for node in graph.nodes.values()
        if node.resource_type == 'model'
        and node.config.materialized == 'incremental'
        and node.config.contract.enforced
        and node.unique_id in selected_resources -%}
        {%- set relation = adapter.get_relation(
            database=node.database, schema=node.schema, identifier=node.alias) -%}
        {%- if relation is not none -%}
            {%- set held = crm_relation_column_types(relation) -%}
            {%- set declared = crm_contract_column_types(node) -%}
            {%- if held != declared -%}
                {{ log(node.name ~ ": the table's columns are not the model's ("
                    ~ crm_column_changes(held, declared)
                    ~ "): the table is dropped and this build writes it whole", info=True) }}
                {%- do adapter.drop_relation(relation) -%}
                {#- reading the columns opened a transaction: the drop must be seen by the
                    model's own connection -#}
                {%- do adapter.commit() -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return('') }}
{% endmacro %}

{#- (name, type) of every column of a table, in order, as the database spells them. -#}
{% macro crm_relation_column_types(relation) %}
    {%- set columns = [] -%}
    {%- for column in adapter.get_columns_in_relation(relation) -%}
        {%- do columns.append((column.name | lower, column.dtype | upper)) -%}
    {%- endfor -%}
    {{ return(columns) }}
{% endmacro %}

{#- (name, type) of every column a model's contract declares, in order, each type as
    the database spells it (the contract may write `int` for INTEGER). -#}
{% macro crm_contract_column_types(node) %}
    {%- set casts = [] -%}
    {%- for column in node.columns.values() -%}
        {%- do casts.append('cast(null as ' ~ column.data_type ~ ') as '
            ~ adapter.quote(column.name | lower)) -%}
    {%- endfor -%}
    {%- if not casts -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set described = run_query('describe select ' ~ (casts | join(', '))) -%}
    {%- set columns = [] -%}
    {%- for row in described.rows -%}
        {%- do columns.append((row[0] | lower, row[1] | upper)) -%}
    {%- endfor -%}
    {{ return(columns) }}
{% endmacro %}

{#- What differs between a table's columns and a model's, in words. -#}
{% macro crm_column_changes(held, declared) %}
    {%- set held_types, declared_types = {}, {} -%}
    {%- for name, type in held -%}{%- do held_types.update({name: type}) -%}{%- endfor -%}
    {%- for name, type in declared -%}{%- do declared_types.update({name: type}) -%}{%- endfor -%}
    {%- set parts = [] -%}
    {%- for name, type in declared if name not in held_types -%}
        {%- do parts.append('new ' ~ name ~ ' ' ~ type) -%}
    {%- endfor -%}
    {%- for name, type in held if name not in declared_types -%}
        {%- do parts.append('gone ' ~ name) -%}
    {%- endfor -%}
    {%- for name, type in declared if name in held_types and held_types[name] != type -%}
        {%- do parts.append(name ~ ' ' ~ held_types[name] ~ ' -> ' ~ type) -%}
    {%- endfor -%}
    {%- if not parts -%}
        {%- do parts.append('the same columns in another order') -%}
    {%- endif -%}
    {{ return(parts | join('; ')) }}
{% endmacro %}
