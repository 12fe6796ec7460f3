"""Tiny random-weight models for the enhanced generation (issue 10), built by ``devserver models build-tiny --all``.

```
<models>/tiny-sdxl-fast/                        SDXL pipeline folder, narrow and cheap even at 1024 px
<models>/tiny-sdxl-refiner/                     SDXL refiner: img2img, text_encoder_2 only, aesthetic score
<models>/vae/tiny-sdxl-vae/                     SDXL VAE (4 latent channels, scaling 0.13025)
<models>/loras/tiny-lora-b.safetensors          a second LoRA for tiny-sd (two LoRAs at once)
<models>/loras/tiny-sdxl-lora.safetensors       LoRA for tiny-sdxl-fast (UNet and both text encoders)
<models>/controlnet/tiny-controlnet-b/          a second ControlNet for tiny-sd (two ControlNets at once)
<models>/controlnet/tiny-sdxl-controlnet/       ControlNet for tiny-sdxl-fast
<models>/upscalers/tiny-upscaler-x4.safetensors Real-ESRGAN SRVGGNetCompact layout, x4
```

Why a second tiny SDXL: ``tiny-sdxl`` keeps the real SDXL layout (attention at 1/16 and 1/32 of the image side,
32-channel VAE), which the single-file detector needs but which costs ~2.7 s per step at 1024 px on two CPU cores.
Seed 000's example request asks for 1024 x 1024 px, 50 steps, a refiner, a ControlNet and a x2 upscale; with
``tiny-sdxl-fast`` (GroupNorm of 8 groups, attention only at 1/32 of the side, an 8-channel VAE, a ControlNet with
a 4-channel conditioning embedding) the whole example runs in seconds, so tests can run it as written.

Shapes (FEASIBILITY a, c, d):

- refiner UNet: ``cross_attention_dim`` = text_encoder_2's hidden size (32) and
  ``projection_class_embeddings_input_dim`` = 5 time ids * 8 + 32 pooled = 72 (``requires_aesthetics_score=True``);
  the base UNet has 6 * 8 + 32 = 80 and cross-attention 32 + 32 = 64 (both text encoders).
- LoRAs: ``init_lora_weights=False`` gives random ``lora_B`` (peft's zero init would be a no-op); text-encoder layers
  through ``peft.inject_adapter_in_model`` (transformers' ``add_adapter`` wants a newer peft than PyPI has).
- ControlNets: ``ControlNetModel.from_unet`` with randomised zero convolutions (else they add nothing).

torch, diffusers, transformers and peft are imported inside the functions.
"""

from __future__ import annotations

from pathlib import Path

from devserver.generation.tiny import _tiny_tokenizer
from devserver.generation.tiny_models import (
    SDXL_SCHEDULER,
    SDXL_VAE_SCALING,
    _atomic_dir,
    _atomic_file,
    _text_config,
    build_tiny_controlnet,
    build_tiny_lora,
    build_tiny_upscaler,
    randomize_zero_convs,
)

TINY_SDXL_FAST_FOLDER = "tiny-sdxl-fast"
TINY_SDXL_REFINER_FOLDER = "tiny-sdxl-refiner"
ENHANCED_TINY_MODELS = (
    TINY_SDXL_FAST_FOLDER, TINY_SDXL_REFINER_FOLDER, "vae/tiny-sdxl-vae", "loras/tiny-lora-b.safetensors",
    "loras/tiny-sdxl-lora.safetensors", "controlnet/tiny-controlnet-b", "controlnet/tiny-sdxl-controlnet",
    "upscalers/tiny-upscaler-x4.safetensors",
)
"""The models this module builds, relative to the models folder."""
_GROUPS = 8
"""GroupNorm groups of the narrow models (diffusers' default 32 needs channels in multiples of 32)."""


def _fast_unet(*, cross_attention_dim: int, projection_dim: int):  # type: ignore[no-untyped-def]
    """A narrow SDXL-style UNet (text-time embedding) with attention only at its lowest resolution."""
    from diffusers import UNet2DConditionModel

    return UNet2DConditionModel(
        sample_size=128, in_channels=4, out_channels=4, block_out_channels=(16, 32, 32), layers_per_block=1,
        down_block_types=("DownBlock2D", "DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D", "UpBlock2D"), attention_head_dim=(2, 2, 4),
        use_linear_projection=True, addition_embed_type="text_time", addition_time_embed_dim=8,
        transformer_layers_per_block=(1, 1, 1), projection_class_embeddings_input_dim=projection_dim,
        cross_attention_dim=cross_attention_dim, norm_num_groups=_GROUPS)


def _fast_vae():  # type: ignore[no-untyped-def]
    """A narrow SDXL VAE: 4 blocks (8x downsampling, as the real one), 4 latent channels, scaling 0.13025."""
    from diffusers import AutoencoderKL

    return AutoencoderKL(sample_size=1024, in_channels=3, out_channels=3, latent_channels=4,
                         block_out_channels=(8, 8, 16, 16), layers_per_block=1,
                         down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4,
                         norm_num_groups=_GROUPS, scaling_factor=SDXL_VAE_SCALING)


def sdxl_fast_components(seed: int = 10) -> dict:
    """Components of ``tiny-sdxl-fast``: two 2-layer CLIP text encoders (hidden 32), the narrow UNet and VAE."""
    import torch
    from diffusers import EulerDiscreteScheduler
    from transformers import CLIPTextModel, CLIPTextModelWithProjection

    tokenizer, tokenizer_2 = _tiny_tokenizer(), _tiny_tokenizer()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        text_encoder = CLIPTextModel(_text_config(tokenizer))
        text_encoder_2 = CLIPTextModelWithProjection(_text_config(tokenizer_2))
        unet = _fast_unet(cross_attention_dim=64, projection_dim=80)  # 6 time ids * 8 + 32 pooled
        vae = _fast_vae()
    return dict(vae=vae, text_encoder=text_encoder, text_encoder_2=text_encoder_2, tokenizer=tokenizer,
                tokenizer_2=tokenizer_2, unet=unet, scheduler=EulerDiscreteScheduler(**SDXL_SCHEDULER))


def build_tiny_sdxl_fast(models_dir: Path, *, seed: int = 10) -> Path:
    """Write ``tiny-sdxl-fast/`` (a StableDiffusionXLPipeline folder)."""
    from diffusers import StableDiffusionXLPipeline

    pipe = StableDiffusionXLPipeline(**sdxl_fast_components(seed))
    return _atomic_dir(Path(models_dir) / TINY_SDXL_FAST_FOLDER,
                       lambda d: pipe.save_pretrained(d, safe_serialization=True))


def build_tiny_sdxl_refiner(models_dir: Path, *, seed: int = 11) -> Path:
    """Write ``tiny-sdxl-refiner/``: a StableDiffusionXLImg2ImgPipeline without text_encoder (as
    stabilityai/stable-diffusion-xl-refiner-1.0: conditioned on text_encoder_2 only, with an aesthetic score)."""
    import torch
    from diffusers import EulerDiscreteScheduler, StableDiffusionXLImg2ImgPipeline

    base = sdxl_fast_components()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        unet = _fast_unet(cross_attention_dim=32, projection_dim=72)  # 5 time ids * 8 + 32 pooled
    pipe = StableDiffusionXLImg2ImgPipeline(
        vae=base["vae"], text_encoder=None, tokenizer=None, text_encoder_2=base["text_encoder_2"],
        tokenizer_2=base["tokenizer_2"], unet=unet, scheduler=EulerDiscreteScheduler(**SDXL_SCHEDULER),
        requires_aesthetics_score=True, force_zeros_for_empty_prompt=False)
    return _atomic_dir(Path(models_dir) / TINY_SDXL_REFINER_FOLDER,
                       lambda d: pipe.save_pretrained(d, safe_serialization=True))


def build_tiny_sdxl_vae(models_dir: Path, *, seed: int = 12) -> Path:
    """Write ``vae/tiny-sdxl-vae/`` (another random narrow SDXL VAE)."""
    import torch

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        vae = _fast_vae()
    return _atomic_dir(Path(models_dir) / "vae" / "tiny-sdxl-vae",
                       lambda d: vae.save_pretrained(d, safe_serialization=True))


def build_tiny_sdxl_lora(models_dir: Path, *, seed: int = 13, rank: int = 4) -> Path:
    """Write ``loras/tiny-sdxl-lora.safetensors`` for tiny-sdxl-fast (diffusers format)."""
    import torch
    from diffusers import StableDiffusionXLPipeline
    from diffusers.utils import convert_state_dict_to_diffusers
    from peft import LoraConfig, inject_adapter_in_model
    from peft.utils import get_peft_model_state_dict

    pipe = StableDiffusionXLPipeline(**sdxl_fast_components())
    text_targets = ["q_proj", "k_proj", "v_proj", "out_proj"]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        pipe.unet.add_adapter(LoraConfig(r=rank, lora_alpha=rank, target_modules=["to_k", "to_q", "to_v", "to_out.0"],
                                         init_lora_weights=False))
        for encoder in (pipe.text_encoder, pipe.text_encoder_2):
            inject_adapter_in_model(LoraConfig(r=rank, lora_alpha=rank, init_lora_weights=False,
                                               target_modules=text_targets), encoder)
    layers = {"unet_lora_layers": convert_state_dict_to_diffusers(get_peft_model_state_dict(pipe.unet)),
              "text_encoder_lora_layers": convert_state_dict_to_diffusers(get_peft_model_state_dict(pipe.text_encoder)),
              "text_encoder_2_lora_layers": convert_state_dict_to_diffusers(
                  get_peft_model_state_dict(pipe.text_encoder_2))}

    def write(tmp: Path) -> None:
        StableDiffusionXLPipeline.save_lora_weights(str(tmp.parent), weight_name=tmp.name, **layers)

    return _atomic_file(Path(models_dir) / "loras" / "tiny-sdxl-lora.safetensors", write)


def build_tiny_sdxl_controlnet(models_dir: Path, *, seed: int = 14) -> Path:
    """Write ``controlnet/tiny-sdxl-controlnet/`` from tiny-sdxl-fast's UNet (4-channel conditioning embedding:
    it runs at the full image size every step)."""
    from diffusers import ControlNetModel

    controlnet = ControlNetModel.from_unet(sdxl_fast_components()["unet"],
                                           conditioning_embedding_out_channels=(4, 4, 4, 4))
    randomize_zero_convs(controlnet, seed=seed)
    return _atomic_dir(Path(models_dir) / "controlnet" / "tiny-sdxl-controlnet",
                       lambda d: controlnet.save_pretrained(d, safe_serialization=True))


def build_enhanced_tiny(models_dir: Path, *, force: bool = False) -> list[Path]:
    """Build every model of this module that is missing (all with `force`); returns their paths.

    Raises:
        OSError: the folder cannot be written.
    """
    models_dir = Path(models_dir)
    builders = {
        TINY_SDXL_FAST_FOLDER: lambda: build_tiny_sdxl_fast(models_dir),
        TINY_SDXL_REFINER_FOLDER: lambda: build_tiny_sdxl_refiner(models_dir),
        "vae/tiny-sdxl-vae": lambda: build_tiny_sdxl_vae(models_dir),
        "loras/tiny-lora-b.safetensors": lambda: build_tiny_lora(models_dir, seed=2, name="tiny-lora-b"),
        "loras/tiny-sdxl-lora.safetensors": lambda: build_tiny_sdxl_lora(models_dir),
        "controlnet/tiny-controlnet-b": lambda: build_tiny_controlnet(models_dir, name="tiny-controlnet-b", seed=4,
                                                                      single_file=False),
        "controlnet/tiny-sdxl-controlnet": lambda: build_tiny_sdxl_controlnet(models_dir),
        "upscalers/tiny-upscaler-x4.safetensors": lambda: build_tiny_upscaler(models_dir, seed=6, scale=4,
                                                                              name="tiny-upscaler-x4"),
    }
    for relative, build in builders.items():
        if force or not (models_dir / relative).exists():
            build()
    return [models_dir / relative for relative in ENHANCED_TINY_MODELS]


__all__ = ["ENHANCED_TINY_MODELS", "TINY_SDXL_FAST_FOLDER", "TINY_SDXL_REFINER_FOLDER", "build_enhanced_tiny",
           "build_tiny_sdxl_controlnet", "build_tiny_sdxl_fast", "build_tiny_sdxl_lora", "build_tiny_sdxl_refiner",
           "build_tiny_sdxl_vae", "sdxl_fast_components"]
