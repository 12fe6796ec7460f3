"""The generated JSON Schemas in schemas/json/ match the pydantic contracts."""

from __future__ import annotations

import json

from devserver.cli import export_json_schemas
from devserver.contracts import ALL_MODELS
from devserver.settings import PROJECT_ROOT


def test_generated_json_schemas_are_fresh():
    target = PROJECT_ROOT / "schemas" / "json"
    expected = export_json_schemas(target)
    stale = [p.name for p, text in expected.items() if not p.is_file() or p.read_text(encoding="utf-8") != text]
    assert not stale, f"stale JSON Schemas, run `devserver contracts export`: {stale}"
    assert sorted(p.name for p in target.glob("*.schema.json")) == sorted(p.name for p in expected)


def test_every_field_has_a_description():
    missing = []
    for model in ALL_MODELS:
        schema = model.model_json_schema(by_alias=True)
        for name, definition in [(model.__name__, schema), *schema.get("$defs", {}).items()]:
            for field, spec in definition.get("properties", {}).items():
                if "description" not in spec:
                    missing.append(f"{name}.{field}")
    assert not missing, missing


def test_responses_validate_against_their_schema_shape(client):
    """A real response carries exactly the properties its schema names (extra='forbid' on models)."""
    res = client.get("/api/schema/output-configs").get_json()
    schema = json.loads((PROJECT_ROOT / "schemas/json/OutputConfigListResponse.schema.json").read_text())
    assert set(res) == set(schema["properties"])
