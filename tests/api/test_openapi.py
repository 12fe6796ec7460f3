"""The OpenAPI 3.1 document (issue 7): every /api route documented, served at /api/openapi.json, fresh on disk."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from devserver.api.openapi import ADMIN_SCHEME, PATH_PARAMETERS, build_openapi, documented, undocumented_routes
from devserver.cli import main
from devserver.settings import PROJECT_ROOT


def test_every_api_route_is_documented(app) -> None:
    assert undocumented_routes(app) == [], "annotate these routes with @documented(...) (devserver/api/openapi.py)"


def test_an_undocumented_route_is_found(make_app) -> None:
    app = make_app()

    @app.post("/api/v1/new-thing")
    def new_thing():  # pragma: no cover - never called
        return {}

    @app.get("/api/v1/documented-thing")
    @documented(responses={200: None})
    def documented_thing():  # pragma: no cover - never called
        return {}

    assert undocumented_routes(app) == ["POST /api/v1/new-thing"]
    assert "/api/v1/documented-thing" in build_openapi(app)["paths"]


def test_served_document_is_the_exported_one(client) -> None:
    res = client.get("/api/openapi.json")
    assert res.status_code == 200 and res.mimetype == "application/json"
    assert res.get_data(as_text=True) == (PROJECT_ROOT / "schemas" / "openapi.json").read_text(encoding="utf-8")
    spec = res.json
    assert spec["openapi"] == "3.1.0"
    execute = spec["paths"]["/api/schema/pipeline/execute"]["post"]
    assert execute["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ExecuteRequest"}
    assert set(execute["responses"]) >= {"200", "202", "403", "422", "429"}
    blocked = spec["components"]["schemas"]["BlockedResponse"]["properties"]["stage"]
    assert blocked["enum"] == [1, 3, 4]
    image = spec["paths"]["/api/media/image/{run_id}/{index}"]["get"]
    assert sorted(image["responses"]["200"]["content"]) == ["image/jpeg", "image/png", "image/webp"]  # output_format
    assert image["parameters"][0]["schema"]["pattern"].startswith("^[0-9a-f]{8}")
    events = spec["paths"]["/api/runs/{run_id}/events"]["get"]
    assert list(events["responses"]["200"]["content"]) == ["text/event-stream"]
    assert {p["name"] for p in events["parameters"]} == {"run_id", "last_event_id", "Last-Event-ID"}
    upload = spec["paths"]["/api/media/upload/image"]["post"]
    assert list(upload["requestBody"]["content"]) == ["multipart/form-data"]
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            assert operation["description"] or operation["summary"], f"{method} {path} has no description"


def test_every_component_field_has_a_description(client) -> None:
    for name, schema in client.get("/api/openapi.json").json["components"]["schemas"].items():
        for field, spec in schema.get("properties", {}).items():
            assert spec.get("description"), f"{name}.{field} has no description"


def test_export_check_finds_a_stale_document(tmp_path, monkeypatch, capsys) -> None:
    schemas = tmp_path / "schemas"
    shutil.copytree(PROJECT_ROOT / "schemas", schemas)
    monkeypatch.setenv("DEVSERVER_SCHEMAS_DIR", str(schemas))
    monkeypatch.setenv("DEVSERVER_EXPORTS_DIR", str(tmp_path / "exports"))
    assert main(["contracts", "export", "--check"]) == 0
    document = json.loads((schemas / "openapi.json").read_text())
    document["paths"].pop("/api/health")
    (schemas / "openapi.json").write_text(json.dumps(document))
    assert main(["contracts", "export", "--check"]) == 1
    assert "openapi.json" in capsys.readouterr().out
    assert main(["contracts", "export"]) == 0
    assert main(["contracts", "export", "--check"]) == 0


@pytest.mark.parametrize("asset", ["swagger-ui-bundle.js", "swagger-ui.css", "init.js"])
def test_docs_page_assets_are_served_here(client, asset: str) -> None:
    page = client.get("/api/docs")
    assert page.status_code == 200 and f"/api/docs/assets/{asset}" in page.get_data(as_text=True)
    assert "<script>" not in page.get_data(as_text=True), "no inline script: the CSP allows only 'self'"
    assert client.get(f"/api/docs/assets/{asset}").status_code == 200
    assert client.get("/api/docs/assets/../../etc/passwd").status_code == 404


def test_every_path_parameter_has_its_real_schema(client) -> None:
    """spectree only knows a path parameter's type from the Flask converter: each needs its PATH_PARAMETERS entry."""
    for path, operations in client.get("/api/openapi.json").json["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path":
                    assert parameter["name"] in PATH_PARAMETERS, f"{method} {path}: add {parameter['name']!r}"
    spec = client.get("/api/openapi.json").json
    model_id = spec["paths"]["/api/models/{model_id}"]["get"]["parameters"][0]
    assert model_id["schema"]["maxLength"] == 300 and "refresh" in model_id["description"]
    pattern = re.compile(model_id["schema"]["pattern"])
    assert pattern.match("loras:tiny-lora.safetensors") and not pattern.match("refresh")
    assert not pattern.match("stabilityai/sdxl")


def test_admin_operations_are_marked_as_such(app, client) -> None:
    """Exactly the routes behind require_admin carry the adminToken security requirement, with 401 and 403."""
    spec = client.get("/api/openapi.json").json
    assert spec["components"]["securitySchemes"][ADMIN_SCHEME]["scheme"] == "bearer"
    admin_routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api") and getattr(app.view_functions[rule.endpoint], "requires_admin", False):
            path = re.sub(r"<(?:[^<>:]+:)?([^<>:]+)>", r"{\1}", rule.rule)
            admin_routes |= {(path, m.lower()) for m in rule.methods - {"HEAD", "OPTIONS"}}
    documented_admin = {(path, method) for path, ops in spec["paths"].items() for method, op in ops.items()
                        if op.get("security") == [{ADMIN_SCHEME: []}]}
    assert documented_admin == admin_routes and len(admin_routes) == 9
    for path, method in admin_routes:
        assert {"401", "403"} <= set(spec["paths"][path][method]["responses"]), (method, path)


def test_query_lists_bodies_and_media_of_the_classroom_and_model_routes(client) -> None:
    spec = client.get("/api/openapi.json").json
    runs = {p["name"]: p for p in spec["paths"]["/api/runs"]["get"]["parameters"]}
    assert (runs["ids"]["style"], runs["ids"]["explode"], runs["ids"]["required"]) == ("form", False, True)
    assert runs["ids"]["schema"]["items"]["pattern"].startswith("^[0-9a-f]{8}")
    assert "414" in spec["paths"]["/api/runs"]["get"]["responses"], "gunicorn refuses request lines over 4094 bytes"
    search = {p["name"]: p for p in spec["paths"]["/api/models/search"]["get"]["parameters"]}
    assert search["model_types"]["explode"] is False and search["min_rating"]["schema"]["type"] == "number"
    for action in ("load", "unload", "validate", "optimize", "benchmark"):
        body = spec["paths"][f"/api/models/{{model_id}}/{action}"]["post"]["requestBody"]
        assert body["required"] is False, action
        schema = spec["components"]["schemas"][body["content"]["application/json"]["schema"]["$ref"].rsplit("/")[-1]]
        assert "model_id" not in schema["properties"], f"{action}: the URL names the model"
    load = spec["paths"]["/api/models/{model_id}/load"]["post"]["responses"]
    assert load["202"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ModelJobAccepted"}
    assert list(spec["paths"]["/api/media/thumbnail/{run_id}/{index}"]["get"]["responses"]["200"]["content"]) == [
        "image/webp"]
    for path in ("/api/media/input/{run_id}", "/api/models/{model_id}/preview"):
        assert list(spec["paths"][path]["get"]["responses"]["200"]["content"]) == ["image/png"], path
    cancel = spec["paths"]["/api/teacher/runs/{run_id}/cancel"]["post"]["responses"]
    assert {"200", "202", "401", "403", "409"} <= set(cancel)
