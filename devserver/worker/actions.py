"""Seed 001's model actions on the model service (the same operations as ``/api/models``).

:data:`ACTIONS` is the table: action name -> request model, :class:`~devserver.models.service.ModelService` method,
whether it changes the server for everyone (admin token over HTTP), seed 001 keys that are ours under another
name, keys the seed sends that this server does not use (accepted, reported in ``warnings``), and the worker's
defaults (benchmark and optimize wait for their result, as the seed's C# callers expect one answer per request).

Keys may be snake_case or PascalCase (``ModelId``); enum values any case (``"Balanced"``).
"""

from __future__ import annotations

import typing
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from pydantic.alias_generators import to_snake

from devserver.contracts.models import (
    BenchmarkModelRequest,
    DeviceStatusRequest,
    GetModelRequest,
    GetModelStatusRequest,
    ListModelsRequest,
    LoadModelRequest,
    OptimizeModelRequest,
    SearchModelsRequest,
    UnloadModelRequest,
    UpdateModelMetadataRequest,
    ValidateModelRequest,
)

PATH_IGNORED = ("model_path is not used: models are named by model_id (a registry id or alias) and read from this "
                "worker's own models folder")
ENVELOPE_KEYS = ("action", "request_id")


@dataclass(frozen=True)
class Action:
    """One model action of the worker protocol."""

    request: type[BaseModel]
    method: str
    admin: bool
    renames: dict[str, str] = field(default_factory=dict)
    ignored: dict[str, str] = field(default_factory=dict)
    defaults: dict[str, Any] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)


_COORDINATION = "coordination_mode is accepted for seed 001 compatibility and not interpreted"
ACTIONS: dict[str, Action] = {
    "get_model_info": Action(GetModelRequest, "get_model", admin=False),
    "get_vram_model_status": Action(DeviceStatusRequest, "device_status", admin=False),
    "get_model_status": Action(GetModelStatusRequest, "get_model_status", admin=False),
    "load_model": Action(LoadModelRequest, "load_model", admin=True, ignored={
        "model_path": PATH_IGNORED,
        "model_type": "model_type is not used: the registry detects the type from the files",
        "loading_strategy": "loading_strategy is not used: precision and optimizations go in configuration",
        "cache_optimized": "cache_optimized is not used: every loaded model is in the LRU model cache",
        "coordination_mode": _COORDINATION}),
    "unload_model": Action(UnloadModelRequest, "unload_model", admin=True, renames={"force_unload": "force"}),
    "validate_model": Action(ValidateModelRequest, "validate_model", admin=False, ignored={
        "model_path": PATH_IGNORED,
        "validation_level": "validation_level is not used: every check runs (see check_memory, check_compute, "
                            "check_driver)",
        "file_validation_context": "file_validation_context is not used: the worker reads the files itself"}),
    "optimize_model": Action(OptimizeModelRequest, "optimize_model", admin=True,
                             renames={"optimization_target": "target"},
                             values={"target": {"performance": "speed"}},
                             ignored={"coordination_mode": _COORDINATION,
                                      "memory_pressure_context": "memory_pressure_context is not used: the model "
                                                                 "cache measures memory itself"},
                             defaults={"wait_for_completion": True}),
    "benchmark_model": Action(BenchmarkModelRequest, "benchmark_model", admin=True,
                              ignored={"benchmark_type": "benchmark_type is not used: a benchmark measures speed "
                                                         "and memory"},
                              defaults={"wait_for_completion": True}),
    "update_metadata": Action(UpdateModelMetadataRequest, "update_metadata", admin=True),
    "list_models": Action(ListModelsRequest, "list_models", admin=False),
    "search_models": Action(SearchModelsRequest, "search_models", admin=False),
}
"""Every model action (seed 001's eight, plus list_models, search_models and get_model_status)."""


def _canonical_literals(model: type[BaseModel], data: dict[str, Any]) -> None:
    """Enum values of `model`'s top-level Literal fields in any case -> as the model spells them."""
    for name, info in model.model_fields.items():
        value = data.get(name)
        options = [arg for arg in typing.get_args(info.annotation) if isinstance(arg, str)]
        if typing.get_origin(info.annotation) is typing.Union:
            for arg in typing.get_args(info.annotation):
                options += [a for a in typing.get_args(arg) if isinstance(a, str)]
        if isinstance(value, str):
            match = next((option for option in options if option.lower() == value.lower()), None)
            if match is not None:
                data[name] = match


def action_request(name: str, message: dict[str, Any]) -> tuple[BaseModel, list[str]]:
    """The request model of action `name` from a message, and the warnings about keys it did not use.

    Raises:
        pydantic.ValidationError: a field is missing, unknown or has a bad value.
    """
    action = ACTIONS[name]
    data: dict[str, Any] = dict(action.defaults)
    warnings: list[str] = []
    for key, value in message.items():
        snake = to_snake(key)
        if snake in ENVELOPE_KEYS:
            continue
        if snake in action.ignored:
            warnings.append(action.ignored[snake])
            continue
        snake = action.renames.get(snake, snake)
        if snake in action.values and isinstance(value, str):
            value = action.values[snake].get(value.lower(), value)
        data[snake if snake in action.request.model_fields else key] = value
    _canonical_literals(action.request, data)
    return action.request.model_validate(data), warnings


def run_action(name: str, request: BaseModel, models: Any) -> dict[str, Any]:
    """Run action `name` on the model service; its response as JSON data."""
    result = getattr(models, ACTIONS[name].method)(request)
    return result.model_dump(mode="json", by_alias=True)
