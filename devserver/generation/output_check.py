"""Stage 4b's image classifier: diffusers' ``StableDiffusionSafetyChecker`` loaded from the models folder.

The checker (CompVis, shipped with Stable Diffusion 1.x; https://huggingface.co/CompVis/stable-diffusion-safety-checker)
is a CLIP vision model whose image embedding is compared with 17 concept embeddings and 3 "special care"
embeddings; an image whose cosine similarity exceeds a concept's threshold is flagged
(``diffusers.pipelines.stable_diffusion.safety_checker``). Its folder holds ``config.json``, ``model.safetensors``
and the ``CLIPImageProcessor``'s ``preprocessor_config.json`` (pickle weights are never loaded). torch and
diffusers are imported lazily, on the first check.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from PIL import Image

log = logging.getLogger(__name__)

REQUIRED_FILES = ("config.json", "model.safetensors", "preprocessor_config.json")
"""What a safety-checker folder must contain."""


class ImageCheckUnavailable(Exception):
    """The configured image check cannot run (folder missing, weights unreadable, backend unreachable).

    The message is for the log; answers carry only the policy's sentence and ``exception_type``.
    """


class SafetyCheckerModel:
    """Diffusers' StableDiffusionSafetyChecker from a local folder; loaded once, thread-safe.

    Args:
        folder: ``<models>/safety-checker`` (see :data:`REQUIRED_FILES`).
        device: torch device name ("cpu", "cuda", ...).
    """

    def __init__(self, folder: Path, device: str = "cpu") -> None:
        self.folder = Path(folder)
        self.device = device
        self._lock = threading.Lock()
        self._loaded: tuple[Any, Any] | None = None

    def available(self) -> bool:
        """Whether the folder holds every required file (no torch import)."""
        return all((self.folder / name).is_file() for name in REQUIRED_FILES)

    def _load(self) -> tuple[Any, Any]:
        with self._lock:
            if self._loaded is None:
                if not self.available():
                    raise ImageCheckUnavailable(f"safety checker folder {self.folder} lacks one of {REQUIRED_FILES}")
                try:
                    from diffusers.pipelines.stable_diffusion.safety_checker import StableDiffusionSafetyChecker
                    try:  # transformers 5: the PIL processor, without torchvision
                        from transformers import CLIPImageProcessorPil as Processor
                    except ImportError:  # pragma: no cover - transformers 4
                        from transformers import CLIPImageProcessor as Processor
                    model = StableDiffusionSafetyChecker.from_pretrained(
                        self.folder, use_safetensors=True, local_files_only=True).to(self.device).eval()
                    processor = Processor.from_pretrained(self.folder, local_files_only=True)
                except Exception as exc:  # unreadable weights or config
                    raise ImageCheckUnavailable(f"loading the safety checker failed: {exc!r}") from exc
                self._loaded = (model, processor)
            return self._loaded

    def flagged(self, image: Image.Image) -> bool:
        """True when the checker flags the image (any NSFW concept above its threshold).

        Args:
            image: the generated RGB image, any size (the processor resizes it).
        Raises:
            ImageCheckUnavailable: the checker cannot be loaded or fails.
        """
        model, processor = self._load()
        try:
            import numpy as np
            import torch

            pixels = processor(images=[image.convert("RGB")], return_tensors="pt").pixel_values.to(self.device)
            array = np.asarray(image.convert("RGB"), dtype=np.float32)[None] / 255.0
            with torch.inference_mode():
                _, flags = model(clip_input=pixels, images=array)
        except Exception as exc:
            raise ImageCheckUnavailable(f"the safety checker failed: {exc!r}") from exc
        return bool(flags[0])
