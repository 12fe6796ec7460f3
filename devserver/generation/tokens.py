"""How much of a prompt a model reads: tokens counted with the model's own tokenizers (no weights loaded).

Stable Diffusion's text encoders read a fixed number of tokens and silently drop the rest: a CLIP text
encoder 77 tokens including its start and end tokens (``tokenizer.model_max_length``; diffusers' pipelines
tokenize with ``truncation=True, max_length=tokenizer.model_max_length``, see ``encode_prompt`` in
``StableDiffusionPipeline``), SD 3's T5 encoder 256 (the pipeline's ``max_sequence_length`` default). Only the
tokenizer files of a model's diffusers folder are read (``tokenizer/``, ``tokenizer_2/``, ``tokenizer_3/``),
with ``transformers.AutoTokenizer`` (fast tokenizers, whose offset mapping gives the character where the cut
falls), and kept in memory per folder.

transformers is imported inside the methods only, so importing this module stays fast.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devserver.generation.backend import DiffusersBackend, ModelRef
from devserver.generation.tiny import ensure_tiny_sd

log = logging.getLogger(__name__)

# One prompt at a time needs no thread pool; the tokenizers library's own (Rayon) would compete with the
# diffusion steps for the CPU (https://huggingface.co/docs/tokenizers: TOKENIZERS_PARALLELISM).
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

TOKENIZER_FOLDERS: dict[str, tuple[str, ...]] = {
    "sd": ("tokenizer",),
    "sdxl": ("tokenizer", "tokenizer_2"),
    "sd3": ("tokenizer", "tokenizer_2", "tokenizer_3"),
    "sd2": ("tokenizer",),
    "flux": ("tokenizer", "tokenizer_2"),
}
"""The tokenizer subfolders of a diffusers folder per model family (model_index.json names them so)."""
SD3_T5_MAX_TOKENS = 256
"""Tokens SD 3's T5 encoder reads: ``max_sequence_length`` of diffusers' StableDiffusion3Pipeline (default 256)."""
FLUX_T5_MAX_TOKENS = 512
"""Tokens Flux's T5 encoder reads: ``max_sequence_length`` of diffusers' FluxPipeline (default 512)."""


@dataclass(frozen=True)
class EncoderCount:
    """One tokenizer's count of a prompt.

    Attributes:
        tokenizer: the subfolder name (``tokenizer``, ``tokenizer_2``, ...).
        max_tokens: tokens its encoder reads, including special tokens (CLIP 77).
        token_count: tokens of the whole prompt, including the special tokens.
        read_chars: characters of the prompt the encoder reads (the prompt's length when nothing is cut).
    """

    tokenizer: str
    max_tokens: int
    token_count: int
    read_chars: int


@dataclass(frozen=True)
class PromptCount:
    """A prompt measured against every text encoder of a model.

    Attributes:
        encoders: one count per tokenizer, in the model's order (the first is the main CLIP encoder).
        prompt_chars: the prompt's length in characters (code points).
    """

    encoders: tuple[EncoderCount, ...]
    prompt_chars: int

    @property
    def truncated(self) -> bool:
        """Some encoder does not read the whole prompt."""
        return any(e.read_chars < self.prompt_chars for e in self.encoders)

    @property
    def read_chars(self) -> int:
        """Characters every encoder reads."""
        return min(e.read_chars for e in self.encoders)

    @property
    def ignored_from(self) -> int | None:
        """Character offset from which no encoder reads anything; None when one reads the whole prompt."""
        furthest = max(e.read_chars for e in self.encoders)
        return None if furthest >= self.prompt_chars else furthest


@dataclass(frozen=True)
class _Tokenizer:
    name: str
    tokenizer: Any  # a transformers fast tokenizer
    max_tokens: int


class PromptTokenCounter:
    """Counts prompt tokens for output configs' models; one per server, thread-safe.

    Args:
        backend: resolves a model's files on disk (:meth:`DiffusersBackend.diffusers_folder`).
    """

    def __init__(self, backend: DiffusersBackend) -> None:
        self._backend = backend
        self._cache: dict[Path, tuple[_Tokenizer, ...]] = {}
        self._lock = threading.Lock()

    def count(self, model: ModelRef, prompt: str) -> PromptCount | str:
        """Count `prompt`'s tokens for every text encoder of `model`.

        Args:
            model: the output config's model.
            prompt: the text stage 4 would receive.
        Returns:
            the counts, or a sentence (English, for teachers) saying why they cannot be counted: the model's
            files are not on this computer, it is a single-file checkpoint without tokenizer folders, or its
            tokenizer files cannot be read.
        """
        tokenizers = self._tokenizers(model)
        if isinstance(tokenizers, str):
            return tokenizers
        return PromptCount(encoders=tuple(_count(t, prompt) for t in tokenizers), prompt_chars=len(prompt))

    def _tokenizers(self, model: ModelRef) -> tuple[_Tokenizer, ...] | str:
        folder = self._backend.diffusers_folder(model)
        if folder is None:
            return (f"the tokenizer of model '{model.id}' is not on this computer (its weights are not installed, "
                    "or it is a single-file checkpoint)")
        with self._lock:
            if folder in self._cache:
                return self._cache[folder]
            if model.builtin == "tiny_sd":
                ensure_tiny_sd(folder.parent)
            loaded = []
            for name in TOKENIZER_FOLDERS[model.family]:
                if not (folder / name).is_dir():
                    continue  # e.g. SD 3 saved without its T5 encoder
                try:
                    loaded.append(_load(folder / name, name, model.family))
                except Exception:  # noqa: BLE001 - any unreadable tokenizer: report, do not fail the request
                    log.warning("cannot read tokenizer %s of model %s", folder / name, model.id, exc_info=True)
                    return f"the tokenizer files of model '{model.id}' cannot be read"
            if not loaded:
                return f"model '{model.id}' has no tokenizer folder"
            self._cache[folder] = tuple(loaded)
            return self._cache[folder]


def _load(path: Path, name: str, family: str) -> _Tokenizer:
    """A fast tokenizer from `path` (local files only) with the number of tokens its encoder reads."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True, use_fast=True)
    if not tokenizer.is_fast:
        raise TypeError(f"{path} has no fast tokenizer (offsets are needed)")
    max_tokens = SD3_T5_MAX_TOKENS if family == "sd3" and name == "tokenizer_3" else int(tokenizer.model_max_length)
    if family == "flux" and name == "tokenizer_2":
        max_tokens = FLUX_T5_MAX_TOKENS
    # counting a long prompt is the point here: keep transformers from warning that it exceeds the limit
    tokenizer.model_max_length = 1_000_000
    return _Tokenizer(name=name, tokenizer=tokenizer, max_tokens=max_tokens)


def _count(entry: _Tokenizer, prompt: str) -> EncoderCount:
    """Tokenize `prompt` without special tokens; the encoder reads ``max_tokens - specials`` of them."""
    encoded = entry.tokenizer(prompt, add_special_tokens=False, return_offsets_mapping=True)
    offsets = encoded["offset_mapping"]
    specials = entry.tokenizer.num_special_tokens_to_add(pair=False)
    fits = max(0, entry.max_tokens - specials)
    read_chars = len(prompt) if len(offsets) <= fits else offsets[fits][0]
    return EncoderCount(tokenizer=entry.name, max_tokens=entry.max_tokens, token_count=len(offsets) + specials,
                        read_chars=read_chars)
