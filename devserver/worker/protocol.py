"""One message of the worker protocol in, one answer out (DESIGN.md "Worker protocol"), for both transports:
``devserver worker`` (JSON lines on stdin/stdout, :mod:`devserver.worker.stdio`) and ``POST /api/v1/worker``.

What a message is, decided by :func:`classify`:

- ``{"message_type": "inference_request", ...}``: seed 000's flat form -> a generation;
- ``{"action": "generate_sdxl_enhanced", "request_data": {...}}``: seed 000's C# form -> transformed, a generation;
- ``{"action": "<model action>", ...}``: seed 001's model actions (:data:`devserver.worker.actions.ACTIONS`).

A message that cannot be read (not JSON, not an object, no known action) gets ``success: false`` with the reason;
nothing a message does can stop the worker. Admin actions are authorised by the transport (``authorize``): the
stdin worker is its caller's own process; HTTP checks the admin token (devserver.api.auth).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from devserver.contracts.worker import ActionResponse
from devserver.errors import ApiError, validation_message
from devserver.worker.actions import ACTIONS, action_request, run_action
from devserver.worker.generation import Emit, GenerationHandler

log = logging.getLogger(__name__)

GENERATE_ACTION = "generate_sdxl_enhanced"
FLAT_MESSAGE_TYPE = "inference_request"


def _get(message: dict[str, Any], key: str) -> Any:
    """A top-level key in snake_case or PascalCase (``request_id`` / ``RequestId``)."""
    if key in message:
        return message[key]
    return message.get("".join(part.capitalize() for part in key.split("_")))


def classify(message: dict[str, Any]) -> str:
    """``flat``, ``csharp``, a model action's name, or ``unknown:<why>``."""
    message_type, action = _get(message, "message_type"), _get(message, "action")
    if message_type is not None:
        return "flat" if message_type == FLAT_MESSAGE_TYPE else f"unknown:message_type {str(message_type)[:60]!r} " \
                                                                 f"is not {FLAT_MESSAGE_TYPE!r}"
    if not isinstance(action, str):
        return "unknown:a message needs an 'action' (or 'message_type': 'inference_request')"
    name = action.strip().lower()
    if name == GENERATE_ACTION:
        return "csharp"
    if name in ACTIONS:
        return name
    return f"unknown:unknown action {action[:60]!r}; known: {GENERATE_ACTION}, {', '.join(ACTIONS)}"


class WorkerProtocol:
    """Answers worker messages with an app's services (one per transport)."""

    def __init__(self, services: Any) -> None:
        self.services = services
        self.generation = GenerationHandler(services)

    def handle_line(self, line: str, *, on_progress: Emit | None = None) -> dict[str, Any]:
        """Answer one line of JSON (see :meth:`handle`)."""
        try:
            message = json.loads(line)
        except ValueError as exc:
            return failure(None, None, "invalid_json", f"the line is not valid JSON ({exc.msg} at character "
                                                        f"{exc.pos})")
        return self.handle(message, on_progress=on_progress)

    def handle(self, message: Any, *, authorize: Callable[[str], None] | None = None, client: str | None = None,
               on_progress: Emit | None = None) -> dict[str, Any]:
        """Answer one parsed message; raises only what `authorize` raises.

        Args:
            message: the parsed JSON.
            authorize: called with an admin action's name before it runs; raises to refuse (HTTP: the admin token).
            client: the caller's address.
            on_progress: receives progress lines of a generation.
        Returns:
            the answer as JSON data (EnhancedSdxlResponse for generations, else ActionResponse).
        """
        if not isinstance(message, dict):
            return failure(None, None, "bad_message", f"a message must be a JSON object, got "
                                                       f"{type(message).__name__}")
        request_id = _get(message, "request_id")
        request_id = str(request_id)[:200] if request_id is not None else None
        kind = classify(message)
        if kind.startswith("unknown:"):
            return failure(request_id, _get(message, "action"), "unknown_message", kind.removeprefix("unknown:"))
        if kind in ("flat", "csharp"):
            return self.generation.handle(message, csharp=kind == "csharp", client=client, on_progress=on_progress)
        if ACTIONS[kind].admin and authorize is not None:
            authorize(kind)  # the transport's refusal is its own answer (HTTP: 401/403)
        try:
            request, warnings = action_request(kind, message)
            data = run_action(kind, request, self.services.models)
        except ValidationError as exc:
            return failure(request_id, kind, "validation_error", validation_message(exc))
        except ApiError as exc:
            return failure(request_id, kind, exc.code, exc.message)
        except Exception:  # noqa: BLE001 - a worker answers every line and goes on
            log.exception("worker action %s failed", kind)
            return failure(request_id, kind, "internal_error", "An unexpected error occurred in the worker.")
        return ActionResponse(request_id=request_id, action=kind, success=True, status="success", data=data,
                              warnings=warnings).model_dump(mode="json")


def failure(request_id: str | None, action: Any, code: str, message: str) -> dict[str, Any]:
    """The answer to a message that failed: ``success: false`` with a snake_case code and a human sentence."""
    return ActionResponse(request_id=request_id, action=str(action)[:60] if action is not None else None,
                          success=False, status="error", error=message, error_code=code).model_dump(mode="json")
