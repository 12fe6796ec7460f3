"""Seed 000's request transformation: the C# service's nested PascalCase ``EnhancedSDXLRequest`` -> the flat form.

:data:`FIELD_MAP` is the seed's mapping table ("Step 3.2, Mismatch 2" and "Step 3.5"), row for row, with the
enhanced fields after it; lists map item by item (:data:`LIST_MAP`). Keys are matched case-insensitively (C#
services serialise PascalCase or camelCase), ``null`` means absent, and a key that is not in the table is refused
with its path, so nothing a client sends is silently dropped, except ``Output.SavePath``, which a worker must not
follow (images stay in the run folder): it is ignored with a warning. Enum values become the flat form's lower-case
words (``"PNG"`` -> ``"png"``, ``"Upscale"`` -> ``"upscale"``) and a whole-number ``Factor`` (``2.0``) an integer.

:func:`csharp_path` maps a flat field back to the C# path, so that errors name what the client wrote.
"""

from __future__ import annotations

import uuid
from typing import Any

from devserver.errors import RequestValidationError

FIELD_MAP: tuple[tuple[str, str], ...] = (
    # seed 000's table
    ("Conditioning.Prompt", "prompt"),
    ("Model.Base", "model_name"),
    ("Conditioning.NegativePrompt", "negative_prompt"),
    ("Scheduler.Steps", "steps"),
    ("Scheduler.GuidanceScale", "guidance_scale"),
    ("Hyperparameters.Width", "width"),
    ("Hyperparameters.Height", "height"),
    ("Hyperparameters.Seed", "seed"),
    # seed 000's "Step 3.5" (enhanced parameters)
    ("Model.Refiner", "refiner_model"),
    ("Model.Vae", "vae_model"),
    ("Scheduler.Type", "scheduler_type"),
    # batch and output (the C# classes' own fields)
    ("Hyperparameters.BatchSize", "batch_size"),
    ("Output.Format", "output_format"),
    ("Output.Quality", "quality"),
)
"""C# path (under request_data) -> flat field (under data)."""
LIST_MAP: dict[str, tuple[str, dict[str, str]]] = {
    "Conditioning.LoRAs": ("loras", {"ModelPath": "model_path", "Weight": "weight"}),
    "Conditioning.ControlNets": ("controlnets", {"ModelPath": "model_path", "ConditioningImage": "conditioning_image",
                                                 "Weight": "weight", "GuidanceStart": "guidance_start",
                                                 "GuidanceEnd": "guidance_end", "Preprocessor": "preprocessor"}),
    "PostProcessing": ("post_processing", {"Type": "type", "Factor": "factor", "Model": "model"}),
}
"""C# list path -> (flat list field, item key -> flat item key)."""
IGNORED: dict[str, str] = {
    "Output.SavePath": "Output.SavePath is not used: the images are kept in the run folder (see image_path) and "
                       "returned as image_data.",
}
"""C# paths that are accepted but not used, with the warning the answer carries."""
GROUPS = ("Model", "Scheduler", "Hyperparameters", "Conditioning", "Output", "PostProcessing")
LOWER_CASE_VALUES = ("output_format", "type", "preprocessor")
"""Flat fields whose values are lower-case words (C# enums are written "PNG", "Upscale")."""


def _value(field: str, value: Any) -> Any:
    """A C# value as the flat form writes it: enum words in lower case, whole-number floats (2.0) as integers."""
    if field in LOWER_CASE_VALUES and isinstance(value, str):
        return value.lower()
    if field == "factor" and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _lookup(obj: dict[str, Any], key: str) -> tuple[str | None, Any]:
    """(the key as sent, its value) of `key` in `obj`, matched case-insensitively; (None, None) when absent."""
    for sent, value in obj.items():
        if sent.lower() == key.lower():
            return sent, value
    return None, None


def csharp_to_flat(message: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Transform a C# form message into the flat form.

    Args:
        message: ``{"action": "generate_sdxl_enhanced", "request_id"?: ..., "request_data": {...}}`` (keys of
            the envelope in snake_case or PascalCase).
    Returns:
        (the flat message ``{"message_type": "inference_request", "request_id", "data": {...}}``, warnings).
    Raises:
        RequestValidationError (422): request_data is missing or not an object, a group or list item has the wrong
            shape, or a key is not in the mapping (the message names its C# path).
    """
    _, request_id = _lookup(message, "request_id")
    if request_id is None:
        _, request_id = _lookup(message, "RequestId")
    _, source = _lookup(message, "request_data")
    if not isinstance(source, dict):
        raise RequestValidationError("request_data must be an object (the C# EnhancedSDXLRequest)",
                                     details={"field": "request_data"})
    known_paths = {path for path, _ in FIELD_MAP} | set(LIST_MAP) | set(IGNORED)
    warnings: list[str] = []
    data: dict[str, Any] = {"worker_type": "enhanced_sdxl_worker"}
    for key, value in source.items():
        group = next((g for g in GROUPS if g.lower() == key.lower()), None)
        if group is None:
            raise RequestValidationError(f"request_data.{key} is not a field of EnhancedSDXLRequest "
                                         f"(known: {', '.join(GROUPS)})", details={"field": f"request_data.{key}"})
        if value is None:
            continue
        if group in LIST_MAP:
            data.update(_list(group, value))
            continue
        if not isinstance(value, dict):
            raise RequestValidationError(f"request_data.{group} must be an object",
                                         details={"field": f"request_data.{group}"})
        for inner, inner_value in value.items():
            path = next((p for p in known_paths if p.lower() == f"{group}.{inner}".lower()), None)
            if path is None:
                raise RequestValidationError(f"request_data.{group}.{inner} is not a field of the C# request",
                                             details={"field": f"request_data.{group}.{inner}"})
            if inner_value is None:
                continue
            if path in IGNORED:
                warnings.append(IGNORED[path])
            elif path in LIST_MAP:
                data.update(_list(path, inner_value))
            else:
                field = dict(FIELD_MAP)[path]
                data[field] = _value(field, inner_value)
    flat = {"message_type": "inference_request", "request_id": str(request_id or uuid.uuid4()), "data": data}
    return flat, warnings


def _list(path: str, items: Any) -> dict[str, Any]:
    """One list of the C# request, item by item."""
    field, keys = LIST_MAP[path]
    if not isinstance(items, list):
        raise RequestValidationError(f"request_data.{path} must be a list", details={"field": f"request_data.{path}"})
    out = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise RequestValidationError(f"request_data.{path}[{index}] must be an object",
                                         details={"field": f"request_data.{path}[{index}]"})
        converted = {}
        for key, value in item.items():
            known = next((k for k in keys if k.lower() == key.lower()), None)
            if known is None:
                raise RequestValidationError(f"request_data.{path}[{index}].{key} is not a field (known: "
                                             f"{', '.join(keys)})", details={"field": f"request_data.{path}[{index}]"})
            if value is not None:
                converted[keys[known]] = _value(keys[known], value)
        out.append(converted)
    return {field: out}


def csharp_path(flat_field: str) -> str:
    """The C# path (``request_data.Hyperparameters.Width``) of a flat field (``data.width``, ``width``,
    ``loras.0.model_path``); the flat name when it has none."""
    parts = flat_field.removeprefix("data.").split(".")
    for path, field in FIELD_MAP:
        if parts[0] == field:
            return "request_data." + path
    for path, (field, keys) in LIST_MAP.items():
        if parts[0] == field:
            out = f"request_data.{path}"
            if len(parts) > 1:
                out += f"[{parts[1]}]"
            if len(parts) > 2:
                out += "." + next((k for k, v in keys.items() if v == parts[2]), parts[2])
            return out
    return flat_field
