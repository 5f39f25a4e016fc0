"""A lint of the dbt DAG, read from a parsed manifest: `python -m crm_value.dag_lint MANIFEST`.

dbt-project-evaluator would need a dbt package from the hub, which this project does not
install, so the few rules we want are checked here, on the manifest `dbt parse` writes:

- layering: a model reads only the layers its own layer may read (ALLOWED_PARENTS). The
  main line is source < base < staging < intermediate < marts, and nothing reads a layer
  after its own; intermediate models and marts read sources and base models only through
  staging. audit, restricted and semantic models are ends of the DAG: nothing reads them
  but their own layer. The demo's raw seeds (seeds/crm_demo/) count as sources; the other
  seeds are reference data (lookups the project maintains, such as the tier strategy),
  which staging, intermediate models and marts may read. The layer is the model's folder.
  A read the rule forbids passes only when the model's meta says why in
  `later_layer_reason`.
- primary key: every model has a uniqueness test (`unique` or `crm_unique_combination`),
  or its meta says why not in `primary_key_reason`.
- description: every model has a non-empty description.
- fan-in: a mart reads at most MAX_MART_PARENTS models, sources and seeds, or its meta
  says why in `many_parents_reason`.

Only models are judged; tests, analyses, exposures and semantic objects are not. Each
violation is one line: the model, the rule, what is wrong and what to do. The exit code
is 1 when there is any.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path, PurePosixPath

# The layer of a model is its folder under models/; a folder named base anywhere under
# models/staging/ is the base layer.
FOLDER_LAYERS = ("staging", "intermediate", "marts", "audit", "restricted", "semantic")

# The layers each layer may read. Same-layer reads are allowed except in staging, whose
# models each stand for one cleaned source.
ALLOWED_PARENTS = {
    "base": ("source", "base"),
    "staging": ("source", "base", "reference"),
    "intermediate": ("staging", "intermediate", "reference"),
    "marts": ("staging", "intermediate", "marts", "reference"),
    "audit": ("base", "staging", "audit"),
    "restricted": ("staging", "marts", "restricted"),
    "semantic": ("marts", "semantic"),
}
MAIN_LINE = ("source", "base", "staging", "intermediate", "marts")
DAG_ENDS = ("audit", "restricted", "semantic")

UNIQUENESS_TESTS = ("unique", "crm_unique_combination")
MAX_MART_PARENTS = 7


# Seeds under this folder are raw data (the demo's stand-ins for the raw files).
RAW_SEED_FOLDER = PurePosixPath("seeds/crm_demo")


def layer_of(node: dict) -> str | None:
    """The node's layer: `source` for sources and raw seeds, `reference` for the other
    seeds, else its model folder's layer."""
    if node["resource_type"] == "source":
        return "source"
    if node["resource_type"] == "seed":
        path = PurePosixPath(node.get("original_file_path", ""))
        return "source" if RAW_SEED_FOLDER in path.parents else "reference"
    parts = PurePosixPath(node.get("original_file_path", "")).parts
    if len(parts) < 3 or parts[0] != "models" or parts[1] not in FOLDER_LAYERS:
        return None
    if parts[1] == "staging" and "base" in parts[2:-1]:
        return "base"
    return parts[1]


def _meta(node: dict) -> dict:
    # dbt 1.10+ keeps meta under config; older manifests also at the top level.
    return {**node.get("meta", {}), **node.get("config", {}).get("meta", {})}


def _has_reason(node: dict, key: str) -> bool:
    reason = _meta(node).get(key)
    return isinstance(reason, str) and bool(reason.strip())


def _layering_hint(layer: str, parent_layer: str) -> str:
    if parent_layer in DAG_ENDS:
        return f"{parent_layer} models are ends of the DAG: read what it reads instead"
    if parent_layer == "reference":
        return "read reference seeds from staging, intermediate models or marts"
    if layer in ("intermediate", "marts") and parent_layer in ("source", "base"):
        return "read it through a staging model"
    if layer in MAIN_LINE and MAIN_LINE.index(parent_layer) >= MAIN_LINE.index(layer):
        return "move the logic it needs upstream, or this model to a later layer"
    return f"read {' or '.join(ALLOWED_PARENTS[layer])} models instead"


def check_layering(
    name: str, layer: str | None, parents: list[dict], excused: bool = False
) -> list[str]:
    """A line per parent the model's layer may not read (none when `excused`: its meta
    records why it reads one)."""
    if layer is None:
        return [
            f"{name}: layering: its file is not in a layer folder; "
            f"move it under models/<{'|'.join(FOLDER_LAYERS)}>/ (staging/<source>/base/ for base)"
        ]
    problems = []
    for parent in parents:
        parent_layer = layer_of(parent)
        if parent_layer is None or parent_layer in ALLOWED_PARENTS[layer] or excused:
            continue  # a parent outside every layer gets its own violation
        # A seed is named as such: its layer is source, but "seed" is what to look for.
        kind = "seed" if parent["resource_type"] == "seed" else parent_layer
        problems.append(
            f"{name}: layering: reads {parent['name']} ({kind}) from the {layer} "
            f"layer; {_layering_hint(layer, parent_layer)}"
        )
    return problems


def keyed_models(manifest: dict) -> set[str]:
    """The unique_ids of the models a uniqueness test is attached to."""
    keyed = set()
    for node in manifest["nodes"].values():
        test = node.get("test_metadata") or {}
        if node["resource_type"] == "test" and test.get("name") in UNIQUENESS_TESTS:
            keyed.add(node.get("attached_node") or "")
    return keyed


def check_model(manifest: dict, model: dict, keyed: set[str]) -> list[str]:
    """Every violation of one model, in the rules' order."""
    name, layer = model["name"], layer_of(model)
    known = {**manifest["nodes"], **manifest["sources"]}
    parents = [known[uid] for uid in manifest["parent_map"].get(model["unique_id"], [])]
    problems = check_layering(name, layer, parents, _has_reason(model, "later_layer_reason"))
    if model["unique_id"] not in keyed and not _has_reason(model, "primary_key_reason"):
        problems.append(
            f"{name}: primary key: no unique or crm_unique_combination test; add one on its "
            "key, or meta primary_key_reason saying why it has none"
        )
    if not model.get("description", "").strip():
        problems.append(f"{name}: description: it has none; describe the model in its YAML")
    fan_in = [p for p in parents if p["resource_type"] in ("model", "source", "seed")]
    if (
        layer == "marts"
        and len(fan_in) > MAX_MART_PARENTS
        and not _has_reason(model, "many_parents_reason")
    ):
        problems.append(
            f"{name}: fan-in: it reads {len(fan_in)} models and sources (at most "
            f"{MAX_MART_PARENTS}); join them in an intermediate model, or meta "
            "many_parents_reason saying why not"
        )
    return problems


def lint(manifest: dict) -> list[str]:
    """Every violation in the manifest, one line each, by model name."""
    keyed = keyed_models(manifest)
    models = [n for n in manifest["nodes"].values() if n["resource_type"] == "model"]
    problems = []
    for model in sorted(models, key=lambda m: m["name"]):
        problems.extend(check_model(manifest, model, keyed))
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m crm_value.dag_lint", description=__doc__.splitlines()[0]
    )
    parser.add_argument("manifest", type=Path, help="a manifest.json written by dbt parse")
    args = parser.parse_args(argv)
    manifest = json.loads(args.manifest.read_text(encoding="utf-8"))
    problems = lint(manifest)
    for line in problems:
        print(line)
    n_models = sum(n["resource_type"] == "model" for n in manifest["nodes"].values())
    print(f"dag-lint: {n_models} models, {len(problems)} violations", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
