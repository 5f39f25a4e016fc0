"""The DAG lint (crm_value.dag_lint) on small manifests built here: a clean one passes,
and each rule, tripped once, gives exactly its one line. No dbt runs."""

from __future__ import annotations

import copy
import json

import pytest

from crm_value.dag_lint import lint, main


def _model(name: str, path: str, parents: list[str]) -> dict:
    return {
        "unique_id": f"model.p.{name}",
        "name": name,
        "resource_type": "model",
        "original_file_path": path,
        "description": f"The {name} model.",
        "config": {"meta": {}},
        "parents": parents,
    }


def _unique_test(kind: str, model: str) -> dict:
    return {
        "unique_id": f"test.p.{kind}_{model}",
        "name": f"{kind}_{model}",
        "resource_type": "test",
        "test_metadata": {"name": kind, "kwargs": {}},
        "attached_node": f"model.p.{model}",
    }


def _clean_manifest() -> dict:
    """One model per layer, each reading what its layer may read, each keyed and
    described: a seed and a source at the start, as in the project."""
    models = [
        _model("base_a", "models/staging/a/base/base_a.sql", ["source.p.a.raw", "seed.p.ref"]),
        _model("stg_a", "models/staging/a/stg_a.sql", ["model.p.base_a"]),
        _model("int_a", "models/intermediate/int_a.sql", ["model.p.stg_a"]),
        _model("fct_a", "models/marts/x/fct_a.sql", ["model.p.int_a", "model.p.stg_a"]),
        _model("audit_a", "models/audit/audit_a.sql", ["model.p.base_a", "model.p.stg_a"]),
        _model("contacts", "models/restricted/contacts.sql", ["model.p.stg_a"]),
        _model("spine", "models/semantic/spine.sql", ["model.p.fct_a"]),
    ]
    tests = [_unique_test("unique", m["name"]) for m in models[:-1]]
    tests.append(_unique_test("crm_unique_combination", "spine"))
    seed = {
        "unique_id": "seed.p.ref",
        "name": "ref",
        "resource_type": "seed",
        "original_file_path": "seeds/crm_demo/ref.csv",
    }
    lookup = {
        "unique_id": "seed.p.lookup",
        "name": "lookup",
        "resource_type": "seed",
        "original_file_path": "seeds/reference/lookup.csv",
    }
    source = {"unique_id": "source.p.a.raw", "name": "raw", "resource_type": "source"}
    return {
        "nodes": {n["unique_id"]: n for n in [*models, *tests, seed, lookup]},
        "sources": {source["unique_id"]: source},
        "parent_map": {m["unique_id"]: m.pop("parents") for m in models},
    }


def _add_parents(manifest: dict, model: str, parents: list[str]) -> None:
    manifest["parent_map"][f"model.p.{model}"].extend(parents)


def test_a_clean_manifest_passes(tmp_path, capsys):
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(_clean_manifest()))
    assert main([str(path)]) == 0
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(
    ("model", "parent", "expected"),
    [
        (
            "base_a",
            "stg_a",
            "base_a: layering: reads stg_a (staging) from the base layer; "
            "move the logic it needs upstream, or this model to a later layer",
        ),
        (
            "fct_a",
            "base_a",
            "fct_a: layering: reads base_a (base) from the marts layer; "
            "read it through a staging model",
        ),
        (
            "int_a",
            "contacts",
            "int_a: layering: reads contacts (restricted) from the intermediate layer; "
            "restricted models are ends of the DAG: read what it reads instead",
        ),
        (
            "audit_a",
            "int_a",
            "audit_a: layering: reads int_a (intermediate) from the audit layer; "
            "read base or staging or audit models instead",
        ),
    ],
)
def test_a_read_against_the_layers(model, parent, expected):
    manifest = _clean_manifest()
    _add_parents(manifest, model, [f"model.p.{parent}"])
    assert lint(manifest) == [expected]


def test_a_raw_seed_counts_as_a_source():
    manifest = _clean_manifest()
    _add_parents(manifest, "fct_a", ["seed.p.ref"])
    assert lint(manifest) == [
        "fct_a: layering: reads ref (seed) from the marts layer; read it through a staging model"
    ]


def test_a_reference_seed_is_read_by_the_later_layers_only():
    manifest = _clean_manifest()
    for model in ("stg_a", "int_a", "fct_a"):
        _add_parents(manifest, model, ["seed.p.lookup"])
    assert lint(manifest) == []
    _add_parents(manifest, "base_a", ["seed.p.lookup"])
    assert lint(manifest) == [
        "base_a: layering: reads lookup (seed) from the base layer; "
        "read reference seeds from staging, intermediate models or marts"
    ]


def test_a_later_layer_read_passes_only_with_its_reason():
    manifest = _clean_manifest()
    _add_parents(manifest, "int_a", ["model.p.fct_a"])
    assert len(lint(manifest)) == 1
    manifest["nodes"]["model.p.int_a"]["config"]["meta"]["later_layer_reason"] = "the store"
    assert lint(manifest) == []


def test_a_model_outside_the_layer_folders():
    manifest = _clean_manifest()
    manifest["nodes"]["model.p.int_a"]["original_file_path"] = "models/misc/int_a.sql"
    assert lint(manifest) == [
        "int_a: layering: its file is not in a layer folder; move it under "
        "models/<staging|intermediate|marts|audit|restricted|semantic>/ "
        "(staging/<source>/base/ for base)"
    ]


def test_a_model_without_a_uniqueness_test():
    manifest = _clean_manifest()
    # A test of another kind on the model does not stand for its key.
    manifest["nodes"]["test.p.unique_stg_a"]["test_metadata"]["name"] = "not_null"
    expected = [
        "stg_a: primary key: no unique or crm_unique_combination test; add one on its key, "
        "or meta primary_key_reason saying why it has none"
    ]
    assert lint(manifest) == expected
    manifest["nodes"]["model.p.stg_a"]["config"]["meta"]["primary_key_reason"] = " "
    assert lint(manifest) == expected
    manifest["nodes"]["model.p.stg_a"]["config"]["meta"]["primary_key_reason"] = "one row"
    assert lint(manifest) == []


def test_a_model_without_a_description():
    manifest = _clean_manifest()
    manifest["nodes"]["model.p.contacts"]["description"] = "  "
    assert lint(manifest) == ["contacts: description: it has none; describe the model in its YAML"]


def test_a_mart_with_too_many_parents():
    manifest = _clean_manifest()
    extra = [f"int_{i}" for i in range(6)]
    for name in extra:
        clone = copy.deepcopy(manifest["nodes"]["model.p.int_a"])
        clone.update(unique_id=f"model.p.{name}", name=name)
        manifest["nodes"][clone["unique_id"]] = clone
        manifest["nodes"][f"test.p.unique_{name}"] = _unique_test("unique", name)
        manifest["parent_map"][clone["unique_id"]] = ["model.p.stg_a"]
    # Seven parents pass; the eighth trips the rule.
    _add_parents(manifest, "fct_a", [f"model.p.{name}" for name in extra[:5]])
    assert lint(manifest) == []
    _add_parents(manifest, "fct_a", [f"model.p.{extra[5]}"])
    assert lint(manifest) == [
        "fct_a: fan-in: it reads 8 models and sources (at most 7); join them in an "
        "intermediate model, or meta many_parents_reason saying why not"
    ]
    manifest["nodes"]["model.p.fct_a"]["config"]["meta"]["many_parents_reason"] = "a star"
    assert lint(manifest) == []


def test_main_prints_each_violation_and_fails(tmp_path, capsys):
    manifest = _clean_manifest()
    manifest["nodes"]["model.p.spine"]["description"] = ""
    _add_parents(manifest, "stg_a", ["model.p.int_a"])
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(manifest))
    assert main([str(path)]) == 1
    out = capsys.readouterr()
    assert out.out.splitlines() == [
        "spine: description: it has none; describe the model in its YAML",
        "stg_a: layering: reads int_a (intermediate) from the staging layer; "
        "move the logic it needs upstream, or this model to a later layer",
    ]
    assert out.err == "dag-lint: 7 models, 2 violations\n"
