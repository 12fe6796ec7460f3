"""Type and family detection: from ``model_index.json``/``config.json`` of a folder, or from the key names and
tensor shapes of a ``.safetensors`` header. Never from a file name, never by loading weights.

Rules and their sources:

- Pipelines: ``model_index.json`` ``_class_name`` (diffusers pipeline classes). StableDiffusion(Img2Img|Inpaint)
  Pipeline is SD 1.x or 2.x; SD 2.x UNets use ``use_linear_projection`` and 1024-wide cross-attention (OpenCLIP-H),
  its text encoder ``gelu`` and its 768 px models ``v_prediction`` (the stabilityai/stable-diffusion-2-1 configs).
  An SDXL img2img folder without ``text_encoder`` is a refiner (stabilityai/stable-diffusion-xl-refiner-1.0).
- Single-file checkpoints: diffusers' ``infer_diffusers_model_type`` (FEASIBILITY i1), whose fallback is ``v1``:
  SD 1.x only when the v1 key itself is present.
- VAEs: latent channels (4: SD 1.x/2.x/SDXL; 16: SD3/Flux) and ``scaling_factor`` (0.18215 SD 1.x/2.x,
  0.13025 SDXL, 1.5305 SD3, 0.3611 Flux: the VAE configs of those repositories); a single file without config
  cannot tell SD 1.x from SDXL (same architecture): unknown, with the candidates, unless its metadata says.
- LoRAs: kohya names (``lora_unet_*``, ``lora_te*``) or diffusers/peft names (``unet.``, ``text_encoder.``,
  ``text_encoder_2.``, ``transformer.``); SDXL by its second text encoder or SGM block names; SD 1.x vs 2.x by
  the cross-attention width (768 / 1024).
- ControlNets: ``controlnet_cond_embedding`` (diffusers) or ``control_model.`` (original) keys, or a
  ``ControlNetModel`` config; SDXL by ``add_embedding``/``addition_embed_type``.
- Upscalers: spandrel's architecture detection.

When the shapes are not those of a real model (the tiny test models), the registry matches LoRAs and
ControlNets to a registered checkpoint with the same layer widths (:func:`fits_checkpoint`).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devserver.models.files import (
    PICKLE_SUFFIXES,
    ModelFileError,
    SafetensorsHeader,
    read_header,
    read_json,
    tree_size,
    weight_files,
)

log = logging.getLogger(__name__)

SD_VAE_SCALING = {0.18215: "sd1", 0.13025: "sdxl", 1.5305: "sd3", 0.3611: "flux"}
CROSS_ATTENTION_FAMILY = {768: "sd1", 1024: "sd2", 2048: "sdxl"}
SINGLE_FILE_TYPES: dict[str, tuple[str, str]] = {
    "v1": ("checkpoint", "sd1"), "inpainting": ("checkpoint", "sd1"), "v2": ("checkpoint", "sd2"),
    "inpainting_v2": ("checkpoint", "sd2"), "xl_base": ("checkpoint", "sdxl"), "xl_inpaint": ("checkpoint", "sdxl"),
    "playground-v2-5": ("checkpoint", "sdxl"), "xl_refiner": ("refiner", "sdxl"), "sd3": ("checkpoint", "sd3"),
    "sd35_medium": ("checkpoint", "sd3"), "sd35_large": ("checkpoint", "sd3"), "flux-dev": ("checkpoint", "flux"),
    "flux-schnell": ("checkpoint", "flux"), "flux-fill": ("checkpoint", "flux"), "flux-depth": ("checkpoint", "flux"),
    "controlnet": ("controlnet", "sd1"), "controlnet_xl_small": ("controlnet", "sdxl"),
    "controlnet_xl_mid": ("controlnet", "sdxl"), "controlnet_xl_large": ("controlnet", "sdxl"),
}
"""diffusers' single-file model types -> (our type, family)."""
LOCATION_TYPES = {"vae": "vae", "loras": "lora", "controlnet": "controlnet", "upscalers": "upscaler"}
"""Sub-folders of the models folder (DESIGN.md) and the type expected there."""


@dataclass
class Component:
    """One part of a model (a diffusers component folder, or the single file)."""

    name: str
    class_name: str | None
    size_bytes: int
    parameter_bytes: int
    dtypes: dict[str, int]


@dataclass
class Detection:
    """What the files say about a model.

    Attributes:
        type / family: detected (None / "unknown" when the files do not tell).
        format: diffusers, safetensors, pth or pickle.
        compatible: families it can be used with.
        variant: finer kind (inpainting, xl_base, an upscaler architecture, ...).
        evidence: sentences naming what decided.
        problem / problem_kind: why it cannot be loaded (kind: refused, corrupt, incomplete), or None.
        fingerprint: layer widths for matching LoRAs/ControlNets to checkpoints.
        single_file_type: diffusers' name of a single-file checkpoint.
    """

    type: str | None
    family: str = "unknown"
    format: str = "safetensors"
    compatible: list[str] = field(default_factory=list)
    variant: str | None = None
    evidence: list[str] = field(default_factory=list)
    components: list[Component] = field(default_factory=list)
    size_bytes: int = 0
    parameter_bytes: int = 0
    dtypes: dict[str, int] = field(default_factory=dict)
    problem: str | None = None
    problem_kind: str | None = None
    fingerprint: dict[str, Any] = field(default_factory=dict)
    single_file_type: str | None = None
    pipeline_class: str | None = None
    scale: int | None = None


def _merge_dtypes(target: dict[str, int], more: dict[str, int]) -> None:
    for dtype, count in more.items():
        target[dtype] = target.get(dtype, 0) + count


# =========================================================================== folders


def _component(folder: Path, name: str, class_name: str | None, det: Detection) -> None:
    """Add a component folder's sizes; flag pickle-only or unreadable weights."""
    files = weight_files(folder)
    parameter_bytes, dtypes = 0, {}
    for path in files.safetensors:
        try:
            header = read_header(path)
        except ModelFileError as exc:
            det.problem, det.problem_kind = f"{name}/{path.name}: {exc.message}", "corrupt"
            continue
        parameter_bytes += header.parameter_bytes
        _merge_dtypes(dtypes, header.dtype_counts())
    if not files.safetensors and files.pickles:
        det.problem = (f"{name}/ has only pickle weights ({files.pickles[0].name}); pickle files can run code when "
                       "loaded and are never loaded: convert them to .safetensors")
        det.problem_kind = "refused"
    det.components.append(Component(name, class_name, tree_size(folder), parameter_bytes, dtypes))
    det.parameter_bytes += parameter_bytes
    _merge_dtypes(det.dtypes, dtypes)


def _unet_family(unet: dict[str, Any], evidence: list[str], text_encoder: dict[str, Any] | None = None,
                 scheduler: dict[str, Any] | None = None) -> str:
    """SD 1.x vs 2.x from UNet (and text encoder / scheduler) configs."""
    cross = unet.get("cross_attention_dim")
    if unet.get("addition_embed_type") == "text_time":
        evidence.append("UNet has addition_embed_type 'text_time' (SDXL's size/crop conditioning)")
        return "sdxl"
    sd2_signs = []
    if cross == 1024:
        sd2_signs.append("cross_attention_dim 1024 (OpenCLIP-H)")
    if unet.get("use_linear_projection"):
        sd2_signs.append("use_linear_projection true")
    if text_encoder and text_encoder.get("hidden_act") == "gelu":
        sd2_signs.append("text encoder hidden_act gelu")
    if scheduler and scheduler.get("prediction_type") == "v_prediction":
        sd2_signs.append("scheduler prediction_type v_prediction")
    if sd2_signs:
        evidence.append("SD 2.x signs: " + ", ".join(sd2_signs))
        return "sd2"
    evidence.append(f"SD 1.x layout: cross_attention_dim {cross}, no linear projection"
                    + (", text encoder quick_gelu" if text_encoder and text_encoder.get("hidden_act") == "quick_gelu"
                       else ""))
    return "sd1"


def detect_pipeline_folder(folder: Path, index: dict[str, Any]) -> Detection:
    """A diffusers pipeline folder (``model_index.json``)."""
    det = Detection(type="checkpoint", format="diffusers")
    cls = str(index.get("_class_name", ""))
    det.pipeline_class = cls
    det.evidence.append(f"model_index.json _class_name {cls}")
    components = {name: value for name, value in index.items()
                  if not name.startswith("_") and isinstance(value, list) and len(value) == 2}
    for name, (library, class_name) in components.items():
        if library is None and class_name is None:
            continue
        sub = folder / name
        if not sub.is_dir():
            det.problem, det.problem_kind = f"component folder {name}/ is missing", "incomplete"
            continue
        _component(sub, name, class_name, det)
    configs = {name: read_json(folder / name / "config.json") or {} for name in components}
    unet = configs.get("unet") or {}
    if cls.startswith("StableDiffusionXL"):
        det.family = "sdxl"
        if components.get("text_encoder", [None])[0] is None and "Img2Img" in cls:
            det.type = "refiner"
            det.evidence.append("no text_encoder: an SDXL refiner (conditioned on text_encoder_2 only)")
    elif cls.startswith("StableDiffusion3"):
        det.family = "sd3"
    elif cls.startswith(("Flux", "Chroma")):
        det.family = "flux"
    elif cls in ("StableDiffusionPipeline", "StableDiffusionImg2ImgPipeline", "StableDiffusionInpaintPipeline"):
        scheduler = read_json(folder / "scheduler" / "scheduler_config.json")
        det.family = _unet_family(unet, det.evidence, configs.get("text_encoder"), scheduler)
    else:
        det.evidence.append(f"{cls or 'an unnamed pipeline'} is not a pipeline devserver runs")
        det.type = None
    if unet.get("in_channels") == 9:
        det.variant = "inpainting"
        det.evidence.append("UNet in_channels 9: an inpainting model")
    if det.family != "unknown":
        det.compatible = [det.family]
    det.fingerprint = {"cross_attention_dim": unet.get("cross_attention_dim"),
                       "block_out_channels": list(unet.get("block_out_channels") or []),
                       "latent_channels": (configs.get("vae") or {}).get("latent_channels")}
    return det


def _vae_family(latent: int | None, scaling: float | None, det: Detection) -> None:
    if scaling is not None:
        for known, family in SD_VAE_SCALING.items():
            if abs(scaling - known) < 1e-4:
                det.family = family
                det.evidence.append(f"scaling_factor {scaling} is the {family} VAE's")
                det.compatible = ["sd1", "sd2"] if family == "sd1" else [family]
                return
    if latent == 4:
        det.compatible = ["sd1", "sd2", "sdxl"]
        det.evidence.append("4 latent channels fit SD 1.x, 2.x and SDXL alike; nothing in the file says which "
                            "(set the family in its metadata)")
    elif latent == 16:
        det.compatible = ["sd3", "flux"]
        det.evidence.append("16 latent channels fit SD3 and Flux; nothing in the file says which")


def detect_config_folder(folder: Path, config: dict[str, Any], location: str) -> Detection:
    """A model folder with ``config.json`` (a VAE or a ControlNet)."""
    cls = str(config.get("_class_name", ""))
    det = Detection(type=None, format="diffusers")
    det.evidence.append(f"config.json _class_name {cls or '(none)'}")
    _component(folder, "weights", cls or None, det)
    if cls.startswith("Autoencoder"):
        det.type = "vae"
        latent = config.get("latent_channels")
        det.evidence.append(f"latent_channels {latent}")
        _vae_family(latent, config.get("scaling_factor"), det)
        det.fingerprint = {"latent_channels": latent}
    elif cls in ("ControlNetModel", "SD3ControlNetModel", "FluxControlNetModel", "ControlNetUnionModel"):
        det.type = "controlnet"
        if cls == "SD3ControlNetModel":
            det.family = "sd3"
        elif cls == "FluxControlNetModel":
            det.family = "flux"
        elif config.get("addition_embed_type") == "text_time":
            det.family = "sdxl"
            det.evidence.append("addition_embed_type 'text_time': an SDXL ControlNet")
        else:
            cross = config.get("cross_attention_dim")
            family = CROSS_ATTENTION_FAMILY.get(cross) if isinstance(cross, int) else None
            if config.get("use_linear_projection") and family is None:
                family = "sd2"
            if family:
                det.family = family
                det.evidence.append(f"cross_attention_dim {cross}")
        det.fingerprint = {"cross_attention_dim": config.get("cross_attention_dim"),
                           "block_out_channels": list(config.get("block_out_channels") or [])}
        if det.family != "unknown":
            det.compatible = [det.family]
    else:
        det.evidence.append(f"{cls or 'this class'} is not a model type devserver uses")
    return det


# =========================================================================== single files


def _lora(header: SafetensorsHeader, det: Detection) -> None:
    keys = list(header.tensors)
    det.type = "lora"
    kohya = any(k.startswith(("lora_unet_", "lora_te")) for k in keys)
    det.variant = "kohya" if kohya else "diffusers"
    det.evidence.append(f"{'kohya-ss' if kohya else 'diffusers/peft'} LoRA key names ({len(keys)} tensors)")
    sgm_blocks = ("lora_unet_input_blocks", "lora_unet_output_blocks", "lora_unet_middle_block")
    if any(k.startswith(("lora_te2_", "text_encoder_2.")) for k in keys) or any(k.startswith(sgm_blocks) for k in keys):
        det.family = "sdxl"
        det.evidence.append("has a second text encoder / SGM block names: SDXL")
    elif any(k.startswith(("transformer.single_transformer_blocks", "lora_transformer_single")) for k in keys):
        det.family = "flux"
        det.evidence.append("single_transformer_blocks: Flux")
    elif any(".add_k_proj." in k and k.startswith("transformer.") for k in keys):
        det.family = "sd3"
        det.evidence.append("joint attention add_k_proj without single blocks: SD3")
    cross = None
    inner: set[int] = set()
    for key, info in header.tensors.items():
        down = ("lora_A" in key or "lora.down" in key or "lora_down" in key) and len(info.shape) == 2
        up = ("lora_B" in key or "lora.up" in key or "lora_up" in key) and len(info.shape) == 2
        if not key.startswith(("unet.", "lora_unet_")):
            continue
        if down and re.search(r"attn2[._]to_k", key):
            cross = info.shape[1]
        if up and re.search(r"attn1[._]to_q", key):
            inner.add(info.shape[0])
    if det.family == "unknown" and cross in CROSS_ATTENTION_FAMILY:
        det.family = CROSS_ATTENTION_FAMILY[cross]
        det.evidence.append(f"cross-attention input width {cross}")
    det.fingerprint = {"cross_attention_dim": cross, "inner_dims": sorted(inner)}
    if det.family != "unknown":
        det.compatible = [det.family]
    if "ss_base_model_version" in header.metadata:
        det.evidence.append(f"kohya metadata ss_base_model_version {header.metadata['ss_base_model_version']!r}")


def _controlnet_file(header: SafetensorsHeader, det: Detection) -> None:
    det.type = "controlnet"
    original = any(k.startswith("control_model.") for k in header.tensors)
    prefix = "control_model." if original else ""
    det.evidence.append(f"ControlNet keys ({'original control_model.' if original else 'diffusers'} names)")
    if f"{prefix}label_emb.0.0.weight" in header.tensors or "add_embedding.linear_1.weight" in header.tensors:
        det.family = "sdxl"
        det.evidence.append("size/crop embedding (add_embedding / label_emb): SDXL")
    cross = None
    for key, info in header.tensors.items():
        if re.search(r"attn2\.to_k\.weight$", key) and len(info.shape) == 2:
            cross = info.shape[1]
            break
    if det.family == "unknown" and cross in CROSS_ATTENTION_FAMILY:
        det.family = CROSS_ATTENTION_FAMILY[cross]
        det.evidence.append(f"cross-attention input width {cross}")
    channels = []
    for index in range(8):
        shape = header.shape(f"{prefix}controlnet_down_blocks.{index}.weight" if not original
                             else f"{prefix}zero_convs.{index}.0.weight")
        if shape is None:
            break
        channels.append(shape[0])
    det.fingerprint = {"cross_attention_dim": cross, "down_channels": channels}
    if det.family != "unknown":
        det.compatible = [det.family]


def _vae_file(header: SafetensorsHeader, det: Detection) -> None:
    det.type = "vae"
    shape = header.shape("quant_conv.weight") or header.shape("encoder.conv_out.weight")
    latent = shape[0] // 2 if shape else None
    ldm = "encoder.down.0.block.0.conv1.weight" in header.tensors
    det.evidence.append(f"VAE keys (encoder/decoder{', LDM names' if ldm else ''}); {latent} latent channels")
    architecture = header.metadata.get("modelspec.architecture", "")
    hints = {"stable-diffusion-xl": "sdxl", "stable-diffusion-v1": "sd1", "stable-diffusion-v2": "sd2",
             "stable-diffusion-v3": "sd3", "flux": "flux"}
    for prefix, family in hints.items():
        if architecture.startswith(prefix):
            det.family = family
            det.compatible = ["sd1", "sd2"] if family in ("sd1", "sd2") else [family]
            det.evidence.append(f"metadata modelspec.architecture {architecture!r}")
            break
    else:
        _vae_family(latent, None, det)
    det.fingerprint = {"latent_channels": latent}


def _checkpoint_file(header: SafetensorsHeader, det: Detection) -> None:
    from devserver.generation.inspect import infer_single_file_type

    shapes = {name: info.shape for name, info in header.tensors.items()}
    model_type, has_v1_key = infer_single_file_type(shapes)
    det.single_file_type = model_type
    if model_type == "v1" and not has_v1_key:
        det.type = "checkpoint"
        det.evidence.append("diffusers' detector fell back to v1, but the SD 1.x key "
                            "(output_blocks.11.0.skip_connection) is missing: not recognised")
        return
    mapped = SINGLE_FILE_TYPES.get(model_type)
    det.evidence.append(f"diffusers' single-file detector: {model_type}")
    if mapped is None:
        det.type = "checkpoint"
        det.evidence.append(f"diffusers calls it {model_type!r}, a kind devserver does not run")
        return
    det.type, det.family = mapped
    det.variant = model_type
    det.compatible = [det.family]


def detect_safetensors(path: Path, location: str) -> Detection:
    """A single ``.safetensors`` file: header checks, then classification by key names and shapes."""
    det = Detection(type=LOCATION_TYPES.get(location), format="safetensors", size_bytes=path.stat().st_size)
    try:
        header = read_header(path)
    except ModelFileError as exc:
        det.problem, det.problem_kind = exc.message, "corrupt"
        det.evidence.append(f"header check failed ({exc.reason})")
        det.components.append(Component("weights", None, det.size_bytes, 0, {}))
        return det
    det.parameter_bytes = header.parameter_bytes
    det.dtypes = header.dtype_counts()
    det.components.append(Component("weights", None, det.size_bytes, header.parameter_bytes, det.dtypes))
    keys = list(header.tensors)
    expected = det.type
    det.type = None
    if location == "upscalers":
        _upscaler(path, det)
    elif any("lora_" in k or ".lora." in k or "lora_linear_layer" in k for k in keys):
        _lora(header, det)
    elif any(k.startswith(("controlnet_cond_embedding.", "control_model.")) for k in keys):
        _controlnet_file(header, det)
    elif any(k.startswith(("model.diffusion_model.", "conditioner.", "cond_stage_model.", "double_blocks.",
                           "joint_blocks.", "first_stage_model.")) for k in keys):
        _checkpoint_file(header, det)
    elif keys and all(k.startswith(("encoder.", "decoder.", "quant_conv.", "post_quant_conv.")) for k in keys):
        _vae_file(header, det)
    else:
        det.evidence.append(f"{len(keys)} tensors with key names no detector recognises (e.g. {keys[:2]})")
    if expected is not None and det.type is not None and det.type != expected:
        det.evidence.append(f"found in the {location}/ folder, but the tensors are a {det.type}")
    elif det.type is None and expected is not None:
        det.type = expected
        det.evidence.append(f"type {expected} from its folder ({location}/); the tensors did not tell")
    return det


def _upscaler(path: Path, det: Detection) -> None:
    from devserver.generation.inspect import describe_upscaler

    try:
        description = describe_upscaler(path)
    except Exception as exc:  # noqa: BLE001 - spandrel/torch reading errors: reported, never raised
        log.warning("spandrel could not read %s: %s", path.name, exc)
        det.problem, det.problem_kind = "spandrel cannot read this file.", "corrupt"
        return
    if description is None:
        det.evidence.append("spandrel does not recognise this architecture")
        det.problem, det.problem_kind = "spandrel does not recognise this upscaler architecture.", "incomplete"
        return
    det.type = "upscaler"
    det.variant = f"{description.architecture} x{description.scale}"
    det.scale = description.scale
    det.evidence.append(f"spandrel: {description.architecture}, x{description.scale}, purpose {description.purpose}, "
                        f"{description.parameters} parameters")


def detect(path: Path, location: str) -> Detection:
    """Detect one entry of the models folder (a folder or a file).

    Args:
        path: the folder or file.
        location: ``root`` or the sub-folder it is in (``vae``, ``loras``, ``controlnet``, ``upscalers``).
    Returns:
        the detection; problems (refused pickle, corrupt header, missing component) are in ``problem``.
    """
    if path.is_dir():
        index = read_json(path / "model_index.json")
        if index is not None:
            det = detect_pipeline_folder(path, index)
        else:
            config = read_json(path / "config.json")
            if config is None:
                det = Detection(type=LOCATION_TYPES.get(location), format="diffusers")
                det.problem, det.problem_kind = "the folder has neither model_index.json nor config.json", "incomplete"
                det.evidence.append("no model_index.json or config.json")
            else:
                det = detect_config_folder(path, config, location)
        det.size_bytes = tree_size(path)
        return det
    suffix = path.suffix.lower()
    if suffix == ".safetensors":
        return detect_safetensors(path, location)
    det = Detection(type=LOCATION_TYPES.get(location), size_bytes=path.stat().st_size)
    if suffix == ".pth" and location == "upscalers":
        det.format = "pth"
        _upscaler(path, det)
        return det
    det.format = "pickle"
    det.problem_kind = "refused"
    det.problem = (f"{suffix} files are Python pickles, which can run code when loaded; devserver never loads them. "
                   "Convert it to .safetensors.")
    det.evidence.append(f"pickle format ({suffix}): not opened")
    return det


MODEL_SUFFIXES = (".safetensors", *PICKLE_SUFFIXES)


def fits_checkpoint(part: dict[str, Any], checkpoint: dict[str, Any]) -> bool:
    """Whether a LoRA's or ControlNet's layer widths fit a checkpoint's UNet (used for unusual, e.g. tiny, widths).

    Args:
        part: the part's fingerprint (cross_attention_dim, inner_dims or down_channels / block_out_channels).
        checkpoint: the checkpoint folder's fingerprint (cross_attention_dim, block_out_channels).
    """
    cross, blocks = checkpoint.get("cross_attention_dim"), set(checkpoint.get("block_out_channels") or [])
    if part.get("cross_attention_dim") is None or part.get("cross_attention_dim") != cross or not blocks:
        return False
    widths = set(part.get("inner_dims") or []) | set(part.get("down_channels") or []) | set(
        part.get("block_out_channels") or [])
    return bool(widths) and widths <= blocks
