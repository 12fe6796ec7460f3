"""Small shared vocabularies used by contracts, pipeline and generation (no heavy imports)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator

SafetyLevel = Literal["kids", "youth", "adult", "research"]
Language = Literal["de", "en"]
RunStatus = Literal["success", "blocked", "error", "queued", "running", "canceled"]
GenerationMode = Literal["txt2img", "img2img", "inpaint"]
ModelFamily = Literal["sd", "sdxl", "sd3", "sd2", "flux"]

SCHEDULER_NAMES: tuple[str, ...] = (
    "DDIM",
    "DDPM",
    "PNDM",
    "EulerDiscrete",
    "EulerAncestralDiscrete",
    "HeunDiscrete",
    "DPMSolverMultistep",
    "DPMSolverSinglestep",
    "KDPM2Discrete",
    "KDPM2AncestralDiscrete",
    "UniPCMultistep",
    "DEISMultistep",
    "LCM",
)
"""Scheduler names accepted in requests: the diffusers class name without the ``Scheduler`` suffix
(https://huggingface.co/docs/diffusers/api/schedulers/overview). ``FlowMatchEulerDiscrete`` is used
internally for SD 3.x and is not swappable."""



def check_scheduler_name(value: str | None) -> str | None:
    """Pydantic field check for a scheduler name: None (the model's own) or one of :data:`SCHEDULER_NAMES`.

    Raises:
        ValueError: an unknown name (pydantic turns it into a 422 naming the field).
    """
    if value is not None and value not in SCHEDULER_NAMES:
        raise ValueError(f"unknown scheduler {value!r}; valid: {', '.join(SCHEDULER_NAMES)}")
    return value


def check_multiple_of_8(value: int | None, info: Any) -> int | None:
    """Pydantic field check for an image side: None or a multiple of 8 (the VAE's downscaling factor of the
    Stable Diffusion families; the families' own stricter multiples are checked in stage 4).

    Raises:
        ValueError: not a multiple of 8 (pydantic turns it into a 422 naming the field).
    """
    if value is not None and value % 8:
        raise ValueError(f"{info.field_name} must be a multiple of 8, got {value}")
    return value


UUID4_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
"""run_id and image_id: lower-case UUID4 strings."""

SEED_MAX = 2**32 - 1
"""Largest seed: torch.Generator.manual_seed accepts 64-bit values, A1111 and most UIs use 32-bit."""

ACCEPTED_MIME_TYPES: tuple[str, ...] = ("image/png", "image/jpeg", "image/webp")
"""Upload formats accepted by POST /api/media/upload/image (checked from the bytes, not the name)."""


def _integral(value: Any) -> Any:
    """JSON Schema counts 129.0 as an integer (https://json-schema.org/draft/2020-12/json-schema-core#section-6.3):
    accept a float with no fractional part where an integer is expected; anything else goes on unchanged."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


JsonInt = Annotated[int, BeforeValidator(_integral)]
"""An integer field of a request body: a JSON integer (129 or 129.0), never a string, a boolean or 5.5; request
bodies are validated in pydantic's strict JSON mode (devserver.api._io.parse_json)."""
