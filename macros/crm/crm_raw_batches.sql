{#-
    Where an entity's raw rows come from, as batches. A batch is one raw file:
      - `seed`: the bundled demo seed (CRM_RAW_DIR unset), one batch named `seed:<entity>`;
      - `file`: the one file `<CRM_RAW_DIR>/<entity>.<format>` (a full export);
      - `folder`: every `*.<format>` file under the folder `<CRM_RAW_DIR>/<entity>/`, at any
        depth (Hive-style `key=value` folders allowed; their names are not read as
        columns), each file one batch; batches are ordered by path.
    Returns {layout, label, files: [{file, size, modified}]}, files sorted by path,
    `modified` in microseconds since the epoch. At parse time the answer is a placeholder.
-#}
{% macro crm_raw_listing(entity) %}
    {%- if crm_raw_mode() == 'seed' -%}
        {{ return({'layout': 'seed', 'label': 'seed ' ~ entity,
                   'files': [{'file': 'seed:' ~ entity, 'size': none, 'modified': none}]}) }}
    {%- endif -%}
    {%- set single = crm_raw_file_path(entity) -%}
    {%- set folder = crm_raw_dir().rstrip('/') ~ '/' ~ entity -%}
    {%- if not execute -%}
        {{ return({'layout': 'file', 'label': single,
                   'files': [{'file': single, 'size': none, 'modified': none}]}) }}
    {%- endif -%}
    {%- set listed = crm_list_raw_files([folder ~ '/**/*.' ~ crm_raw_mode(), single]) -%}
    {%- set found = listed | map(attribute='file') | list -%}
    {%- set in_folder = found | reject('equalto', single) | list -%}
    {%- if in_folder and single in found -%}
        {{ exceptions.raise_compiler_error(
            "raw input for entity " ~ entity ~ " is ambiguous: both the file " ~ single
            ~ " and the folder " ~ folder ~ " (" ~ (in_folder | length) ~ " files) exist; "
            ~ "keep one") }}
    {%- endif -%}
    {%- if not found -%}
        {#- Missing: crm_check_raw_files names it; nothing is read. -#}
        {{ return({'layout': 'file', 'label': single,
                   'files': [{'file': single, 'size': none, 'modified': none}]}) }}
    {%- endif -%}
    {{ return({'layout': 'folder' if in_folder else 'file',
               'label': folder if in_folder else single, 'files': listed}) }}
{% endmacro %}

{#-
    Every file the glob patterns match, each once, in path order: [{file, size, modified}],
    `modified` in microseconds since the epoch. DuckDB lists them itself; Spark asks the
    project's Python (crm_value.raw_files.list_files, which runs DuckDB's own glob), so
    both engines list the same files.
-#}
{% macro crm_list_raw_files(patterns) %}
    {{ return(adapter.dispatch('crm_list_raw_files', 'crm_value')(patterns)) }}
{% endmacro %}

{% macro default__crm_list_raw_files(patterns) %}
    {%- set globs = [] -%}
    {%- for pattern in patterns -%}
        {%- do globs.append("select file from glob('" ~ (pattern | replace("'", "''")) ~ "')") -%}
    {%- endfor -%}
    {%- set found = run_query(globs | join(' union all ')).columns[0].values() | unique | list -%}
    {%- set files = [] -%}
    {%- if found -%}
        {%- set stats = run_query(
            "select filename, size, epoch_us(last_modified) from read_blob(["
            ~ crm_sql_text_list(found) ~ "]) order by filename") -%}
        {%- for row in stats.rows -%}
            {%- do files.append({'file': row[0], 'size': row[1] | int, 'modified': row[2] | int}) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(files) }}
{% endmacro %}

{% macro spark__crm_list_raw_files(patterns) %}
    {{ return(crm_python_answer('crm_value.raw_files', ['list'], patterns)) }}
{% endmacro %}

{#- A list of texts as SQL string literals (crm_text_literal), comma-separated. -#}
{% macro crm_sql_text_list(values) %}
    {%- set quoted = [] -%}
    {%- for value in values -%}
        {%- do quoted.append(crm_text_literal(value)) -%}
    {%- endfor -%}
    {{ return(quoted | join(', ')) }}
{% endmacro %}

{#-
    The entity's batch store (base_crm__<entity>_batches) as it exists in the warehouse, or
    none before its first build or under --full-refresh (then every batch is read anew).
-#}
{% macro crm_batch_store(entity) %}
    {%- if not execute or flags.FULL_REFRESH -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set node = graph.nodes.get('model.' ~ project_name ~ '.base_crm__' ~ entity ~ '_batches') -%}
    {%- if node is none -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(adapter.get_relation(
        database=node.database, schema=node.schema, identifier=node.alias)) }}
{% endmacro %}

{#-
    Which batches of an entity this build must read, against the batch store:
    {layout, label, files (the listing), pending, changed, removed}.
      - a file the store does not hold is pending;
      - a held file whose size or modification time differs is changed: in a folder that
        stops the build (a processed increment must not change under the warehouse)
        unless the var `changed_raw_files` is 'reprocess', which reads it again and
        replaces its rows; a single file (a full export) or a seed is simply read again;
      - a held file no longer listed is removed: in a folder that stops the build unless
        `changed_raw_files` is 'reprocess'; its rows are deleted before the store is written
        (crm_forget_removed_batches), as are those of a replaced input (a single file or
        the demo where a folder was, or the other way round).
-#}
{% macro crm_pending_batches(entity, rules_hash=none) %}
    {%- set listing = crm_raw_listing(entity) -%}
    {%- set store = crm_batch_store(entity) -%}
    {%- set held = {} -%}
    {%- if store is not none -%}
        {%- set rows = run_query(
            "select batch_file, max(file_size), max(file_modified), max(rules_hash) from "
            ~ store ~ " group by batch_file").rows -%}
        {%- for row in rows -%}
            {%- do held.update({row[0]: {'size': row[1] | int, 'modified': row[2] | int,
                                         'rules_hash': row[3]}}) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- set pending = [] -%}
    {%- set changed = [] -%}
    {%- set rejudged = [] -%}
    {%- set listed = [] -%}
    {%- for item in listing.files -%}
        {%- do listed.append(item.file) -%}
        {%- set before = held.get(item.file) -%}
        {%- if before is none or listing.layout == 'seed' -%}
            {%- do pending.append(item) -%}
        {%- elif rules_hash is not none and before.rules_hash != rules_hash
            and before.size == item.size and before.modified == item.modified -%}
            {#- The file is as it was; the rules that judged it are not. -#}
            {%- do rejudged.append(item.file) -%}
            {%- do pending.append(item) -%}
        {%- elif before.size != item.size or before.modified != item.modified -%}
            {%- do changed.append(item.file ~ ' (size ' ~ before.size ~ ' -> ' ~ item.size
                ~ ' bytes, modified ' ~ before.modified ~ ' -> ' ~ item.modified ~ ' us)') -%}
            {%- do pending.append(item) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set removed = held.keys() | reject('in', listed) | sort | list -%}
    {%- if listing.layout == 'folder' and (changed or removed)
        and var('changed_raw_files') != 'reprocess' -%}
        {{ exceptions.raise_compiler_error(
            "raw folder " ~ listing.label ~ " (entity " ~ entity ~ "): files the warehouse "
            ~ "has already processed "
            ~ (("changed: " ~ (changed | join('; '))) if changed else "")
            ~ ("; " if changed and removed else "")
            ~ (("are gone: " ~ (removed | join('; '))) if removed else "")
            ~ ". An increment must not change once delivered. Restore the files, or "
            ~ "rerun with --vars '{changed_raw_files: reprocess}' (crm-value refresh "
            ~ "--reprocess-changed) to read the changed files again and leave removed "
            ~ "ones out") }}
    {%- endif -%}
    {%- if rejudged and execute -%}
        {{ log("crm: " ~ entity ~ ": the rules that judge a row on its own changed since "
            ~ (rejudged | length) ~ " stored file(s) were read; reading them again", info=true) }}
    {%- endif -%}
    {{ return({'layout': listing.layout, 'label': listing.label, 'files': listing.files,
               'pending': pending, 'changed': changed, 'removed': removed,
               'rejudged': rejudged}) }}
{% endmacro %}

{#-
    A fingerprint of everything the batch store's own judgement of a row depends on
    besides the row: the entity's contract (columns, types, required, allowed values),
    the batch model's SQL (its casts and rules; `model.raw_code`, comments and layout
    left out), the var `min_plausible_date` and the control-character test. A stored file
    judged under another fingerprint is read again, so a changed var or rule never leaves
    old verdicts in the store (a build gives the same answer as --full-refresh).
-#}
{% macro crm_batch_rules_hash(entity, model_sql) %}
    {%- set code = modules.re.sub('[{]#.*?#[}]|--[^\n]*', '', model_sql, flags=modules.re.S) -%}
    {{ return(local_md5(tojson(crm_raw_entity(entity)) ~ '|' ~ (code.split() | join(' ')) ~ '|'
        ~ crm_min_plausible_date() ~ '|' ~ crm_has_control_character('x'))) }}
{% endmacro %}

{#-
    The engine's reader over some batches of an entity: a relation with the raw columns
    and `file_index`, the position of each row's file in `files`. With no file to read
    (the store holds every one), a relation of no rows with the contract's columns as
    text: the batch model then adds nothing to its store.
-#}
{% macro crm_batch_reader(entity, files) %}
    {%- if not files -%}
        {%- set columns = [] -%}
        {%- for column in crm_raw_entity(entity).columns -%}
            {%- do columns.append('cast(null as ' ~ dbt.type_string() ~ ') as '
                ~ adapter.quote(column.name)) -%}
        {%- endfor -%}
        {{ return('(select ' ~ (columns | join(', ')) ~ ', cast(0 as bigint) as file_index where false)') }}
    {%- endif -%}
    {{ return(adapter.dispatch('crm_batch_reader', 'crm_value')(entity, files)) }}
{% endmacro %}

{#- DuckDB's readers; `file_index` is DuckDB's virtual column. -#}
{% macro default__crm_batch_reader(entity, files) %}
    {%- if crm_raw_mode() == 'seed' -%}
        {{ return("(select *, 0 as file_index from " ~ crm_raw_relation(entity) ~ ")") }}
    {%- endif -%}
    {%- set paths = [] -%}
    {%- for item in files -%}
        {%- do paths.append(item.file) -%}
    {%- endfor -%}
    {%- if crm_raw_mode() == 'parquet' -%}
        {{ return("read_parquet([" ~ crm_sql_text_list(paths) ~ "], "
            ~ "union_by_name = true, hive_partitioning = false)") }}
    {%- endif -%}
    {{ return("read_csv([" ~ crm_sql_text_list(paths) ~ "], " ~ var('raw_csv_options')
        ~ ", union_by_name = true, hive_partitioning = false)") }}
{% endmacro %}

{#-
    Spark's own readers: each file a temporary view (CSV: header, RFC 4180 quotes, quoted
    line breaks, every column text; Parquet as typed), then the files' rows together by
    column name (trimmed and case-folded), as DuckDB's union_by_name does: a column some
    file lacks is null there, and a column no file has is not there at all. Views are
    (re)made when the reader is asked for, at execution time; at parse time the answer is
    a placeholder.
-#}
{% macro spark__crm_batch_reader(entity, files) %}
    {%- if crm_raw_mode() == 'seed' or not execute -%}
        {{ return("(select *, 0 as file_index from " ~ crm_raw_relation(entity) ~ ")") }}
    {%- endif -%}
    {%- set views = [] -%}
    {%- set names = [] -%}
    {%- set spellings = {} -%}
    {%- for item in files -%}
        {%- set view = 'crm_raw__' ~ entity ~ '__' ~ loop.index0 -%}
        {%- if crm_raw_mode() == 'parquet' -%}
            {%- do run_query("create or replace temporary view " ~ view
                ~ " using parquet options (path " ~ crm_text_literal(item.file) ~ ")") -%}
        {%- else -%}
            {%- do run_query("create or replace temporary view " ~ view
                ~ " using csv options (path " ~ crm_text_literal(item.file) ~ ", header 'true', sep ',', "
                ~ "quote '\"', escape '\"', multiLine 'true', inferSchema 'false', "
                ~ "mode 'PERMISSIVE', encoding 'UTF-8')") -%}
        {%- endif -%}
        {#- a column is known by its header trimmed and case-folded, as the contract
            matches it and as DuckDB's union_by_name joins files; it keeps the spelling
            of the first file that has it -#}
        {%- set columns = {} -%}
        {%- for row in run_query("describe " ~ view).rows -%}
            {%- set key = row[0] | trim | lower -%}
            {%- do columns.update({key: row[0]}) -%}
            {%- if key not in spellings -%}
                {%- do names.append(key) -%}
                {%- do spellings.update({key: row[0]}) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- do views.append({'view': view, 'columns': columns, 'index': loop.index0}) -%}
    {%- endfor -%}
    {%- set selects = [] -%}
    {%- for item in views -%}
        {%- set parts = [] -%}
        {%- for key in names -%}
            {#- an untyped null: the union takes the type of the files that have it -#}
            {%- do parts.append(
                (adapter.quote(item.columns[key]) if key in item.columns else 'null')
                ~ ' as ' ~ adapter.quote(spellings[key])) -%}
        {%- endfor -%}
        {%- do selects.append("select " ~ (parts | join(', ')) ~ ", " ~ item.index
            ~ " as file_index from " ~ item.view) -%}
    {%- endfor -%}
    {{ return("(" ~ (selects | join(' union all ')) ~ ")") }}
{% endmacro %}

{#- A select of (batch_file, file_hash): each file's name as listed and the md5 of its bytes, in hex. -#}
{% macro crm_file_hashes(files) %}
    {{ return(adapter.dispatch('crm_file_hashes', 'crm_value')(files)) }}
{% endmacro %}

{% macro default__crm_file_hashes(files) %}
    select
        filename as batch_file,
        md5(content) as file_hash
    from read_blob([{{ crm_sql_text_list(files) }}])
{% endmacro %}

{#- Spark's binaryFile reader, a file at a time, named as listed (binaryFile gives a URI). -#}
{% macro spark__crm_file_hashes(files) %}
    {%- for file in files %}
    select
        {{ crm_text_literal(file) }} as batch_file,
        md5(content) as file_hash
    from binaryFile.`{{ file | replace('`', '``') }}`
    {{ 'union all' if not loop.last }}
    {%- endfor %}
{% endmacro %}
