{#-
    How int_customer_tier_runs is built this time: folded (yesterday's state plus this
    build's snapshot, work that does not grow with the history) or recomputed from every
    snapshot. Folding gives the recomputed answer only when the state it starts from saw
    exactly the snapshots the store now holds before as_of_date, so it folds when all of
    these hold, and recomputes otherwise (the reason is logged):

    - not --full-refresh, and the state table exists with this version's columns;
    - the state's date is before this build's as_of_date, and it is the latest stored
      date before it (no date was added in between);
    - the stored files before the state's date are the ones the state saw: the same dates,
      sizes and modification times, the same tier schemes and the same key rules (seed
      key_customer_rules) (history_fingerprint);
    - the stored file of the state's own date holds what the state folded in: the same
      hash of customer_id, every scheme's tier, value_window_revenue and clv
      (snapshot_hash), because that file is written after the state's build, by its
      publish.

    Returns {'fold': bool, 'reason': str, 'previous': {...} or none, 'history_fingerprint':
    the fingerprint of the stored files before this build's as_of_date, for its state}.
    The model's one introspective call: unit tests override it.
-#}
{% macro crm_tier_runs_plan() %}
    {#- ref() before the parse returns: the model then depends on the date. -#}
    {%- set analysis_date = ref('int_analysis_date_resolved') -%}
    {%- set key_rules = ref('key_customer_rules') -%}
    {%- if not execute or not crm_relations_exist([analysis_date, key_rules]) -%}
        {#- Parsing, or compiling (dbt compile, sqlfluff) before the date or the seed is built. -#}
        {{ return({'fold': false, 'reason': 'not built yet', 'previous': none, 'history_fingerprint': ''}) }}
    {%- endif -%}
    {%- set as_of_date = run_query(
        "select cast(as_of_date as " ~ dbt.type_string() ~ ") from " ~ analysis_date
    ).columns[0].values()[0] -%}
    {%- set rules = run_query(
        "select coalesce(" ~ crm_ordered_list(
            "scheme || '=' || tier_code || '@' || cast(rule_rank as " ~ dbt.type_string() ~ ")",
            "scheme, tier_code", "';'")
        ~ ", '') from " ~ key_rules ~ " where rule = 'key'"
    ).columns[0].values()[0] -%}
    {%- set stored = crm_tier_history_files() -%}
    {%- set before = stored | selectattr('as_of_date', 'lt', as_of_date) | list -%}
    {%- set plan = crm_tier_runs_fold(as_of_date, before, rules) -%}
    {%- do plan.update({'history_fingerprint': crm_tier_history_fingerprint(before, rules)}) -%}
    {{ log("int_customer_tier_runs: " ~ ('' if plan.fold else 'recomputed: ') ~ plan.reason, info=True) }}
    {{ return(plan) }}
{% endmacro %}

{#- Whether the state can fold this build's snapshot in, given the stored files before it. -#}
{% macro crm_tier_runs_fold(as_of_date, before, rules) %}
    {%- set previous = none -%}
    {%- set relation = adapter.get_relation(this.database, this.schema, this.identifier) -%}
    {%- if flags.FULL_REFRESH -%}
        {{ return({'fold': false, 'reason': '--full-refresh', 'previous': none}) }}
    {%- endif -%}
    {%- if relation is none -%}
        {{ return({'fold': false, 'reason': 'no earlier state', 'previous': none}) }}
    {%- endif -%}
    {%- if not crm_reads_own_table() -%}
        {{ return({'fold': false, 'reason': adapter.type() ~ ' drops the earlier state before the build',
            'previous': none}) }}
    {%- endif -%}
    {%- set have = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
    {%- for needed in ['history_fingerprint', 'snapshot_hash', 'first_snapshot_date', 'snapshots'] -%}
        {%- if needed not in have -%}
            {{ return({'fold': false, 'reason': 'the earlier state has no ' ~ needed, 'previous': none}) }}
        {%- endif -%}
    {%- endfor -%}
    {%- set found = run_query(
        "select cast(as_of_date as " ~ dbt.type_string() ~ "), history_fingerprint, snapshot_hash, "
        ~ "cast(first_snapshot_date as " ~ dbt.type_string() ~ "), snapshots from " ~ relation
        ~ " limit 1") -%}
    {%- if found.rows | length == 0 -%}
        {{ return({'fold': false, 'reason': 'the earlier state is empty', 'previous': none}) }}
    {%- endif -%}
    {%- set row = found.rows[0] -%}
    {%- set previous = {
        'as_of_date': row[0], 'history_fingerprint': row[1], 'snapshot_hash': row[2],
        'first_snapshot_date': row[3], 'snapshots': row[4],
    } -%}
    {%- if previous.as_of_date >= as_of_date -%}
        {{ return({'fold': false, 'reason': 'the earlier state is of ' ~ previous.as_of_date
            ~ ', not before ' ~ as_of_date, 'previous': previous}) }}
    {%- endif -%}
    {%- if before | length == 0 or before[-1].as_of_date != previous.as_of_date -%}
        {{ return({'fold': false, 'reason': 'the store holds no ' ~ previous.as_of_date
            ~ ' as the latest date before ' ~ as_of_date, 'previous': previous}) }}
    {%- endif -%}
    {%- if crm_tier_history_fingerprint(before[:-1], rules) != previous.history_fingerprint -%}
        {{ return({'fold': false, 'reason': 'the stored dates before ' ~ previous.as_of_date
            ~ ' changed', 'previous': previous}) }}
    {%- endif -%}
    {#- Typed by the history mart, so a file without a column (an older version) reads it as null. -#}
    {%- set stored_hash = run_query(
        "select " ~ crm_tier_snapshot_hash() ~ " from (select * from "
        ~ ref('fct_customer_tier_history') ~ " where false union all by name select * from read_parquet('"
        ~ before[-1].path ~ "'))").columns[0].values()[0] -%}
    {%- if stored_hash != previous.snapshot_hash -%}
        {{ return({'fold': false, 'reason': 'the stored ' ~ previous.as_of_date
            ~ ' is not the snapshot the state folded in', 'previous': previous}) }}
    {%- endif -%}
    {{ return({'fold': true, 'reason': 'folded ' ~ as_of_date ~ ' into the state of '
        ~ previous.as_of_date, 'previous': previous}) }}
{% endmacro %}

{#-
    The stored snapshot files: [{'as_of_date', 'path', 'stamp'}] in date order, the stamp
    '<size>|<modified, microseconds>'. Listed as the raw files are (crm_list_raw_files), so
    every engine sees the same files and stamps.
-#}
{% macro crm_tier_history_files() %}
    {%- set history_dir = crm_tier_history_dir() -%}
    {%- set files = [] -%}
    {%- if history_dir == '' or not execute -%}
        {{ return(files) }}
    {%- endif -%}
    {%- for found in crm_list_raw_files([history_dir ~ '/*.parquet']) -%}
        {%- set name = found.file.replace('\\', '/').split('/')[-1] -%}
        {%- do files.append({
            'as_of_date': name[:-8], 'path': found.file,
            'stamp': found.size ~ '|' ~ found.modified}) -%}
    {%- endfor -%}
    {{ return(files | sort(attribute='as_of_date')) }}
{% endmacro %}

{#-
    Whether a model may read its own table while it is rebuilt: dbt-duckdb builds the new
    table beside the old one and swaps them; dbt-spark drops a Parquet table before it
    writes the new one, so there the state is recomputed and no pair of dates is kept.
-#}
{% macro crm_reads_own_table() %}
    {{ return(adapter.dispatch('crm_reads_own_table', 'crm_value')()) }}
{% endmacro %}

{% macro default__crm_reads_own_table() %}
    {{ return(true) }}
{% endmacro %}

{% macro spark__crm_reads_own_table() %}
    {{ return(false) }}
{% endmacro %}

{#- A fingerprint of stored files (their dates, sizes and times), the tier schemes and the key rules. -#}
{% macro crm_tier_history_fingerprint(files, rules) %}
    {%- set parts = [crm_tier_scheme_columns() | tojson, rules] -%}
    {%- for file in files -%}
        {%- do parts.append(file.as_of_date ~ '=' ~ file.stamp) -%}
    {%- endfor -%}
    {{ return(local_md5(parts | join(';'))) }}
{% endmacro %}

{#-
    An order-free hash of what the state takes from a snapshot (customers, every scheme's
    tier, the worth a key tier records), as text: an aggregate expression.
-#}
{% macro crm_tier_snapshot_hash() -%}
    cast(coalesce(sum(hash(customer_id, value_window_revenue, clv
        {%- for column in crm_tier_scheme_columns().values() %}, {{ column }}{% endfor -%}
    )), 0) as {{ dbt.type_string() }})
{%- endmacro %}

{#-
    Which pairs of consecutive snapshot dates int_tier_moves computes this time, and which
    it keeps from its previous build: a pair is kept when neither date is this build's
    (whose snapshot is new) and both stored files are as they were when it was computed
    (same size and modification time). --full-refresh, or no previous build, computes all.
    Returns {'pairs': [{'from', 'to', 'from_stamp', 'to_stamp', 'keep'}]}. The model's one
    introspective call: unit tests override it.
-#}
{% macro crm_tier_pairs_plan() %}
    {#- ref() before the parse returns: the model then depends on the date. -#}
    {%- set analysis_date = ref('int_analysis_date_resolved') -%}
    {%- if not execute or not crm_relations_exist([analysis_date]) -%}
        {{ return({'pairs': []}) }}
    {%- endif -%}
    {%- set as_of_date = run_query(
        "select cast(as_of_date as " ~ dbt.type_string() ~ ") from " ~ analysis_date
    ).columns[0].values()[0] -%}
    {%- set stamps = {as_of_date: ''} -%}
    {%- for file in crm_tier_history_files() if file.as_of_date != as_of_date -%}
        {%- do stamps.update({file.as_of_date: file.stamp}) -%}
    {%- endfor -%}
    {%- set dates = stamps.keys() | sort -%}
    {%- set kept_before = [] -%}
    {%- set relation = adapter.get_relation(this.database, this.schema, this.identifier) -%}
    {%- if relation is not none and not flags.FULL_REFRESH and crm_reads_own_table() -%}
        {%- set have = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
        {%- if 'from_stamp' in have and 'to_stamp' in have and 'computed_as_of_date' in have -%}
            {%- set found = run_query(
                "select distinct cast(from_as_of_date as " ~ dbt.type_string() ~ ") || '|' || "
                ~ "cast(to_as_of_date as " ~ dbt.type_string() ~ ")"
                ~ " || '|' || from_stamp || '|' || to_stamp from " ~ relation) -%}
            {%- do kept_before.extend(found.columns[0].values()) -%}
        {%- endif -%}
    {%- endif -%}
    {%- set pairs = [] -%}
    {%- for i in range(dates | length - 1) -%}
        {%- set pair = {
            'from': dates[i], 'to': dates[i + 1],
            'from_stamp': stamps[dates[i]], 'to_stamp': stamps[dates[i + 1]],
        } -%}
        {%- do pair.update({'keep': pair.from_stamp != '' and pair.to_stamp != '' and (
            [pair.from, pair.to, pair.from_stamp, pair.to_stamp] | join('|')) in kept_before}) -%}
        {%- do pairs.append(pair) -%}
    {%- endfor -%}
    {%- set kept = pairs | selectattr('keep') | list | length -%}
    {{ log("int_tier_moves: " ~ kept ~ " pairs of dates kept, " ~ (pairs | length - kept)
        ~ " computed", info=True) }}
    {{ return({'pairs': pairs}) }}
{% endmacro %}

{#- Whether every relation in the list exists in the warehouse. -#}
{% macro crm_relations_exist(relations) %}
    {%- for relation in relations -%}
        {%- if adapter.get_relation(relation.database, relation.schema, relation.identifier) is none -%}
            {{ return(false) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(true) }}
{% endmacro %}
