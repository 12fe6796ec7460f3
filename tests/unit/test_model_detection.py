"""Family and type detection of the model registry: tiny models as folders and single files, and headers with the
distinguishing keys of real SD 2.x, SD3, Flux, SDXL refiner, kohya LoRA and ControlNet files (never by name)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from devserver.models.detect import detect
from devserver.models.files import ModelFileError, read_header
from devserver.models.registry import ModelRegistry, model_id_for


@pytest.mark.parametrize(("relative", "location", "type_", "family", "format_"), [
    pytest.param("tiny-sd", "root", "checkpoint", "sd1", "diffusers", id="sd1_folder"),
    pytest.param("tiny-sd1.safetensors", "root", "checkpoint", "sd1", "safetensors", id="sd1_single_file"),
    pytest.param("tiny-sdxl", "root", "checkpoint", "sdxl", "diffusers", id="sdxl_folder"),
    pytest.param("tiny-sdxl.safetensors", "root", "checkpoint", "sdxl", "safetensors", id="sdxl_single_file"),
    pytest.param("vae/tiny-vae", "vae", "vae", "sd1", "diffusers", id="vae_folder"),
    pytest.param("upscalers/tiny-upscaler.safetensors", "upscalers", "upscaler", "unknown", "safetensors",
                 id="upscaler_spandrel"),
])
def test_tiny_models_are_detected(tiny_model_dir: Path, relative, location, type_, family, format_):
    det = detect(tiny_model_dir / relative, location)

    assert (det.type, det.family, det.format) == (type_, family, format_), det.evidence
    assert det.problem is None
    assert det.evidence


def test_tiny_upscaler_architecture_comes_from_spandrel(tiny_model_dir: Path):
    det = detect(tiny_model_dir / "upscalers/tiny-upscaler.safetensors", "upscalers")

    assert det.variant == "RealESRGAN Compact x2"
    assert det.scale == 2


def test_registry_matches_tiny_parts_to_the_checkpoint_they_fit(tiny_model_dir: Path):
    # a LoRA or ControlNet with tiny widths (32) is matched by its layer widths to tiny-sd (sd1), not guessed
    registry = ModelRegistry(tiny_model_dir, {})
    by_id = {r.id: r for r in registry.records()}

    for model_id in ("loras:tiny-lora.safetensors", "controlnet:tiny-controlnet",
                     "controlnet:tiny-controlnet.safetensors"):
        det = by_id[model_id].detection
        assert det.family == "sd1", (model_id, det.evidence)
        assert any("tiny-sd" in sentence for sentence in det.evidence)
    assert by_id["loras:tiny-lora.safetensors"].detection.type == "lora"
    assert by_id["controlnet:tiny-controlnet.safetensors"].detection.type == "controlnet"


def test_a_single_file_vae_without_hints_is_unknown_with_candidates(tiny_model_dir: Path):
    det = detect(tiny_model_dir / "vae/tiny-vae.safetensors", "vae")

    assert det.type == "vae"
    assert det.family == "unknown"
    assert det.compatible == ["sd1", "sd2", "sdxl"]
    assert any("set the family in its metadata" in sentence for sentence in det.evidence)


def test_a_single_file_vae_with_modelspec_metadata_is_detected(tmp_path: Path, tiny_model_dir: Path):
    from safetensors.torch import load_file

    tensors = load_file(tiny_model_dir / "vae/tiny-vae.safetensors")
    path = tmp_path / "vae.safetensors"
    save_file(tensors, path, metadata={"modelspec.architecture": "stable-diffusion-xl-v1-base/vae"})

    det = detect(path, "vae")

    assert (det.type, det.family) == ("vae", "sdxl")


def _tensors(shapes: dict[str, tuple[int, ...]]) -> dict[str, torch.Tensor]:
    return {name: torch.zeros(shape, dtype=torch.float16) for name, shape in shapes.items()}


# distinguishing keys from diffusers' CHECKPOINT_KEY_NAMES (FEASIBILITY i1); tiny tensors with the real shapes
FAKE_FILES = {
    "sd2": ({"model.diffusion_model.input_blocks.2.1.transformer_blocks.0.attn2.to_k.weight": (320, 1024),
             "model.diffusion_model.input_blocks.0.0.weight": (320, 4, 3, 3),
             "cond_stage_model.model.token_embedding.weight": (8, 4)}, "checkpoint", "sd2"),
    "sdxl_refiner": ({"conditioner.embedders.0.model.transformer.resblocks.9.mlp.c_proj.bias": (4,),
                      "model.diffusion_model.label_emb.0.0.weight": (4, 2560)}, "refiner", "sdxl"),
    "sd3": ({"model.diffusion_model.joint_blocks.0.context_block.adaLN_modulation.1.bias": (9216,),
             "model.diffusion_model.pos_embed": (1, 36864, 1)}, "checkpoint", "sd3"),
    "flux_schnell": ({"double_blocks.0.img_attn.norm.key_norm.scale": (128,), "img_in.weight": (8, 64)},
                     "checkpoint", "flux"),
    "sd1_inpainting": ({"model.diffusion_model.input_blocks.0.0.weight": (320, 9, 3, 3),
                        "cond_stage_model.transformer.text_model.embeddings.position_embedding.weight": (77, 8)},
                       "checkpoint", "sd1"),
    "kohya_sdxl_lora": ({"lora_unet_input_blocks_4_1_proj_in.lora_down.weight": (4, 640),
                         "lora_te2_text_model_encoder_layers_0_mlp_fc1.lora_down.weight": (4, 1280)}, "lora", "sdxl"),
    "kohya_sd2_lora": ({"lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn2_to_k.lora_down.weight":
                        (4, 1024)}, "lora", "sd2"),
    "diffusers_sd1_lora": ({"unet.down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.lora_A.weight": (4, 768),
                            "unet.down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.lora_B.weight": (320, 4)},
                           "lora", "sd1"),
    "flux_lora": ({"transformer.single_transformer_blocks.0.attn.to_q.lora_A.weight": (4, 64)}, "lora", "flux"),
    "sdxl_controlnet": ({"controlnet_cond_embedding.conv_in.weight": (16, 3, 3, 3),
                         "add_embedding.linear_1.weight": (8, 2816)}, "controlnet", "sdxl"),
    "unrecognised": ({"foo.weight": (2, 2)}, None, "unknown"),
    "diffusers_unet_only": ({"down_blocks.0.resnets.0.conv1.weight": (4, 4, 3, 3)}, None, "unknown"),
}


@pytest.mark.parametrize("name", list(FAKE_FILES))
def test_single_file_families_from_header_keys(tmp_path: Path, name: str):
    shapes, type_, family = FAKE_FILES[name]
    path = tmp_path / "model.safetensors"  # the name says nothing: detection reads keys and shapes
    save_file(_tensors(shapes), path)

    det = detect(path, "root")

    assert (det.type, det.family) == (type_, family), det.evidence


def test_the_v1_fallback_is_not_taken_for_sd1(tmp_path: Path):
    # diffusers' detector answers 'v1' for unknown checkpoints; without the v1 key itself the family stays unknown
    path = tmp_path / "odd.safetensors"
    save_file(_tensors({"model.diffusion_model.time_embed.0.weight": (8, 4)}), path)

    det = detect(path, "root")

    assert det.single_file_type == "v1"
    assert det.family == "unknown"
    assert any("v1 key" in s or "SD 1.x key" in s for s in det.evidence)


def test_pipeline_folders_by_class_and_configs(tmp_path: Path, tiny_model_dir: Path):
    refiner = tmp_path / "refiner"
    shutil.copytree(tiny_model_dir / "tiny-sdxl", refiner)
    index = json.loads((refiner / "model_index.json").read_text())
    index.update(_class_name="StableDiffusionXLImg2ImgPipeline", text_encoder=[None, None], tokenizer=[None, None])
    (refiner / "model_index.json").write_text(json.dumps(index))
    sd2 = tmp_path / "sd2"
    shutil.copytree(tiny_model_dir / "tiny-sd", sd2)
    unet = json.loads((sd2 / "unet/config.json").read_text())
    unet["use_linear_projection"] = True
    (sd2 / "unet/config.json").write_text(json.dumps(unet))

    assert (detect(refiner, "root").type, detect(refiner, "root").family) == ("refiner", "sdxl")
    assert (detect(sd2, "root").type, detect(sd2, "root").family) == ("checkpoint", "sd2")


@pytest.mark.parametrize(("cut", "reason"), [
    pytest.param(lambda data: data[: len(data) // 2], "truncated", id="truncated_data"),
    pytest.param(lambda data: data[:100], "truncated", id="cut_in_header"),
    pytest.param(lambda data: b"", "empty", id="empty"),
    pytest.param(lambda data: data + b"\0", "trailing_bytes", id="one_byte_appended"),
    pytest.param(lambda data: b"\x80\x04" + b"x" * 4000, "header_too_large", id="pickle_renamed"),
])
def test_damaged_safetensors_are_reported(tmp_path: Path, tiny_model_dir: Path, cut, reason):
    data = (tiny_model_dir / "loras/tiny-lora.safetensors").read_bytes()
    path = tmp_path / "damaged.safetensors"
    path.write_bytes(cut(data))

    with pytest.raises(ModelFileError) as info:
        read_header(path)
    det = detect(path, "loras")

    assert info.value.reason == reason
    assert det.problem_kind == "corrupt"
    assert det.type == "lora"  # from the folder, with the reason it cannot be used


@pytest.mark.parametrize("suffix", [".ckpt", ".bin", ".pt"])
def test_pickle_files_are_refused_unopened(tmp_path: Path, suffix: str, monkeypatch):
    path = tmp_path / f"model{suffix}"
    path.write_bytes(b"\x80\x04not really a pickle")
    monkeypatch.setattr(torch, "load", lambda *a, **k: pytest.fail("a pickle file was loaded"))

    det = detect(path, "root")

    assert det.format == "pickle"
    assert det.problem_kind == "refused"
    assert "never loads" in det.problem


@pytest.mark.parametrize(("relative", "expected"), [
    ("tiny-sd", "tiny-sd"), ("loras/tiny-lora.safetensors", "loras:tiny-lora.safetensors"),
    ("vae/Mein Modell (v2).safetensors", "vae:mein-modell-v2-.safetensors"),
])
def test_ids_come_from_the_relative_path(relative, expected):
    assert model_id_for(relative) == expected
