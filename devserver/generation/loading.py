"""Loading every kind of model the registry knows, and applying load-time optimizations truthfully.

- pipelines: ``DiffusionPipeline.from_pretrained(folder)``, or ``<family pipeline>.from_single_file(file,
  config=<diffusers folder with the same layout>)`` (offline, FEASIBILITY b);
- VAEs: ``AutoencoderKL.from_pretrained`` / ``from_single_file(config=<VAE folder>)``;
- ControlNets: ``ControlNetModel.from_pretrained`` / a diffusers-keyed file loaded into the config of a registered
  ControlNet folder with the same tensors;
- LoRAs: the state dict (``safetensors.torch.load_file``), ready for ``pipe.load_lora_weights(state_dict)``;
- upscalers: spandrel's ``ModelLoader`` (weights-only loading).

Optimizations follow the diffusers memory/speed guides (https://huggingface.co/docs/diffusers/optimization/memory,
.../optimization/fp16) and FEASIBILITY i3: on this CPU attention slicing, VAE slicing/tiling and channels_last
apply (small effect); model CPU offload needs an accelerator (diffusers raises without one); torch.compile works
but compiles for 78-111 s per new image size; float16/bfloat16 run but ~55x slower (no native half precision).
What does not apply is reported in ``warnings`` with the reason, never silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from devserver.errors import ApiError, RequestValidationError

SINGLE_FILE_PIPELINES = {"sd1": "StableDiffusionPipeline", "sd2": "StableDiffusionPipeline",
                         "sdxl": "StableDiffusionXLPipeline", "sd3": "StableDiffusion3Pipeline", "flux": "FluxPipeline"}


class ModelLoadError(ApiError):
    """422: the model's files are there but cannot be loaded as that kind of model (corrupt, incomplete,
    unsupported); the server keeps running and nothing was cached."""

    status = 422
    code = "model_load_failed"


@dataclass(frozen=True)
class LoadSpec:
    """What to load and how the registry classified it.

    Attributes:
        key: cache key (the folder/file path or hub id).
        kind: pipeline, vae, controlnet, lora or upscaler.
        location: the folder/file path (or hub id).
        format: diffusers, safetensors, pth or hub.
        family: sd1, sd2, sdxl, sd3, flux or unknown.
        label: what to call it in messages (registry id or output config id; never a path).
        config_source: a diffusers folder whose configs a single file loads with.
        pipeline_class: diffusers pipeline class for single-file loading (default: by family).
        estimated_bytes: memory expected after loading (for eviction before the load).
    """

    key: str
    kind: str
    location: str
    format: str
    family: str
    label: str
    config_source: str | None = None
    pipeline_class: str | None = None
    estimated_bytes: int = 0


def torch_dtype(name: str) -> Any:
    """``torch.float32`` etc. for a precision name."""
    import torch

    return getattr(torch, name)


def load_object(spec: LoadSpec, *, dtype_name: str, device: str, local_files_only: bool) -> Any:
    """Load `spec` onto `device` in `dtype_name`.

    Raises:
        ModelLoadError (422): the files cannot be loaded as this kind of model (the reason in the message,
            no exception text or path).
    """
    import diffusers

    dtype = torch_dtype(dtype_name)
    cast = {} if dtype_name == "float32" else {"torch_dtype": dtype}  # float32 is the default: no cast warnings
    try:
        if spec.kind == "pipeline":
            if spec.format == "safetensors":
                if spec.config_source is None:
                    raise ModelLoadError(f"Model '{spec.label}' is a single-file checkpoint without a matching "
                                         "diffusers folder for its configs.")
                cls = getattr(diffusers, spec.pipeline_class or SINGLE_FILE_PIPELINES[spec.family])
                obj = cls.from_single_file(spec.location, config=spec.config_source, local_files_only=True, **cast)
            else:
                from pathlib import Path

                from devserver.generation.families import null_components

                # a folder saved without optional encoders (SD 3 without T5) loads only when told so
                folder = null_components(Path(spec.location)) if Path(spec.location).is_dir() else {}
                obj = diffusers.DiffusionPipeline.from_pretrained(spec.location, local_files_only=local_files_only,
                                                                  **cast, **folder)
            obj.set_progress_bar_config(disable=True)
            _check_complete(obj, spec)
            return obj.to(device)
        if spec.kind == "vae":
            if spec.format == "safetensors":
                if spec.config_source is None:
                    raise ModelLoadError(f"VAE '{spec.label}' is a single file and no registered VAE folder with "
                                         "the same latent channels provides its config.")
                obj = diffusers.AutoencoderKL.from_single_file(spec.location, config=spec.config_source, **cast)
            else:
                obj = diffusers.AutoencoderKL.from_pretrained(spec.location, **cast)
            return obj.to(device).eval()
        if spec.kind == "controlnet":
            if spec.format == "safetensors":
                if spec.config_source is None:
                    raise ModelLoadError(f"ControlNet '{spec.label}' is a single file and no registered ControlNet "
                                         "folder with the same tensors provides its config.")
                from safetensors.torch import load_file

                obj = diffusers.ControlNetModel.from_config(diffusers.ControlNetModel.load_config(spec.config_source))
                obj.load_state_dict(load_file(spec.location), strict=True)
                if cast:
                    obj = obj.to(dtype)
            else:
                obj = diffusers.ControlNetModel.from_pretrained(spec.location, **cast)
            return obj.to(device).eval()
        if spec.kind == "lora":
            from safetensors.torch import load_file

            return {k: v.to(device) for k, v in load_file(spec.location).items()}
        if spec.kind == "upscaler":
            from devserver.generation.torchvision_standin import import_spandrel

            descriptor = import_spandrel().ModelLoader(device="cpu").load_from_file(spec.location)
            return descriptor.to(device).eval()
    except ApiError:
        raise
    except Exception as exc:
        raise ModelLoadError(
            f"Model '{spec.label}' could not be loaded: its files are damaged, incomplete or not a {spec.kind} "
            "diffusers can read.", details={"model": spec.label, "exception_type": type(exc).__name__}) from exc
    raise ModelLoadError(f"Model '{spec.label}' has a type ({spec.kind}) that cannot be loaded.")


def _check_complete(pipe: Any, spec: LoadSpec) -> None:
    """Refuse a pipeline some of whose weights stayed unset (meta tensors): a single file that does not fill
    its config's model."""
    import torch

    for name, component in pipe.components.items():
        if isinstance(component, torch.nn.Module) and any(p.is_meta for p in component.parameters()):
            raise ModelLoadError(f"Model '{spec.label}': the checkpoint does not provide every weight of its "
                                 f"{name} (its layout differs from the config folder's).",
                                 details={"model": spec.label, "component": name})


# =========================================================================== optimizations


def apply_configuration(obj: Any, kind: str, config: dict[str, Any], device: str) -> tuple[list[str], list[str]]:
    """Apply a load configuration's optimizations (ModelLoadConfiguration as a dict) to a loaded object.

    Returns:
        (applied optimization names, warnings naming what was not applied and why).
    """
    memory = config.get("memory_optimization") or {}
    performance = config.get("performance_optimization") or {}
    applied: list[str] = []
    warnings: list[str] = []
    is_pipeline = kind == "pipeline"
    gpu = device.startswith("cuda")

    def needs_pipeline(name: str) -> bool:
        if not is_pipeline:
            warnings.append(f"{name} applies to pipelines only, not to a {kind}")
            return False
        return True

    if memory.get("attention_slicing") and needs_pipeline("attention_slicing"):
        obj.enable_attention_slicing()
        applied.append("attention_slicing")
    vae = getattr(obj, "vae", None) if is_pipeline else (obj if kind == "vae" else None)
    for option, method in (("vae_slicing", "enable_slicing"), ("vae_tiling", "enable_tiling")):
        if memory.get(option):
            if vae is None:
                warnings.append(f"{option} needs a VAE; this {kind} has none")
            else:
                getattr(vae, method)()
                applied.append(option)
    if memory.get("cpu_offload"):
        if not gpu or not is_pipeline:
            warnings.append("cpu_offload was not applied: enable_model_cpu_offload needs an accelerator (diffusers "
                            "raises 'requires accelerator' on a CPU-only machine)")
        else:
            obj.enable_model_cpu_offload()
            applied.append("cpu_offload")
    if memory.get("memory_fraction") is not None:
        if gpu:
            import torch

            torch.cuda.set_per_process_memory_fraction(float(memory["memory_fraction"]))
            applied.append("memory_fraction")
        else:
            warnings.append("memory_fraction applies to CUDA devices only; on CPU the cache budget "
                            "(DEVSERVER_MODEL_CACHE_BYTES) limits memory")
    if performance.get("sdpa", True) and is_pipeline and getattr(obj, "transformer", None) is not None:
        # SD 3 and Flux: their joint-attention processors (JointAttnProcessor2_0, FluxAttnProcessor) already use
        # torch's SDPA; the UNet's AttnProcessor2_0 would replace them and break the text-image attention
        warnings.append("sdpa: this model's transformer already uses its own SDPA attention processors")
    elif performance.get("sdpa", True) and is_pipeline:
        unet = getattr(obj, "unet", None)
        if unet is not None and hasattr(unet, "set_attn_processor"):
            from diffusers.models.attention_processor import AttnProcessor2_0

            if not memory.get("attention_slicing"):
                try:
                    unet.set_attn_processor(AttnProcessor2_0())
                    applied.append("sdpa")
                except Exception:  # noqa: BLE001 - transformer models have their own processors
                    warnings.append("sdpa: this model keeps its own attention processors")
            else:
                warnings.append("sdpa was not set because attention_slicing replaces the attention processors")
    if performance.get("channels_last"):
        modules = [getattr(obj, n, None) for n in ("unet", "vae")] if is_pipeline else [obj]
        modules = [m for m in modules if m is not None and hasattr(m, "to")]
        if modules and kind in ("pipeline", "vae", "controlnet"):
            import torch

            for module in modules:
                module.to(memory_format=torch.channels_last)
            applied.append("channels_last")
        else:
            warnings.append(f"channels_last does not apply to a {kind}")
    if performance.get("torch_compile"):
        if not is_pipeline or getattr(obj, "unet", None) is None:
            warnings.append("torch_compile applies to UNet pipelines only")
        else:
            import torch

            obj.unet = torch.compile(obj.unet)
            applied.append("torch_compile")
            if not gpu:
                warnings.append("torch_compile on this CPU compiles for 78-111 s on the first image of every new "
                                "size, then runs about 1.3x faster (FEASIBILITY i3)")
    if performance.get("flash_attention"):
        warnings.append("flash_attention: " + ("torch picks the flash SDPA kernel by itself where the GPU supports it"
                                               if gpu else "needs a CUDA GPU; not applied on CPU"))
    for name in ("tensorrt", "onnx"):
        if performance.get(name):
            warnings.append(f"{name} is not supported by devserver; not applied")
    return applied, warnings


def revert_optimizations(obj: Any, kind: str, applied: list[str]) -> None:
    """Undo what :func:`apply_configuration` applied (used when an optimize run is not kept)."""
    if kind != "pipeline" and kind != "vae":
        return
    vae = getattr(obj, "vae", None) if kind == "pipeline" else obj
    if "attention_slicing" in applied:
        obj.disable_attention_slicing()
    if "vae_slicing" in applied and vae is not None:
        vae.disable_slicing()
    if "vae_tiling" in applied and vae is not None:
        vae.disable_tiling()
    if "channels_last" in applied:
        import torch

        for name in ("unet", "vae"):
            module = getattr(obj, name, None) if kind == "pipeline" else obj
            if module is not None:
                module.to(memory_format=torch.contiguous_format)


def precision_for(requested: str, device: str) -> tuple[str, list[str]]:
    """The dtype name to load in, and warnings (FEASIBILITY i3: half precision on this CPU is ~55x slower).

    Raises:
        RequestValidationError (422): int8/int4 (not supported).
    """
    if requested in ("int8", "int4"):
        raise RequestValidationError(f"precision {requested} is not supported: devserver loads weights as float32, "
                                     "float16 or bfloat16 only", details={"field": "configuration.precision"})
    if requested == "auto":
        return ("float32" if device == "cpu" else "float16"), []
    if device == "cpu" and requested in ("float16", "bfloat16"):
        return requested, [f"{requested} on this CPU runs about 55x slower than float32 (no native half precision: "
                           "FEASIBILITY i3); use float32 on CPU"]
    return requested, []
