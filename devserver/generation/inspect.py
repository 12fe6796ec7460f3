"""Model-file detectors that need torch: diffusers' single-file detector and spandrel's architecture detection.

Both read what they need without running the model: diffusers' ``infer_diffusers_model_type`` looks only at
key names and shapes, so it gets meta tensors built from the safetensors header (no weights are read,
FEASIBILITY i1); spandrel loads an upscaler's state dict (small files) onto the CPU and names its architecture.
torch, diffusers and spandrel are imported inside the functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


def infer_single_file_type(shapes: dict[str, tuple[int, ...]]) -> tuple[str, bool]:
    """diffusers' own name for a single-file checkpoint, from its key names and shapes.

    Args:
        shapes: tensor name -> shape, from the safetensors header.
    Returns:
        (model type, v1_key_present): the type is diffusers' (``v1``, ``v2``, ``xl_base``, ``xl_refiner``,
        ``inpainting``, ``sd3``, ``flux-dev``, ``controlnet``, ...). diffusers falls back to ``v1`` for files it
        does not know, so the caller must require the v1 key itself before calling a file SD 1.x.
    """
    import torch
    from diffusers.loaders.single_file_utils import CHECKPOINT_KEY_NAMES, infer_diffusers_model_type

    checkpoint = {name: torch.empty(shape, device="meta") for name, shape in shapes.items()}
    return infer_diffusers_model_type(checkpoint), CHECKPOINT_KEY_NAMES["v1"] in checkpoint


@dataclass(frozen=True)
class UpscalerDescription:
    """What spandrel recognised in an upscaler file."""

    architecture: str
    scale: int
    purpose: str
    parameters: int
    input_channels: int


def describe_upscaler(path: Path) -> UpscalerDescription | None:
    """Let spandrel detect an upscaler's architecture (``ModelLoader().load_from_file``: weights-only loading).

    Returns:
        the description, or None when spandrel does not recognise the state dict.
    Raises:
        Exception: the file cannot be read at all (the caller reports it).
    """
    from devserver.generation.torchvision_standin import import_spandrel

    spandrel = import_spandrel()
    try:
        descriptor = spandrel.ModelLoader(device="cpu").load_from_file(str(path))
    except spandrel.UnsupportedModelError:
        return None
    return UpscalerDescription(
        architecture=descriptor.architecture.name, scale=int(descriptor.scale), purpose=str(descriptor.purpose),
        parameters=sum(p.numel() for p in descriptor.model.parameters()),
        input_channels=int(descriptor.input_channels))
