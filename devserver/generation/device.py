"""Torch runtime choices: which device and dtype to run on, and quiet library defaults.

Imports torch/diffusers/transformers inside the functions only (see the package rule in DESIGN.md).
"""

from __future__ import annotations


def resolve_device(requested: str) -> str:
    """Resolve a device setting to a torch device name.

    Args:
        requested: ``"auto"``, ``"cpu"``, ``"cuda"`` or ``"mps"`` (Settings.device).
    Returns:
        ``requested`` unless it is ``"auto"``; then ``"cuda"`` when available, else ``"mps"``, else ``"cpu"``.
    """
    if requested != "auto":
        return requested
    import torch

    if torch.cuda.is_available():
        return "cuda"
    if torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def dtype_name(device: str) -> str:
    """Floating-point type for `device`: ``"float16"`` on a GPU (cuda, mps), ``"float32"`` on CPU.

    Half precision on GPUs is what the diffusers docs use for SD 1.5, SDXL and SD 3
    (https://huggingface.co/docs/diffusers/optimization/fp16); CPUs run float32.
    """
    return "float32" if device == "cpu" else "float16"


def prepare_libraries() -> None:
    """Silence the diffusers and transformers progress bars.

    Progress bars go to stderr on every step, load and save, which is noise in a server log.
    Pipelines still need ``pipe.set_progress_bar_config(disable=True)`` (``from_pipe`` ones too).
    """
    import diffusers.utils.logging
    import transformers.utils.logging

    diffusers.utils.logging.disable_progress_bar()
    transformers.utils.logging.disable_progress_bar()
