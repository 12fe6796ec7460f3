"""Scheduler names in requests -> diffusers scheduler classes.

A name is the diffusers class name without the ``Scheduler`` suffix (``"DDIM"`` ->
``diffusers.DDIMScheduler``), the list being ``devserver.contracts.common.SCHEDULER_NAMES``. A scheduler
is swapped by building it from the pipeline's own scheduler config, as the diffusers docs show
(https://huggingface.co/docs/diffusers/using-diffusers/schedulers): ``Cls.from_config(pipe.scheduler.config)``.
diffusers is imported only inside :func:`make_scheduler`.
"""

from __future__ import annotations

import logging

from typing import Any

from devserver.contracts.common import SCHEDULER_NAMES
from devserver.errors import RequestValidationError

_SUFFIX = "Scheduler"


log = logging.getLogger(__name__)

def validate_scheduler_name(name: str) -> str:
    """Check that `name` is one of ``SCHEDULER_NAMES`` (exact spelling); return it.

    Raises:
        RequestValidationError (422): unknown name; the message names it and lists the valid names.
    """
    if name not in SCHEDULER_NAMES:
        raise RequestValidationError(
            f"scheduler must be one of {', '.join(SCHEDULER_NAMES)}, got {name!r}",
            details={"field": "scheduler", "value": name, "allowed": list(SCHEDULER_NAMES)},
        )
    return name


def make_scheduler(name: str, config: Any) -> Any:
    """A fresh scheduler of the named class built from a pipeline's scheduler config.

    Args:
        name: request name, e.g. ``"EulerDiscrete"`` -> ``diffusers.EulerDiscreteScheduler``.
        config: the model's own ``scheduler.config`` (noise schedule: betas, timestep spacing, ...).
    Returns:
        a new scheduler instance (schedulers keep per-run state, so every run gets its own).
    Raises:
        RequestValidationError (422): unknown name (see :func:`validate_scheduler_name`), or a
            scheduler whose optional dependency is not installed (LMSDiscrete needs scipy).
    """
    import diffusers

    cls = getattr(diffusers, validate_scheduler_name(name) + _SUFFIX)
    try:
        return cls.from_config(config)
    except ImportError as exc:  # diffusers' placeholder class for a missing optional backend
        log.warning("scheduler %s cannot be built: %s", name, exc)
        raise RequestValidationError(
            f"scheduler {name} is not available on this server (an optional library is missing)",
            details={"field": "scheduler", "value": name, "exception_type": type(exc).__name__},
        ) from exc


def scheduler_name(scheduler: Any) -> str:
    """The request-style name of a scheduler instance: its class name without ``Scheduler``."""
    name = type(scheduler).__name__
    return name[: -len(_SUFFIX)] if name.endswith(_SUFFIX) else name
