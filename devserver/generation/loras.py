"""LoRAs on a loaded pipeline: loaded once as named peft adapters, activated per run, never leaking into the next.

diffusers' LoRA API (https://huggingface.co/docs/diffusers/using-diffusers/loading_adapters#lora and
https://huggingface.co/docs/diffusers/tutorials/using_peft_for_inference): ``load_lora_weights(state_dict,
adapter_name=...)`` injects an adapter into the UNet and text encoders (no base weights are read again),
``set_adapters(names, adapter_weights=...)`` chooses the active ones and their weights, ``disable_lora()`` turns
them all off. FEASIBILITY c measured what this module relies on: weights [1, 0] equal one adapter alone, [0, 0]
and ``disable_lora()`` equal the base bit for bit, and after loading a second adapter only the last is active
until ``set_adapters`` is called.

:func:`applied_loras` activates a run's LoRAs and disables every adapter when the run ends (also on errors and
cancels), so the next run, with or without LoRAs, starts from the base. Adapters stay loaded between runs (a
switch costs a ``set_adapters`` call), at most :data:`MAX_LOADED_ADAPTERS` of them; older ones are deleted.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

MAX_LOADED_ADAPTERS = 8
"""LoRA adapters a pipeline keeps loaded between runs; beyond it the ones not needed now are deleted."""


def adapter_name(model_id: str) -> str:
    """A peft adapter name for a registry id: letters, digits and ``_`` only (module names may not hold ``.``
    or ``:``), with a short hash so that two ids never share a name."""
    slug = re.sub(r"[^A-Za-z0-9_]", "_", model_id)[:48]
    return f"lora_{slug}_{hashlib.sha1(model_id.encode('utf-8')).hexdigest()[:6]}"


def loaded_adapters(pipe: Any) -> list[str]:
    """Names of the adapters loaded into `pipe`'s components, oldest first."""
    if not hasattr(pipe, "get_list_adapters"):
        return []
    names: list[str] = []
    for adapters in pipe.get_list_adapters().values():
        names += [name for name in adapters if name not in names]
    return names


def _ensure_loaded(pipe: Any, wanted: list[tuple[str, dict[str, Any]]]) -> None:
    """Load the adapters of `wanted` ([(adapter name, state dict)]) that `pipe` does not have; make room first."""
    present = loaded_adapters(pipe)
    needed = {name for name, _ in wanted}
    missing = [(name, state) for name, state in wanted if name not in present]
    spare = [name for name in present if name not in needed]
    excess = len(present) + len(missing) - MAX_LOADED_ADAPTERS
    if excess > 0 and spare:
        pipe.delete_adapters(spare[:excess])
    for name, state in missing:
        pipe.load_lora_weights(dict(state), adapter_name=name)  # a copy: diffusers pops keys of what it gets


@contextmanager
def applied_loras(pipe: Any, loras: list[tuple[str, dict[str, Any], float]]) -> Iterator[list[str]]:
    """Activate `loras` ([(registry id, state dict, weight)]) on `pipe` for the duration; disable all after.

    `pipe` is the loaded base pipeline; pipelines derived from it with ``from_pipe`` (img2img, ControlNet) share
    its UNet and text encoders, so the adapters act on them too.

    Yields:
        the adapter names in use.
    Raises:
        whatever diffusers raises for a LoRA that does not fit the model (the caller turns it into our error).
    """
    if not loras:
        if loaded_adapters(pipe):
            pipe.disable_lora()
        yield []
        return
    names = [adapter_name(model_id) for model_id, _, _ in loras]
    _ensure_loaded(pipe, [(name, state) for name, (_, state, _) in zip(names, loras, strict=True)])
    try:
        pipe.enable_lora()
        pipe.set_adapters(names, adapter_weights=[weight for _, _, weight in loras])
        yield names
    finally:
        pipe.disable_lora()
