"""SchemaRegistry: loading the shipped schemas/, refusing broken files with file and field, 404s for unknown ids."""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from devserver.contracts.schema_files import OutputChunk, ProcessingChunk
from devserver.errors import ConfigNotFoundError, NotFoundError, OutputConfigNotFoundError, SchemaFileError
from devserver.pipeline.loader import CHUNK_PLACEHOLDERS, DEFAULT_OUTPUT_CONFIG, STAGE3_CHUNKS, SchemaRegistry
from devserver.pipeline.placeholders import placeholders_in, render
from devserver.settings import PROJECT_ROOT

SCHEMAS_DIR = PROJECT_ROOT / "schemas"

REQUIRED_TEXT_CONFIGS = (
    "bauhaus", "dada", "surrealism", "expressionism", "pop_art", "cubism", "impressionism", "ukiyo_e",
    "renaissance", "futurism", "technical_drawing", "the_opposite", "tell_a_story", "user_defined",
)


@pytest.fixture(scope="module")
def registry() -> SchemaRegistry:
    """The shipped schemas/, loaded once for this module."""
    return SchemaRegistry.load(SCHEMAS_DIR)


@pytest.fixture
def schemas_copy(tmp_path: Path) -> Path:
    """A private copy of schemas/ that a test may corrupt."""
    return Path(shutil.copytree(SCHEMAS_DIR, tmp_path / "schemas"))


# ---------------------------------------------------------------------------- the shipped files


def test_shipped_pipelines_and_configs(registry: SchemaRegistry) -> None:
    text_configs = [c for c in registry.configs.values() if c.pipeline == "text_transformation"]
    image_configs = [c for c in registry.configs.values() if c.pipeline == "image_transformation"]
    assert len(text_configs) >= 14
    assert len(image_configs) >= 4
    assert set(REQUIRED_TEXT_CONFIGS) <= {c.id for c in text_configs}
    assert "image_transformation" in {c.id for c in image_configs}, "DESIGN.md: image mode sends this schema"
    assert registry.config("direct").pipeline == "direct"
    assert {c.category for c in image_configs} == {"image_rules"}

    text, image, direct = (registry.pipelines[n] for n in ("text_transformation", "image_transformation", "direct"))
    assert (text.chunks, text.skip_stage2, text.input_requirements.text) == (["interception"], False, True)
    assert (image.chunks, image.skip_stage2) == ([], True)
    assert (image.input_requirements.text, image.input_requirements.image, image.input_requirements.rules) == (
        False, True, True)
    assert (direct.chunks, direct.skip_stage2) == ([], True)


def test_every_reference_resolves(registry: SchemaRegistry) -> None:
    category_ids = {c.id for c in registry.categories}
    for config in registry.configs.values():
        assert registry.pipeline_for(config).name == config.pipeline
        assert config.category in category_ids, config.id
    for pipeline in registry.pipelines.values():
        assert all(isinstance(registry.processing_chunk(name), ProcessingChunk) for name in pipeline.chunks)
    for output_config in registry.output_configs.values():
        assert isinstance(registry.chunks[output_config.chunk], OutputChunk), output_config.id
    used_categories = {config.category for config in registry.configs.values()}
    assert used_categories == category_ids, "every category has configs and no config lacks a category"


def test_categories_sorted_by_order(registry: SchemaRegistry) -> None:
    orders = [category.order for category in registry.categories]
    assert orders == sorted(orders)
    assert [c.id for c in registry.categories][:3] == ["art_movements", "perspectives", "techniques"]


def test_output_configs_shipped(registry: SchemaRegistry) -> None:
    assert set(registry.output_configs) == {
        "tiny_sd", "tiny_sdxl", "sd15", "sdxl_base", "sdxl_turbo", "sd35_large",
        # issue 11: every family as a tiny build and with real weights, and dedicated inpainting models
        "tiny_sd2", "tiny_sdxl_turbo", "tiny_sd3", "tiny_sd3_no_t5", "tiny_flux", "tiny_sd_inpaint",
        "tiny_sdxl_inpaint", "sd21", "sd3_medium", "flux_schnell", "sd15_inpainting", "sdxl_inpainting"}
    default = registry.output_config(DEFAULT_OUTPUT_CONFIG)
    assert (default.model.family, default.model.builtin) == ("sd", "tiny_sd")
    assert (default.defaults.width, default.defaults.height, default.defaults.steps) == (256, 256, 12)
    turbo = registry.output_config("sdxl_turbo")
    assert turbo.defaults.cfg == 0.0 and turbo.defaults.steps <= 4
    sd35 = registry.output_config("sd35_large")
    assert (sd35.model.family, sd35.defaults.steps, sd35.defaults.cfg, sd35.prompt_max_tokens) == ("sd3", 28, 3.5, 256)


@pytest.mark.parametrize("name", ["interception", *STAGE3_CHUNKS])
def test_processing_chunks_render_with_the_allowed_placeholders(registry: SchemaRegistry, name: str) -> None:
    chunk = registry.processing_chunk(name)
    values = {placeholder: f"<{placeholder.lower()}>" for placeholder in CHUNK_PLACEHOLDERS}
    system = render(chunk.system_template, values)
    assert render(chunk.template, values) == "<input_text>"
    assert placeholders_in(chunk.system_template) <= CHUNK_PLACEHOLDERS
    if name in ("interception", "optimization"):
        assert "<context>" in system, "the config's context / the output config's instruction is the system text"
    if name == "interception":
        assert "<language_name>" in system
    if name == "safety_check":
        assert "<safety_level>" in system and "<age_range>" in system
        assert "SAFE" in system and "UNSAFE:" in system
        assert chunk.params["temperature"] == 0


def test_output_chunk_is_diffusers(registry: SchemaRegistry) -> None:
    chunk = registry.chunks["output_image_diffusers"]
    assert isinstance(chunk, OutputChunk)
    assert (chunk.backend, chunk.media_type) == ("diffusers", "image")
    with pytest.raises(KeyError, match="output_image_diffusers"):
        registry.processing_chunk("output_image_diffusers")


def test_registry_is_immutable(registry: SchemaRegistry) -> None:
    with pytest.raises(TypeError):
        registry.configs["bauhaus"] = registry.configs["dada"]  # type: ignore[index]
    with pytest.raises(TypeError):
        del registry.output_configs["tiny_sd"]  # type: ignore[attr-defined]
    with pytest.raises(dataclasses.FrozenInstanceError):
        registry.configs = {}  # type: ignore[misc]
    assert isinstance(registry.categories, tuple)
    with pytest.raises(ValidationError):
        registry.config("bauhaus").pipeline = "direct"  # type: ignore[misc]


def test_files_are_read_once_at_load(schemas_copy: Path) -> None:
    loaded = SchemaRegistry.load(schemas_copy)
    shutil.rmtree(schemas_copy)
    assert loaded.config("bauhaus").id == "bauhaus"
    assert loaded.output_config("tiny_sd").id == "tiny_sd"


# ---------------------------------------------------------------------------- unknown ids


@pytest.mark.parametrize(
    ("lookup", "error", "code"),
    [
        pytest.param(lambda r: r.config("nope"), ConfigNotFoundError, "config_not_found", id="config"),
        pytest.param(lambda r: r.config("../pipelines/direct"), ConfigNotFoundError, "config_not_found",
                     id="config_path_like"),
        pytest.param(lambda r: r.config(""), ConfigNotFoundError, "config_not_found", id="config_empty"),
        pytest.param(lambda r: r.output_config("sd99"), OutputConfigNotFoundError, "output_config_not_found",
                     id="output_config"),
        pytest.param(lambda r: r.output_config("/etc/passwd"), OutputConfigNotFoundError,
                     "output_config_not_found", id="output_config_path_like"),
    ],
)
def test_unknown_ids_are_404(registry: SchemaRegistry, lookup: Callable[[SchemaRegistry], Any],
                             error: type[NotFoundError], code: str) -> None:
    with pytest.raises(error) as raised:
        lookup(registry)
    assert (raised.value.status, raised.value.code) == (404, code)
    assert raised.value.to_dict()["error"]["code"] == code


@pytest.mark.parametrize(
    ("lookup", "requested", "suggestion"),
    [
        pytest.param(lambda r: r.config("bauhause"), "bauhause", "bauhaus", id="config"),
        pytest.param(lambda r: r.output_config("sdxl_trubo"), "sdxl_trubo", "sdxl_turbo", id="output_config"),
    ],
)
def test_not_found_names_the_id_and_suggests(registry: SchemaRegistry, lookup: Callable[[SchemaRegistry], Any],
                                             requested: str, suggestion: str) -> None:
    with pytest.raises(NotFoundError) as raised:
        lookup(registry)
    assert repr(requested) in raised.value.message
    assert f"Did you mean {suggestion!r}" in raised.value.message
    assert suggestion in raised.value.details["suggestions"]


def test_not_found_without_close_match_points_to_the_listing(registry: SchemaRegistry) -> None:
    with pytest.raises(ConfigNotFoundError) as raised:
        registry.config("x" * 500)
    assert "GET /api/schema/configs" in raised.value.message
    assert len(raised.value.message) < 200, "a long requested id is shortened in the message"
    assert raised.value.details["suggestions"] == []


# ---------------------------------------------------------------------------- broken files


def _edit(rel: str, change: Callable[[Any], None]) -> Callable[[Path], None]:
    """A corruption: load `rel` as JSON, apply `change` to it in place, write it back."""

    def apply(root: Path) -> None:
        path = root / rel
        data = json.loads(path.read_text(encoding="utf-8"))
        change(data)
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    return apply


def _write(rel: str, content: str | bytes) -> Callable[[Path], None]:
    """A corruption: replace `rel` with `content`."""

    def apply(root: Path) -> None:
        if isinstance(content, bytes):
            (root / rel).write_bytes(content)
        else:
            (root / rel).write_text(content, encoding="utf-8")

    return apply


def _remove(rel: str) -> Callable[[Path], None]:
    """A corruption: delete the file or folder `rel`."""

    def apply(root: Path) -> None:
        target = root / rel
        shutil.rmtree(target) if target.is_dir() else target.unlink()

    return apply


def _set(data: dict[str, Any], dotted: str, value: Any) -> None:
    """``_set(d, "a.b", 1)`` sets ``d["a"]["b"] = 1``."""
    *parents, last = dotted.split(".")
    for key in parents:
        data = data[key]
    data[last] = value


def _setter(rel: str, dotted: str, value: Any) -> Callable[[Path], None]:
    return _edit(rel, lambda data: _set(data, dotted, value))


BAUHAUS = "configs/interception/bauhaus.json"
SD15 = "configs/output/sd15.json"
TEXT_PIPELINE = "pipelines/text_transformation.json"


@pytest.mark.parametrize(
    ("corrupt", "path", "field", "problem"),
    [
        pytest.param(_write(BAUHAUS, '{"id": "bauhaus",\n  "name": }'), BAUHAUS, "(json)", "line 2, column 11",
                     id="invalid_json"),
        pytest.param(_write("pipelines/direct.json", '{"name": "direct", "name": "direct"}'), "pipelines/direct.json",
                     "(json)", "duplicate key 'name'", id="duplicate_json_key"),
        pytest.param(_write(BAUHAUS, b"\xff\xfe{}"), BAUHAUS, "(file)", "UTF-8", id="not_utf8"),
        pytest.param(_write(BAUHAUS, "[]"), BAUHAUS, "(root)", "valid dictionary", id="not_an_object"),
        pytest.param(_edit(BAUHAUS, lambda d: d["context"].pop("de")), BAUHAUS, "context.de", "Field required",
                     id="missing_context_de"),
        pytest.param(_edit(BAUHAUS, lambda d: (d["name"].pop("en"), d["context"].pop("de"))), BAUHAUS, "name.en",
                     "also context.de: Field required", id="several_errors_first_named"),
        pytest.param(_setter(BAUHAUS, "colour", "red"), BAUHAUS, "colour", "Extra inputs", id="unknown_field"),
        pytest.param(_setter(BAUHAUS, "display.color", "red"), BAUHAUS, "display.color", "pattern",
                     id="bad_display_colour"),
        pytest.param(_setter(BAUHAUS, "id", "bauhaus_two"), BAUHAUS, "id", "must equal the file name 'bauhaus'",
                     id="id_differs_from_file_name"),
        pytest.param(_setter(BAUHAUS, "pipeline", "nope"), BAUHAUS, "pipeline", "unknown pipeline 'nope'",
                     id="unknown_pipeline"),
        pytest.param(_setter(BAUHAUS, "category", "nope"), BAUHAUS, "category", "unknown category 'nope'",
                     id="unknown_category"),
        pytest.param(_setter(BAUHAUS, "offline_template.en", "a Bauhaus poster"), BAUHAUS, "offline_template.en",
                     "must contain {{INPUT_TEXT}}", id="offline_template_without_idea"),
        pytest.param(_setter(BAUHAUS, "offline_template.de", "{{INPUT_TEXT}} {{STYLE}}"), BAUHAUS, "offline_template",
                     "offline_template.de uses unknown placeholders: ['STYLE']", id="offline_template_placeholder"),
        pytest.param(_setter(BAUHAUS, "summary.de", "x" * 401), BAUHAUS, "summary", "at most 400",
                     id="summary_too_long"),
        pytest.param(_setter(BAUHAUS, "summary.en", " "), BAUHAUS, "summary",
                     "summary.en must be empty exactly where context.en is empty", id="summary_missing"),
        pytest.param(_setter("configs/interception/direct.json", "summary.de", "Regeln"),
                     "configs/interception/direct.json", "summary",
                     "summary.de must be empty exactly where context.de is empty", id="summary_without_context"),
        pytest.param(_edit(BAUHAUS, lambda d: d.pop("summary")), BAUHAUS, "summary", "Field required",
                     id="summary_required"),
        pytest.param(_setter(TEXT_PIPELINE, "chunks", ["nope"]), TEXT_PIPELINE, "chunks.0", "unknown chunk 'nope'",
                     id="pipeline_unknown_chunk"),
        pytest.param(_setter(TEXT_PIPELINE, "chunks", ["interception", "output_image_diffusers"]), TEXT_PIPELINE,
                     "chunks.1", "is an output chunk", id="pipeline_names_output_chunk"),
        pytest.param(_setter(TEXT_PIPELINE, "chunks", []), TEXT_PIPELINE, "chunks", "needs at least one chunk",
                     id="pipeline_without_chunks"),
        pytest.param(_setter("chunks/interception.json", "system_template", "{{CONTEXT}} {{MOOD}}"),
                     "chunks/interception.json", "system_template", "unknown placeholders ['MOOD']",
                     id="chunk_unknown_placeholder"),
        pytest.param(_edit("chunks/translation.json", lambda d: d.pop("template")), "chunks/translation.json",
                     "template", "Field required", id="chunk_missing_template"),
        pytest.param(_setter("chunks/translation.json", "type", "postprocessing"), "chunks/translation.json", "type",
                     "does not match any of the expected tags", id="chunk_unknown_type"),
        pytest.param(_setter("chunks/translation.json", "params.temperature", 3), "chunks/translation.json",
                     "params", "temperature must be within 0..2", id="chunk_temperature_out_of_range"),
        pytest.param(_remove("chunks/safety_check.json"), "chunks/safety_check.json", "(file)", "stage 3 needs",
                     id="stage3_chunk_missing"),
        pytest.param(_setter(SD15, "defaults.width", 500), SD15, "defaults.width", "multiple of 8",
                     id="width_not_multiple_of_8"),
        pytest.param(_setter(SD15, "defaults.scheduler", "Fastest"), SD15, "defaults.scheduler",
                     "unknown scheduler 'Fastest'", id="unknown_scheduler"),
        pytest.param(_setter(SD15, "chunk", "interception"), SD15, "chunk", "not an output chunk",
                     id="output_config_names_processing_chunk"),
        pytest.param(_setter(SD15, "optimization_template", "{{INPUT_TEXT}}, {{STYLE}}"), SD15,
                     "optimization_template", "unknown placeholders ['STYLE']", id="optimization_template_placeholder"),
        pytest.param(_setter(SD15, "model", {"family": "sd"}), SD15, "model", "one of builtin",
                     id="model_without_source"),
        pytest.param(_setter(SD15, "max_side_px", 256), SD15, "max_side_px", "exceed max_side_px (256)",
                     id="defaults_larger_than_limit"),
        pytest.param(_setter(SD15, "max_steps", 10), SD15, "max_steps", "exceeds max_steps (10)",
                     id="default_steps_over_limit"),
        pytest.param(_setter(SD15, "optimization_template", "a painting"), SD15, "optimization_template",
                     "must contain {{INPUT_TEXT}}", id="optimization_template_without_input"),
        pytest.param(_edit("configs/categories.json", lambda d: d["categories"].append(d["categories"][0])),
                     "configs/categories.json", "categories.5.id", "duplicate category id 'art_movements'",
                     id="duplicate_category"),
        pytest.param(_remove("configs/categories.json"), "configs/categories.json", "(file)", "missing",
                     id="categories_file_missing"),
        pytest.param(_remove("configs/output"), "configs/output", "(folder)", "missing", id="folder_missing"),
        pytest.param(_remove("configs/output/tiny_sd.json"), "configs/output/tiny_sd.json", "(file)",
                     "default output config is missing", id="default_output_config_missing"),
    ],
)
def test_broken_file_names_file_and_field(schemas_copy: Path, corrupt: Callable[[Path], None], path: str, field: str,
                                          problem: str) -> None:
    corrupt(schemas_copy)
    with pytest.raises(SchemaFileError) as raised:
        SchemaRegistry.load(schemas_copy)
    assert (raised.value.path, raised.value.field) == (path, field)
    assert problem in raised.value.problem
    assert str(raised.value).startswith(f"{path}: field '{field}': ")


def test_missing_schemas_folder(tmp_path: Path) -> None:
    with pytest.raises(SchemaFileError) as raised:
        SchemaRegistry.load(tmp_path / "nowhere")
    assert (raised.value.path, raised.value.field) == (str(tmp_path / "nowhere"), "(folder)")


def test_non_json_files_are_ignored(schemas_copy: Path) -> None:
    (schemas_copy / "configs/interception/README.md").write_text("notes for authors", encoding="utf-8")
    assert "README" not in SchemaRegistry.load(schemas_copy).configs
