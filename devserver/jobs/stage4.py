"""The stage-4 job message: what the web node sends a GPU worker, and the result it sends back (Celery backend).

A message is JSON (Celery's ``json`` serializer; no pickle crosses machines) built generically from the
generation backend's dataclasses, so that fields added to
:class:`~devserver.generation.backend.GenerationRequest` (refiner, VAE, LoRAs, ControlNets with their
conditioning images, masks, post-processing, batches, ...) travel without a new format:

- a dataclass becomes an object of its fields (nested dataclasses, lists, tuples and dicts likewise);
- a PIL image, wherever it sits, becomes ``{"$png": "<base64 of a lossless PNG>"}``, so pixels arrive exactly;
- decoding follows the dataclass's type hints and refuses a field it does not know (an older worker says so
  clearly instead of silently dropping a LoRA).

Message (version :data:`MESSAGE_VERSION`)::

    {"version": 1, "run_id": "<uuid4>", "task_id": "<uuid4>",
     "model": {ModelRef fields}, "request": {GenerationRequest fields}}

Result: the :class:`~devserver.generation.backend.GenerationResult` encoded the same way. Bump the version only
for a change an older worker must not misread (a field whose meaning changes); new fields with defaults need
no bump. GPU workers get nothing else: no learner data beyond the job, no file paths (images inside).
"""

from __future__ import annotations

import base64
import dataclasses
import io
import types
import typing
from typing import Any

from PIL import Image

from devserver.errors import ApiError
from devserver.generation.backend import GenerationRequest, GenerationResult, ModelRef

MESSAGE_VERSION = 1
"""Version of the stage-4 message this code writes and the highest it reads."""


class Stage4MessageError(ApiError):
    """422: a stage-4 message this worker cannot read (newer version, unknown field, wrong shape)."""

    status = 422
    code = "stage4_message_invalid"


def encode_png(image: Image.Image) -> bytes:
    """Lossless PNG bytes of `image` (fast compression: the bytes only travel)."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def _encode(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Image.Image):
        return {"$png": base64.b64encode(encode_png(value)).decode("ascii")}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: _encode(getattr(value, field.name)) for field in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [_encode(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _encode(item) for key, item in value.items()}
    raise TypeError(f"cannot put a {type(value).__name__} into a stage-4 message")


def _decode(hint: Any, value: Any, where: str) -> Any:
    if isinstance(value, dict) and set(value) == {"$png"}:
        try:
            image = Image.open(io.BytesIO(base64.b64decode(value["$png"], validate=True)))
            image.load()
        except Exception as exc:
            raise Stage4MessageError(f"{where} is not a readable PNG image", details={"field": where}) from exc
        return image
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None:
            return None
        options = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        if isinstance(value, dict):
            classes = [arg for arg in options if dataclasses.is_dataclass(arg)]
            return _decode(classes[0] if classes else dict, value, where)
        if isinstance(value, list):
            sequences = [arg for arg in options if typing.get_origin(arg) in (list, tuple)]
            return _decode(sequences[0] if sequences else list, value, where)
        return value
    if dataclasses.is_dataclass(hint):
        if not isinstance(value, dict):
            raise Stage4MessageError(f"{where} must be an object", details={"field": where})
        hints = typing.get_type_hints(hint)
        names = {field.name for field in dataclasses.fields(hint)}
        unknown = sorted(set(value) - names)
        if unknown:
            raise Stage4MessageError(
                f"{where} has fields this worker does not know ({', '.join(unknown)}): update the GPU worker",
                details={"field": where, "unknown": unknown})
        try:
            return hint(**{key: _decode(hints[key], item, f"{where}.{key}") for key, item in value.items()})
        except TypeError as exc:  # a required field is missing
            raise Stage4MessageError(f"{where} is incomplete", details={"field": where}) from exc
    if origin in (list, tuple):
        args = typing.get_args(hint)
        item_hint = args[0] if args else Any
        items = [_decode(item_hint, item, f"{where}[{i}]") for i, item in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if origin is dict:
        args = typing.get_args(hint)
        return {key: _decode(args[1] if args else Any, item, f"{where}.{key}") for key, item in value.items()}
    return value


def encode_request(model: ModelRef, request: GenerationRequest, *, run_id: str, task_id: str) -> dict[str, Any]:
    """The JSON-ready stage-4 message for `request` on `model` (input images inside, as PNG)."""
    return {"version": MESSAGE_VERSION, "run_id": run_id, "task_id": task_id, "model": _encode(model),
            "request": _encode(request)}


def decode_request(message: Any) -> tuple[ModelRef, GenerationRequest]:
    """The model and request of a stage-4 message.

    Raises:
        Stage4MessageError (422): an unknown version, a missing or unknown field, an unreadable image.
    """
    if not isinstance(message, dict) or not isinstance(message.get("version"), int):
        raise Stage4MessageError("not a stage-4 message (no version)", details={})
    if message["version"] > MESSAGE_VERSION:
        raise Stage4MessageError(
            f"stage-4 message version {message['version']} is newer than this worker's ({MESSAGE_VERSION}): "
            "update the GPU worker", details={"version": message["version"]})
    return (_decode(ModelRef, message.get("model"), "model"),
            _decode(GenerationRequest, message.get("request"), "request"))


def encode_result(result: GenerationResult) -> dict[str, Any]:
    """The JSON-ready result (the image as PNG)."""
    return _encode(result)


def decode_result(data: Any) -> GenerationResult:
    """A result sent back by a GPU worker. Raises Stage4MessageError (422) when it cannot be read."""
    return _decode(GenerationResult, data, "result")


def without_images(request: Any) -> Any:
    """`request` with every image field set to None, also inside nested dataclasses such as a ControlNet's
    conditioning image (what the web node keeps for the provenance)."""
    changes: dict[str, Any] = {}
    for field in dataclasses.fields(request):
        value = getattr(request, field.name)
        if isinstance(value, Image.Image):
            changes[field.name] = None
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            changes[field.name] = without_images(value)
        elif isinstance(value, (list, tuple)) and any(dataclasses.is_dataclass(item) for item in value):
            changes[field.name] = type(value)(without_images(item) if dataclasses.is_dataclass(item) else item
                                              for item in value)
    return dataclasses.replace(request, **changes)
