"""The tiny offline Stable Diffusion: random weights, real diffusers classes, a few MB on disk.

It exercises the real diffusers code path (tokenizer -> CLIP text encoder -> UNet denoising loop
-> VAE decode) on any machine, without downloads, and produces abstract images. The shapes follow
the tiny test pipelines of the diffusers test suite (UNet channels (32, 64), cross-attention dim 32)
with a VAE of four blocks, so latents are 1/8 of the image size as in real SD 1.5
(https://huggingface.co/docs/diffusers/api/pipelines/stable_diffusion/text2img).

torch, transformers and diffusers are imported inside the functions, so importing this module is fast.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from pathlib import Path

TINY_SD_FOLDER = "tiny-sd"
"""Folder name of the built-in tiny model under the models folder."""

_ensure_lock = threading.Lock()

# SD 1.5's scheduler: scheduler/scheduler_config.json of stable-diffusion-v1-5/stable-diffusion-v1-5
# (PNDM in its PLMS form), so scheduler swaps behave as with the real model.
_SD15_SCHEDULER = dict(
    num_train_timesteps=1000,
    beta_start=0.00085,
    beta_end=0.012,
    beta_schedule="scaled_linear",
    set_alpha_to_one=False,
    skip_prk_steps=True,
    steps_offset=1,
)
# A few merges so the BPE model does real merging work; every merge result is in the vocabulary.
_MERGES = [("t", "h"), ("th", "e</w>"), ("a", "n"), ("an", "d</w>"), ("i", "n")]


def _tiny_tokenizer():
    """A CLIP tokenizer over a byte-level vocabulary: encodes any text without downloaded files.

    Vocabulary: the two special tokens (``<|endoftext|>`` is also the pad and unknown token), the 256
    byte-level characters and their ``</w>`` (end of word) forms, plus the results of ``_MERGES``: 519 entries.
    """
    from tokenizers.pre_tokenizers import ByteLevel
    from transformers import CLIPTokenizer

    specials = ["<|startoftext|>", "<|endoftext|>"]
    chars = sorted(ByteLevel.alphabet())
    tokens = specials + chars + [f"{c}</w>" for c in chars] + ["".join(pair) for pair in _MERGES]
    vocab = {token: index for index, token in enumerate(dict.fromkeys(tokens))}
    return CLIPTokenizer(vocab=vocab, merges=list(_MERGES), model_max_length=77)


def _tiny_components(seed: int) -> dict:
    """Construct the pipeline components with weights drawn from a forked torch RNG seeded with `seed`."""
    import torch
    from diffusers import AutoencoderKL, PNDMScheduler, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    tokenizer = _tiny_tokenizer()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        unet = UNet2DConditionModel(
            sample_size=64,  # 64 latent px = 512 image px, the SD 1.5 default size
            in_channels=4,
            out_channels=4,
            block_out_channels=(32, 64),
            layers_per_block=1,
            down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
            up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
            cross_attention_dim=32,
            attention_head_dim=8,
        )
        vae = AutoencoderKL(
            sample_size=512,
            in_channels=3,
            out_channels=3,
            latent_channels=4,
            block_out_channels=(32, 32, 32, 32),
            layers_per_block=1,
            down_block_types=("DownEncoderBlock2D",) * 4,
            up_block_types=("UpDecoderBlock2D",) * 4,
        )
        text_encoder = CLIPTextModel(
            CLIPTextConfig(
                vocab_size=len(tokenizer),
                hidden_size=32,
                intermediate_size=37,
                num_hidden_layers=2,
                num_attention_heads=4,
                max_position_embeddings=tokenizer.model_max_length,
                bos_token_id=tokenizer.bos_token_id,
                eos_token_id=tokenizer.eos_token_id,
                pad_token_id=tokenizer.pad_token_id,
            )
        )
    return dict(
        unet=unet,
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        scheduler=PNDMScheduler(**_SD15_SCHEDULER),
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )


def _build_to_temp(parent: Path, seed: int) -> Path:
    """Save a freshly built tiny pipeline into a new hidden temp folder inside `parent`; return it."""
    from diffusers import StableDiffusionPipeline

    from devserver.generation.device import prepare_libraries

    prepare_libraries()
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=parent, prefix=f".{TINY_SD_FOLDER}-build-"))
    try:
        StableDiffusionPipeline(**_tiny_components(seed)).save_pretrained(tmp, safe_serialization=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return tmp


def _replace_dir(source: Path, target: Path) -> None:
    """Rename folder `source` to `target`, moving an existing `target` aside first and deleting it."""
    if not target.exists():
        os.replace(source, target)
        return
    old = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{TINY_SD_FOLDER}-old-"))
    os.replace(target, old / "model")
    os.replace(source, target)
    shutil.rmtree(old, ignore_errors=True)


def build_tiny_sd(target: Path, *, seed: int = 0) -> Path:
    """Build the tiny random-weight Stable Diffusion pipeline and save it (safetensors) to `target`.

    The pipeline is built in a temp sibling folder and renamed into place, so readers never see a
    half-written model; an existing `target` is replaced. No network access.

    Args:
        target: folder to create (a diffusers folder with ``model_index.json``); its parent is created.
        seed: seed of the random weights; the same seed gives the same weights, bit for bit.
    Returns:
        `target`.
    Raises:
        OSError: the folder cannot be written.
    """
    target = Path(target)
    _replace_dir(_build_to_temp(target.parent, seed), target)
    return target


def ensure_tiny_sd(models_dir: Path) -> Path:
    """Return ``models_dir/"tiny-sd"``, building it (seed 0) if its ``model_index.json`` is missing.

    Thread-safe (a lock); across processes the build goes to a temp folder and is renamed into
    place, and when another process won the race its folder is kept.

    Args:
        models_dir: the server's models folder (created if missing).
    Returns:
        the tiny model's folder.
    Raises:
        OSError: the folder cannot be written.
    """
    target = Path(models_dir) / TINY_SD_FOLDER
    with _ensure_lock:
        if (target / "model_index.json").is_file():
            return target
        tmp = _build_to_temp(target.parent, seed=0)
        try:
            os.rename(tmp, target)  # fails if another process created a non-empty target meanwhile
        except OSError:
            if (target / "model_index.json").is_file():
                shutil.rmtree(tmp, ignore_errors=True)
            else:  # a stray folder without a model, not a finished build: replace it
                _replace_dir(tmp, target)
    return target
