"""Reading the JSON data files under ``schemas/`` into pydantic models, with errors naming file and field.

Used by the schema registry (:mod:`devserver.pipeline.loader`) and the safety filters
(:mod:`devserver.safety.filters`), so every data file fails the same way: a
:class:`~devserver.errors.SchemaFileError` with the file, the dotted field and the problem.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError

from devserver.errors import SchemaFileError

_M = TypeVar("_M")
ERRORS_LISTED = 3
"""How many further validation errors a SchemaFileError names after the first."""


def refuse_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``object_pairs_hook`` for json.loads: a key given twice is an error, not a silent override."""
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _message(error: Mapping[str, Any]) -> str:
    """A pydantic error message without pydantic's ``"Value error, "`` prefix."""
    return str(error["msg"]).removeprefix("Value error, ")


def load_json_file(path: Path, rel: str, validate: Callable[[Any], _M], *, tagged: bool = False) -> _M:
    """Parse one JSON file (duplicate keys refused) and validate it.

    Args:
        path: the file.
        rel: the path shown in errors (relative to the schemas folder, e.g. "configs/output/sd15.json").
        validate: a pydantic validation function returning the model.
        tagged: `validate` checks a discriminated union, whose error locations start with the tag.

    Raises:
        SchemaFileError: missing or unreadable file ("(file)"), bad JSON ("(json)"), or a model error
            (the first error's field; up to ERRORS_LISTED further errors are named in the problem).
    """
    # 1. read
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SchemaFileError(rel, "(file)", "the file is missing") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SchemaFileError(rel, "(file)", f"cannot be read as UTF-8 text: {exc}") from exc
    # 2. parse
    try:
        raw = json.loads(text, object_pairs_hook=refuse_duplicate_keys)
    except json.JSONDecodeError as exc:
        raise SchemaFileError(rel, "(json)", f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") \
            from exc
    except ValueError as exc:
        raise SchemaFileError(rel, "(json)", str(exc)) from exc
    # 3. validate
    try:
        return validate(raw)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        fields = [_error_field(error, tagged) for error in errors]
        problem = _message(errors[0])
        others = [f"{field}: {_message(error)}" for field, error in zip(fields[1:], errors[1:], strict=True)]
        if others:
            shown = "; ".join(others[:ERRORS_LISTED])
            more = f" (and {len(others) - ERRORS_LISTED} more)" if len(others) > ERRORS_LISTED else ""
            problem += f" [also {shown}{more}]"
        raise SchemaFileError(rel, fields[0], problem) from exc


def _error_field(error: Mapping[str, Any], tagged: bool) -> str:
    """The dotted field of one pydantic error.

    For a discriminated union (`tagged`) pydantic puts the tag first (``("processing", "template")``); it
    is dropped, and a missing or unknown tag is reported as the discriminator field ``"type"``.
    """
    loc = tuple(error["loc"])
    if tagged:
        if error["type"] in ("union_tag_not_found", "union_tag_invalid"):
            return "type"
        loc = loc[1:]
    return ".".join(str(part) for part in loc) or "(root)"
