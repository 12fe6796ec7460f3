"""A stand-in for the three torchvision names spandrel touches at import time, and a lazy ``import spandrel``.

spandrel (https://github.com/chaiNNer-org/spandrel) imports torchvision at ``import spandrel`` because two of
its architectures (LaMa: ``rotate``; RestoreFormer: ``normalize``) use it. PyPI's torchvision wheels do not
work with the pinned CPU torch here (``operator torchvision::nms does not exist``) and an unpinned install pulls
a CUDA torch (``../shared/FACTS.md``), so ``make setup`` installs spandrel and einops with ``--no-deps`` and
:func:`import_spandrel` puts a stand-in module under ``sys.modules["torchvision"]`` only for the duration of
the import. The stand-in is removed again afterwards, so transformers/diffusers keep seeing "no torchvision".
Upscaler architectures (ESRGAN, Compact, SPAN, ...) never call torchvision; LaMa's and RestoreFormer's calls
raise a clear error.
"""

from __future__ import annotations

import enum
import importlib
import sys
import threading
import types
from typing import Any

_NAMES = ("torchvision", "torchvision.transforms", "torchvision.transforms.functional")
_lock = threading.Lock()


def _unavailable(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("torchvision is not installed: this spandrel architecture (LaMa/RestoreFormer) cannot run here")


def _standin_modules() -> dict[str, types.ModuleType]:
    tv, tvt, tvf = (types.ModuleType(name) for name in _NAMES)
    tvf.InterpolationMode = enum.Enum("InterpolationMode", "NEAREST BILINEAR BICUBIC")  # type: ignore[attr-defined]
    tvf.rotate = tvf.normalize = _unavailable  # type: ignore[attr-defined]
    tv.transforms = tvt  # type: ignore[attr-defined]
    tvt.functional = tvf  # type: ignore[attr-defined]
    return dict(zip(_NAMES, (tv, tvt, tvf), strict=True))


def import_spandrel() -> types.ModuleType:
    """Import spandrel (once), with the torchvision stand-in only while it imports when torchvision is missing.

    Raises:
        ImportError: spandrel is not installed (``make setup`` installs it).
    """
    with _lock:
        if "spandrel" in sys.modules:
            return sys.modules["spandrel"]
        if importlib.util.find_spec("torchvision") is not None:
            return importlib.import_module("spandrel")
        standins = _standin_modules()
        sys.modules.update(standins)
        try:
            return importlib.import_module("spandrel")
        finally:
            for name, module in standins.items():
                if sys.modules.get(name) is module:
                    del sys.modules[name]
