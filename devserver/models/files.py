"""Reading model files without loading weights: the safetensors header, folder configs, sizes.

A ``.safetensors`` file is an 8-byte little-endian header length N, N bytes of JSON (tensor name -> dtype,
shape, data_offsets; optional ``__metadata__``), then the tensor data
(https://huggingface.co/docs/safetensors/index#format). The data must end exactly at the end of the file:
:func:`read_header` reports a truncated (or padded) file by comparing the declared data size with the file
size, in a few milliseconds, without torch.
"""

from __future__ import annotations

import json
import os
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DTYPE_BYTES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1,
               "F8_E4M3": 1, "F8_E5M2": 1, "U16": 2, "U32": 4, "U64": 8}
"""Bytes per element of the safetensors dtypes."""
MAX_HEADER_BYTES = 100 * 1024 * 1024
"""safetensors refuses headers above 100 MB; so do we."""
PICKLE_SUFFIXES = (".ckpt", ".bin", ".pt", ".pth", ".pkl")
"""Pickle-based formats: loading one can run code, so they are never loaded (``.pth`` only for upscalers)."""


class ModelFileError(Exception):
    """A model file cannot be read as what it claims to be.

    Attributes:
        reason: snake_case cause: ``empty``, ``header_too_small``, ``header_too_large``, ``header_not_json``,
            ``truncated``, ``trailing_bytes``, ``bad_tensor_entry``, ``unreadable``.
        message: one sentence for people (no paths).
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class TensorInfo:
    """One tensor of a safetensors header."""

    dtype: str
    shape: tuple[int, ...]
    nbytes: int


@dataclass(frozen=True)
class SafetensorsHeader:
    """The parsed header of a ``.safetensors`` file.

    Attributes:
        tensors: tensor name -> dtype, shape, byte count.
        metadata: the ``__metadata__`` strings (e.g. ``{"format": "pt"}``, kohya's ``ss_*`` keys).
        file_size: bytes on disk.
        data_bytes: bytes of tensor data the header declares.
    """

    tensors: dict[str, TensorInfo]
    metadata: dict[str, str]
    file_size: int
    data_bytes: int

    @property
    def parameter_bytes(self) -> int:
        """Sum of the tensors' bytes as stored."""
        return sum(t.nbytes for t in self.tensors.values())

    def dtype_counts(self) -> dict[str, int]:
        """Tensor count per dtype."""
        counts: dict[str, int] = {}
        for tensor in self.tensors.values():
            counts[tensor.dtype] = counts.get(tensor.dtype, 0) + 1
        return counts

    def shape(self, key: str) -> tuple[int, ...] | None:
        """The shape of tensor `key`, or None when absent."""
        info = self.tensors.get(key)
        return info.shape if info is not None else None


def read_header(path: Path) -> SafetensorsHeader:
    """Parse the header of a ``.safetensors`` file and check that the data ends exactly at the end of the file.

    Args:
        path: the file.
    Returns:
        the header.
    Raises:
        ModelFileError: empty, cut inside the header, header not JSON or too large, a bad tensor entry,
            or data that does not end at the end of the file (truncated or trailing bytes).
    """
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as fh:
            raw = fh.read(8)
            if not raw:
                raise ModelFileError("empty", "The file is empty.")
            if len(raw) < 8:
                raise ModelFileError("header_too_small", "The file is shorter than a safetensors header (8 bytes).")
            (length,) = struct.unpack("<Q", raw)
            if length > MAX_HEADER_BYTES:
                raise ModelFileError("header_too_large", "The header length is implausibly large: this is not a "
                                     "safetensors file (perhaps a renamed pickle checkpoint).")
            if 8 + length > size:
                raise ModelFileError("truncated", f"The file ends inside its header ({size} bytes, header "
                                     f"declares {length} bytes): it is truncated.")
            text = fh.read(length)
    except OSError as exc:
        raise ModelFileError("unreadable", "The file cannot be read.") from exc
    try:
        header = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError("header_not_json",
                             "The header is not valid JSON: this is not a safetensors file.") from exc
    if not isinstance(header, dict):
        raise ModelFileError("header_not_json", "The header is not a JSON object.")
    metadata = header.pop("__metadata__", None) or {}
    tensors: dict[str, TensorInfo] = {}
    data_end = 0
    for name, entry in header.items():
        try:
            dtype, shape, (start, end) = entry["dtype"], tuple(int(s) for s in entry["shape"]), entry["data_offsets"]
            count = 1
            for side in shape:
                count *= side
            nbytes = count * DTYPE_BYTES[dtype]
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFileError("bad_tensor_entry", f"Tensor {name[:80]!r} has a malformed header entry.") from exc
        if end - start != nbytes or start < 0:
            raise ModelFileError("bad_tensor_entry", f"Tensor {name[:80]!r} declares {end - start} bytes for "
                                 f"{nbytes} bytes of data.")
        tensors[name] = TensorInfo(dtype, shape, nbytes)
        data_end = max(data_end, end)
    expected = 8 + length + data_end
    if expected > size:
        raise ModelFileError("truncated", f"The file is truncated: the header declares {expected} bytes, the file "
                             f"has {size}.")
    if expected < size:
        raise ModelFileError("trailing_bytes", f"The file has {size - expected} bytes after the declared data "
                             "(damaged or not a safetensors file).")
    return SafetensorsHeader(tensors=tensors, metadata={str(k): str(v) for k, v in metadata.items()},
                             file_size=size, data_bytes=data_end)


def library_check(path: Path) -> str | None:
    """Second opinion from the safetensors library itself (``safe_open`` reads and checks the header).

    Returns:
        None when it opens the file, else the library's message (safe to show: it names no path).
    """
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="numpy") as handle:
            handle.keys()
    except Exception as exc:  # noqa: BLE001 - SafetensorError is raised from Rust with a plain message
        return str(exc).split("\n")[0][:200]
    return None


def read_json(path: Path) -> dict[str, Any] | None:
    """A JSON object from `path`, or None when missing or not a JSON object."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


def tree_size(path: Path) -> int:
    """Bytes of all files under a folder (or of a file)."""
    if path.is_file():
        return path.stat().st_size
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.path.getsize(os.path.join(root, name))
            except OSError:
                pass
    return total


@dataclass
class WeightFiles:
    """The weight files of one folder (a diffusers component or a VAE/ControlNet folder)."""

    safetensors: list[Path] = field(default_factory=list)
    pickles: list[Path] = field(default_factory=list)


def weight_files(folder: Path) -> WeightFiles:
    """Weight files directly in `folder`: ``*.safetensors`` and pickle files (``*.bin``, ``*.ckpt``, ...)."""
    found = WeightFiles()
    if not folder.is_dir():
        return found
    for child in sorted(folder.iterdir()):
        if child.is_file() and child.suffix == ".safetensors":
            found.safetensors.append(child)
        elif child.is_file() and child.suffix in PICKLE_SUFFIXES:
            found.pickles.append(child)
    return found
