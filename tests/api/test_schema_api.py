"""GET /api/health and the picker endpoints."""

from __future__ import annotations


def test_health(client):
    body = client.get("/api/health").get_json()
    assert body["status"] == "success"
    assert body["device"] == "cpu" and body["safety_level"] == "youth" and body["llm_backend"] == "template"
    assert body["limits"] == {"upload_max_bytes": 10 * 1024 * 1024, "upload_max_side_px": 1024,
                              "accepted_types": ["image/png", "image/jpeg", "image/webp"]}
    assert body["version"]


def test_config_list_is_grouped_and_complete(client):
    body = client.get("/api/schema/configs").get_json()
    ids = [c["id"] for c in body["configs"]]
    text_configs = [c for c in body["configs"] if c["pipeline"] == "text_transformation"]
    assert len(text_configs) >= 14
    for required in ("bauhaus", "dada", "surrealism", "user_defined", "image_transformation", "direct"):
        assert required in ids
    categories = {c["id"] for c in body["categories"]}
    assert {c["category"] for c in body["configs"]} <= categories
    for config in body["configs"]:
        assert config["name"]["de"] and config["name"]["en"] and config["description"]["de"]
        assert "context" not in config and "offline_template" not in config


def test_config_detail_has_context_per_language(client):
    config = client.get("/api/schema/configs/bauhaus").get_json()["config"]
    assert config["id"] == "bauhaus" and config["pipeline"] == "text_transformation"
    assert len(config["context"]["de"]) > 100 and len(config["context"]["en"]) > 100
    assert config["context"]["de"] != config["context"]["en"]
    user = client.get("/api/schema/configs/user_defined").get_json()["config"]
    assert user["context"] == {"de": "", "en": ""}


def test_output_configs_report_availability(client):
    body = client.get("/api/schema/output-configs").get_json()
    assert body["default"] == "tiny_sd"
    by_id = {c["id"]: c for c in body["output_configs"]}
    assert set(by_id) >= {"tiny_sd", "sd15", "sdxl_base", "sdxl_turbo", "sd35_large"}
    assert by_id["tiny_sd"]["available"] is True and by_id["tiny_sd"]["reason"] is None
    for model in ("sd15", "sdxl_base", "sdxl_turbo", "sd35_large"):
        assert by_id[model]["available"] is False
        assert by_id[model]["reason"]
    assert by_id["tiny_sd"]["defaults"]["width"] % 8 == 0


def test_output_config_with_local_weights_becomes_available(settings_factory, tiny_model_dir, tmp_path):
    """Weights in <models>/<local_dir> make a real-model output config available, with no download."""
    import shutil

    from devserver import create_app
    from devserver.generation.backend import DiffusersBackend

    models = tmp_path / "models"
    shutil.copytree(tiny_model_dir / "tiny-sd", models / "stable-diffusion-v1-5")
    settings = settings_factory(models_dir=models)
    backend = DiffusersBackend(device="cpu", models_dir=models)
    client = create_app(settings, generation_backend=backend).test_client()
    listing = {c["id"]: c for c in client.get("/api/schema/output-configs").get_json()["output_configs"]}
    assert listing["sd15"]["available"] is True and listing["sdxl_base"]["available"] is False
    res = client.post("/api/schema/pipeline/generation", json={
        "prompt": "a red square", "output_config": "sd15", "seed": 1,
        "parameters": {"width": 64, "height": 64, "steps": 2, "scheduler": "DDIM"}})
    assert res.status_code == 200, res.get_json()
    assert res.get_json()["stages"]["stage4"]["model"].endswith("stable-diffusion-v1-5")
