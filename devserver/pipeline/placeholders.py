"""``{{PLACEHOLDER}}`` resolution for chunk and config templates.

Known placeholders: ``{{INPUT_TEXT}}`` (the learner's idea or the text being processed), ``{{CONTEXT}}``
(the config's meta-prompt in the request language, or the learner's rules), ``{{PREVIOUS_OUTPUT}}`` (the
previous chunk's output), plus custom ones a caller supplies (``LANGUAGE_NAME``, ``SAFETY_LEVEL``, ...).
"""

from __future__ import annotations

from collections.abc import Mapping

from devserver.contracts.schema_files import PLACEHOLDER_RE


class MissingPlaceholderError(KeyError):
    """A template names a placeholder no value was given for."""


def placeholders_in(template: str) -> set[str]:
    """Names of the ``{{NAME}}`` placeholders used in `template`."""
    return set(PLACEHOLDER_RE.findall(template))


def render(template: str, values: Mapping[str, str]) -> str:
    """Replace every ``{{NAME}}`` in `template` with ``values[NAME]`` in one pass.

    Values are inserted literally (a value containing ``{{X}}`` is not expanded again), so a learner's
    text can never inject a placeholder.

    Args:
        template: text with ``{{NAME}}`` placeholders (NAME: upper case, digits, underscores).
        values: placeholder name -> text.
    Returns:
        the rendered text, stripped of surrounding white space.
    Raises:
        MissingPlaceholderError: the template names a placeholder absent from `values`.
    """

    def substitute(match) -> str:  # type: ignore[no-untyped-def]
        name = match.group(1)
        if name not in values:
            raise MissingPlaceholderError(f"no value for placeholder {{{{{name}}}}}")
        return values[name]

    return PLACEHOLDER_RE.sub(substitute, template).strip()
