"""The loaded-model cache: entries keyed by model source, LRU eviction under a byte budget, in-use counting.

Memory of an entry (FEASIBILITY i2): on CPU the bytes of its parameters and buffers (RSS right after
``from_pretrained`` is misleading because safetensors are memory-mapped; the RSS growth measured over the load is
reported beside it); on a GPU ``torch.cuda.memory_allocated`` before and after the load.

A model a running job uses (``in_use > 0``) is never evicted, and an unload of it either fails (409) or, with
``force``, asks the job to stop at its current diffusion step (:attr:`CacheEntry.interrupt`) and waits for it.
No torch import here.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from devserver.storage.recorder import utc_now

CPU_BUDGET_SHARE = 0.5
"""Default budget on CPU: this share of MemAvailable when the server starts (room left for activations: a
real SD 1.5 peaks at ~5.4 GB for 4.1 GB of weights, FEASIBILITY i2)."""
GPU_BUDGET_SHARE = 0.8
"""Default budget on a GPU: this share of the device's total memory."""


def meminfo() -> dict[str, int]:
    """``/proc/meminfo`` in bytes (MemTotal, MemAvailable, ...); {} where there is none."""
    out: dict[str, int] = {}
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                name, _, rest = line.partition(":")
                parts = rest.split()
                if parts and parts[0].isdigit():
                    out[name] = int(parts[0]) * (1024 if len(parts) > 1 and parts[1] == "kB" else 1)
    except OSError:
        pass
    return out


def rss_bytes() -> int:
    """The process's resident set size in bytes (``/proc/self/statm``), 0 where unavailable."""
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def module_bytes(obj: Any) -> int:
    """Bytes of the parameters and buffers of a pipeline (all its torch modules), a module, a state dict or a
    spandrel descriptor. Shared tensors are counted once."""
    import torch

    seen: set[int] = set()
    total = 0

    def add(tensor: Any) -> None:
        nonlocal total
        if isinstance(tensor, torch.Tensor) and not tensor.is_meta and id(tensor) not in seen:
            seen.add(id(tensor))
            total += tensor.numel() * tensor.element_size()

    modules: list[Any] = []
    if isinstance(obj, dict):
        for value in obj.values():
            add(value)
    elif isinstance(obj, torch.nn.Module):
        modules.append(obj)
    elif hasattr(obj, "components"):
        modules += [c for c in obj.components.values() if isinstance(c, torch.nn.Module)]
    elif hasattr(obj, "model") and isinstance(obj.model, torch.nn.Module):
        modules.append(obj.model)
    for module in modules:
        for tensor in module.parameters():
            add(tensor)
        for tensor in module.buffers():
            add(tensor)
    return total


@dataclass
class CacheEntry:
    """A loaded model.

    Attributes:
        key: its source (folder or file path, or hub id): the cache key.
        kind: pipeline, vae, controlnet, lora or upscaler.
        obj: the loaded object (pipeline, module, state dict, spandrel descriptor).
        memory_bytes: parameters + buffers (GPU: allocated delta).
        rss_growth_bytes: CPU RSS growth over the load.
        derived: pipelines derived from it with ``from_pipe`` (e.g. ``img2img``), sharing its modules.
        in_use: jobs using it now; interrupt: set by a forced unload (jobs stop at their next step).
        pinned: priority "high": evicted only after every other idle entry.
    """

    key: str
    kind: str
    obj: Any
    memory_bytes: int
    rss_growth_bytes: int | None
    load_time_ms: int
    label: str
    loaded_at: str = field(default_factory=utc_now)
    last_used_at: str = field(default_factory=utc_now)
    last_used: float = field(default_factory=time.monotonic)
    scheduler: Any = None
    derived: dict[str, Any] = field(default_factory=dict)
    in_use: int = 0
    interrupt: threading.Event = field(default_factory=threading.Event)
    optimizations: list[str] = field(default_factory=list)
    precision: str = "float32"
    pinned: bool = False
    load_count: int = 1
    configuration: dict[str, Any] = field(default_factory=dict)
    source_label: str = ""


class ModelCache:
    """Loaded models by key, with an LRU budget; thread-safe.

    Args:
        budget_bytes: the budget; None = measured on first use (see :data:`CPU_BUDGET_SHARE`).
        device: the torch device name (for the default budget).
    """

    def __init__(self, budget_bytes: int | None, device_name: callable) -> None:  # type: ignore[valid-type]
        self._budget = budget_bytes
        self._device_name = device_name
        self._entries: dict[str, CacheEntry] = {}
        self._loading: set[str] = set()
        self._errors: dict[str, str] = {}
        self._load_counts: dict[str, int] = {}
        self.lock = threading.Condition()

    # ----------------------------------------------------------------------------- budget
    @property
    def budget_bytes(self) -> int:
        """The budget in bytes (measured once when not configured)."""
        if self._budget is None:
            self._budget = default_budget(self._device_name())
        return self._budget

    def used_bytes(self) -> int:
        """Bytes of all loaded entries."""
        with self.lock:
            return sum(e.memory_bytes for e in self._entries.values())

    def evict_for(self, needed: int, *, keep: str | None = None) -> list[CacheEntry]:
        """Remove least recently used idle entries until `needed` more bytes fit the budget.

        Entries in use and `keep` stay; pinned entries go last. Returns the removed entries (the caller frees them).
        """
        removed: list[CacheEntry] = []
        with self.lock:
            budget = self.budget_bytes
            used = sum(e.memory_bytes for e in self._entries.values())
            candidates = sorted((e for e in self._entries.values() if e.in_use == 0 and e.key != keep),
                                key=lambda e: (e.pinned, e.last_used))
            for entry in candidates:
                if used + needed <= budget:
                    break
                del self._entries[entry.key]
                used -= entry.memory_bytes
                removed.append(entry)
        return removed

    # ----------------------------------------------------------------------------- entries
    def get(self, key: str) -> CacheEntry | None:
        """The entry of `key`, or None."""
        with self.lock:
            return self._entries.get(key)

    def entries(self) -> list[CacheEntry]:
        """All entries, most recently used first."""
        with self.lock:
            return sorted(self._entries.values(), key=lambda e: -e.last_used)

    def put(self, entry: CacheEntry) -> None:
        """Add a freshly loaded entry (counts a load of its key)."""
        with self.lock:
            self._load_counts[entry.key] = self._load_counts.get(entry.key, 0) + 1
            entry.load_count = self._load_counts[entry.key]
            self._entries[entry.key] = entry
            self._errors.pop(entry.key, None)
            self.lock.notify_all()

    def remove(self, key: str) -> CacheEntry | None:
        """Take `key` out of the cache (the caller frees it)."""
        with self.lock:
            entry = self._entries.pop(key, None)
            self.lock.notify_all()
            return entry

    def load_count(self, key: str) -> int:
        """How often `key`'s weights were read from disk."""
        with self.lock:
            return self._load_counts.get(key, 0)

    # ----------------------------------------------------------------------------- status
    @contextmanager
    def loading(self, key: str) -> Iterator[None]:
        """Mark `key` as loading for the duration (status ``loading``); a failure is remembered (``error``)."""
        with self.lock:
            self._loading.add(key)
        try:
            yield
        except Exception as exc:
            with self.lock:
                self._errors[key] = getattr(exc, "message", None) or type(exc).__name__
            raise
        finally:
            with self.lock:
                self._loading.discard(key)

    def status(self, key: str) -> str:
        """loaded, loading, error (the last load failed) or not_loaded."""
        with self.lock:
            if key in self._loading:
                return "loading"
            if key in self._entries:
                return "loaded"
            if key in self._errors:
                return "error"
            return "not_loaded"

    def last_error(self, key: str) -> str | None:
        """Why the last load of `key` failed, or None."""
        with self.lock:
            return self._errors.get(key)

    # ----------------------------------------------------------------------------- use
    def acquire(self, key: str) -> CacheEntry | None:
        """Mark `key` in use (not evictable, unload refused) and touch it; None when not loaded."""
        with self.lock:
            entry = self._entries.get(key)
            if entry is not None:
                entry.in_use += 1
                entry.last_used = time.monotonic()
                entry.last_used_at = utc_now()
            return entry

    def release(self, entry: CacheEntry) -> None:
        """End one use of `entry`."""
        with self.lock:
            entry.in_use -= 1
            self.lock.notify_all()

    def wait_idle(self, entry: CacheEntry, timeout_s: float) -> bool:
        """Block until nobody uses `entry`; False after `timeout_s` seconds."""
        with self.lock:
            return self.lock.wait_for(lambda: entry.in_use == 0, timeout=timeout_s)


def default_budget(device: str) -> int:
    """The budget when DEVSERVER_MODEL_CACHE_BYTES is unset: measured from the device's memory."""
    if device.startswith("cuda"):
        import torch

        return int(torch.cuda.mem_get_info()[1] * GPU_BUDGET_SHARE)
    available = meminfo().get("MemAvailable") or meminfo().get("MemTotal") or 8 * 1024**3
    return int(available * CPU_BUDGET_SHARE)
