"""Content of the shipped configs: offline templates carry the idea and the style, contexts are real meta-prompts,
both languages are written out, output configs fit their models."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from devserver.contracts.schema_files import InterceptionConfig, OutputConfig
from devserver.pipeline.loader import SchemaRegistry
from devserver.pipeline.placeholders import render
from devserver.settings import PROJECT_ROOT

REGISTRY = SchemaRegistry.load(PROJECT_ROOT / "schemas")
LANGUAGES = ("de", "en")
FREE_RULES = {"user_defined", "direct"}
"""Configs whose rules the learner writes (or that have none): empty context, no style of their own."""

IDEA = {"de": "ein Fuchs, der auf einem Fahrrad durch die Stadt fährt",
        "en": "a fox riding a bicycle through the city"}
CONFIGS = sorted(REGISTRY.configs.values(), key=lambda config: config.id)
STYLED = [config for config in CONFIGS if config.id not in FREE_RULES]
TEXT_CONFIGS = [config for config in CONFIGS if not REGISTRY.pipeline_for(config).skip_stage2]
IMAGE_CONFIGS = [config for config in CONFIGS if config.pipeline == "image_transformation"]
OUTPUT_CONFIGS = sorted(REGISTRY.output_configs.values(), key=lambda config: config.id)
SENTENCE_END = re.compile(r"[.!?](?=\s|$)")


def _ids(configs: list[InterceptionConfig] | list[OutputConfig]) -> list[str]:
    return [config.id for config in configs]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("config", TEXT_CONFIGS, ids=_ids(TEXT_CONFIGS))
def test_offline_template_carries_idea_and_style(config: InterceptionConfig, language: str) -> None:
    rules = "" if config.id in FREE_RULES else config.context.get(language)
    rendered = render(config.offline_template.get(language), {"INPUT_TEXT": IDEA[language], "CONTEXT": rules})
    assert IDEA[language] in rendered
    assert "{{" not in rendered and "}}" not in rendered
    if config.id in FREE_RULES:
        assert rendered.rstrip(".") == IDEA[language], "without rules the idea is used as it is"
    else:
        assert len(rendered) >= len(IDEA[language]) + 80, "the template adds concrete style words"
        assert rules not in rendered, "the offline prompt is a rewrite, not the meta-prompt pasted in"
        assert config.offline_template.de != config.offline_template.en


@pytest.mark.parametrize("language", LANGUAGES)
def test_user_defined_offline_template_uses_the_learners_rules(language: str) -> None:
    config = REGISTRY.config("user_defined")
    rules = {"de": "als Scherenschnitt in Schwarz", "en": "as a black paper cut-out"}[language]
    rendered = render(config.offline_template.get(language), {"INPUT_TEXT": IDEA[language], "CONTEXT": rules})
    assert rendered == f"{IDEA[language]}. {rules}"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("config", IMAGE_CONFIGS, ids=_ids(IMAGE_CONFIGS))
def test_image_config_offline_template_is_the_rules(config: InterceptionConfig, language: str) -> None:
    rules = config.context.get(language)
    assert render(config.offline_template.get(language), {"INPUT_TEXT": "", "CONTEXT": rules}) == rules
    assert "photo" in config.context.en.lower() and "foto" in config.context.de.lower()


@pytest.mark.parametrize("config", CONFIGS, ids=_ids(CONFIGS))
def test_context_is_a_substantive_meta_prompt(config: InterceptionConfig) -> None:
    for language in LANGUAGES:
        context = config.context.get(language)
        if config.id in FREE_RULES:
            assert context == ""
            continue
        assert len(context) >= 200, f"{language}: {len(context)} chars"
        assert len(SENTENCE_END.findall(context)) >= 4, f"{language}: a few full sentences, not keywords"
        assert "{{" not in context, "a context is inserted literally; placeholders in it would stay unresolved"


@pytest.mark.parametrize("config", CONFIGS, ids=_ids(CONFIGS))
def test_both_languages_are_written_out(config: InterceptionConfig) -> None:
    assert config.description.de != config.description.en
    if config.id not in FREE_RULES:
        assert config.context.de != config.context.en
        assert " und " in config.context.de and " the " not in config.context.de
        assert " the " in config.context.en and " und " not in config.context.en
    for text in (config.name.de, config.name.en, config.description.de, config.description.en):
        assert text.strip() == text and text, "names and descriptions are non-empty and trimmed"
    assert len(config.description.en) <= 200 and len(config.description.de) <= 200, "one or two short sentences"


@pytest.mark.parametrize("language", LANGUAGES)
def test_names_are_unique_per_language(language: str) -> None:
    counts = Counter(config.name.get(language) for config in CONFIGS)
    assert [name for name, count in counts.items() if count > 1] == []


@pytest.mark.parametrize("config", CONFIGS, ids=_ids(CONFIGS))
def test_display_hints(config: InterceptionConfig) -> None:
    assert re.fullmatch(r"#[0-9a-f]{6}", config.display.color), "lowercase #rrggbb"
    assert config.display.icon, "every config shows an icon"
    assert config.tags and all(tag == tag.lower().strip() and tag for tag in config.tags)


def test_display_order_is_unique_within_a_category() -> None:
    keys = Counter((config.category, config.display.order) for config in CONFIGS)
    assert [key for key, count in keys.items() if count > 1] == []


# ---------------------------------------------------------------------------- output configs


@pytest.mark.parametrize("output_config", OUTPUT_CONFIGS, ids=_ids(OUTPUT_CONFIGS))
def test_output_defaults_fit_the_model(output_config: OutputConfig) -> None:
    defaults = output_config.defaults
    assert defaults.width % 8 == 0 and defaults.height % 8 == 0
    assert max(defaults.width, defaults.height) <= output_config.max_side_px
    # diffusers img2img runs int(steps * strength) steps and refuses 0
    # (https://huggingface.co/docs/diffusers/using-diffusers/img2img; SDXL-Turbo card: "steps * strength >= 1")
    assert int(defaults.steps * defaults.strength) >= 1
    if output_config.model.family in ("sd", "sd2", "sdxl") or output_config.id.endswith("_no_t5"):
        assert output_config.prompt_max_tokens == 77, "CLIP text encoders read 77 tokens"
    else:
        assert output_config.prompt_max_tokens > 77, "SD3 and Flux also read prompts with T5"


@pytest.mark.parametrize("output_config", OUTPUT_CONFIGS, ids=_ids(OUTPUT_CONFIGS))
def test_optimization_instruction_and_template(output_config: OutputConfig) -> None:
    instruction = output_config.optimization_instruction
    assert instruction.de != instruction.en
    assert len(instruction.en) >= 300 and len(instruction.de) >= 300
    assert "English" in instruction.en and "Englisch" in instruction.de, "image prompts are written in English"
    assert str(output_config.prompt_max_tokens) in instruction.en
    assert str(output_config.prompt_max_tokens) in instruction.de
    rendered = render(output_config.optimization_template, {"INPUT_TEXT": IDEA["en"]})
    assert rendered.startswith(IDEA["en"])


@pytest.mark.parametrize("output_config", OUTPUT_CONFIGS, ids=_ids(OUTPUT_CONFIGS))
def test_output_model_source(output_config: OutputConfig) -> None:
    model = output_config.model
    if output_config.id == "tiny_sd":
        assert (model.builtin, model.local_dir, model.hub_id) == ("tiny_sd", None, None)
        assert "abstract" in output_config.description.en and "abstrakt" in output_config.description.de
        assert "test" in output_config.description.en.lower() and "test" in output_config.description.de.lower()
    elif output_config.id.startswith("tiny_"):  # other tiny test models: built by `devserver models build-tiny --all`
        assert model.builtin is None and model.local_dir and model.hub_id is None and "/" not in model.local_dir
        assert "abstract" in output_config.description.en and "abstrakt" in output_config.description.de
        assert "test" in output_config.description.en.lower() and "test" in output_config.description.de.lower()
    else:
        assert model.builtin is None and model.local_dir and model.hub_id
        assert "/" in model.hub_id and "/" not in model.local_dir
