"""Identifier validation: run_id and image_id are UUID4 strings, checked before any filesystem access."""

from __future__ import annotations

import re
import uuid

from devserver.errors import InvalidIdError

_UUID4_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def new_id() -> str:
    """A fresh lowercase UUID4 string (RFC 9562 version 4), used for run_id and image_id."""
    return str(uuid.uuid4())


def is_uuid4(value: object) -> bool:
    """True when `value` is a canonical lowercase UUID4 string (36 chars, hyphenated)."""
    return isinstance(value, str) and _UUID4_RE.fullmatch(value) is not None


def validate_id(value: object, kind: str = "run_id") -> str:
    """Return `value` if it is a canonical UUID4 string, else raise.

    Args:
        value: the untrusted id (from a URL or a JSON body).
        kind: the name used in the error message ("run_id", "image_id").
    Returns:
        the same string, safe to use as a single path component.
    Raises:
        InvalidIdError (400): anything else, including traversal attempts like ``../x``.
    """
    if not is_uuid4(value):
        shown = value if isinstance(value, str) and len(value) <= 80 else type(value).__name__
        raise InvalidIdError(f"{kind} must be a UUID4 string, got {shown!r}", details={"field": kind})
    return value  # type: ignore[return-value]
