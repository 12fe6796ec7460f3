"""A tiny random-weight diffusers ``StableDiffusionSafetyChecker`` for stage 4b's tests (real diffusers code).

The real checker compares a CLIP image embedding with 17 concept and 3 special-care embeddings and flags an
image when ``cosine_similarity - threshold > 0`` (``concept_embeds_weights``, ``special_care_embeds_weights``).
With tiny random weights the similarity lies in [-1, 1], so a threshold of -10 flags every image and +10 passes
every image: the test decides the verdict, the real code path computes it.
"""

from __future__ import annotations

from pathlib import Path

FLAG = -10.0
PASS = 10.0


def build_tiny_safety_checker(folder: Path, *, flag: bool) -> Path:
    """Write ``config.json``, ``model.safetensors`` and ``preprocessor_config.json`` (32 px CLIP) to `folder`.

    Args:
        folder: usually ``<models>/safety-checker``; created.
        flag: True -> every image is flagged, False -> every image passes.
    Returns:
        the folder.
    """
    import torch
    from diffusers.pipelines.stable_diffusion.safety_checker import StableDiffusionSafetyChecker
    from transformers import CLIPConfig

    try:
        from transformers import CLIPImageProcessorPil as Processor
    except ImportError:  # pragma: no cover - transformers 4
        from transformers import CLIPImageProcessor as Processor

    config = CLIPConfig(
        text_config={"hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2,
                     "vocab_size": 64, "max_position_embeddings": 16, "bos_token_id": 0, "eos_token_id": 1,
                     "pad_token_id": 1},
        vision_config={"hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2,
                       "image_size": 32, "patch_size": 8},
        projection_dim=8)
    torch.manual_seed(0)
    model = StableDiffusionSafetyChecker(config)
    threshold = FLAG if flag else PASS
    with torch.no_grad():
        model.concept_embeds.copy_(torch.randn_like(model.concept_embeds))
        model.special_care_embeds.copy_(torch.randn_like(model.special_care_embeds))
        model.concept_embeds_weights.fill_(threshold)
        model.special_care_embeds_weights.fill_(PASS)
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder, safe_serialization=True)
    Processor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}).save_pretrained(folder)
    return folder
