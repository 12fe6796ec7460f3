"""Tiny random-weight models of every kind the model registry knows, in the models-folder layout of DESIGN.md.

``devserver models build-tiny`` builds them beside the built-in ``tiny-sd``:

```
<models>/tiny-sdxl/                          SDXL pipeline folder (real SDXL UNet layout, narrow)
<models>/tiny-sdxl.safetensors               the same weights as a single file (SGM key names)
<models>/tiny-sd1.safetensors                SD 1.x single file (real SD 1.x UNet layout, narrow; LDM key names)
<models>/vae/tiny-vae/                       AutoencoderKL folder (SD 1.x/2.x VAE: 4 latent channels, scaling 0.18215)
<models>/vae/tiny-vae.safetensors            the same VAE as a single file (original LDM key names)
<models>/loras/tiny-lora.safetensors         LoRA for tiny-sd (UNet + text encoder, random lora_A and lora_B)
<models>/controlnet/tiny-controlnet/         ControlNetModel from tiny-sd's UNet, zero convolutions randomised
<models>/controlnet/tiny-controlnet.safetensors  the same ControlNet as a single file (diffusers key names)
<models>/upscalers/tiny-upscaler.safetensors Real-ESRGAN SRVGGNetCompact layout, x2 (spandrel detects it)
<models>/tiny-sd2/                           SD 2.x configs: v-prediction DDIM, linear projections, gelu CLIP
<models>/tiny-sdxl-turbo/                    SDXL layout with SDXL-Turbo's EulerAncestral (trailing) scheduler
<models>/tiny-sd3/ and tiny-sd3-no-t5/       StableDiffusion3Pipeline (MMDiT, 2 CLIP + T5 / saved without T5)
<models>/tiny-flux/                          FluxPipeline (1 double + 1 single block, CLIP + T5)
<models>/tiny-sd-inpaint/, tiny-sdxl-inpaint/  dedicated inpainting models (9-channel UNets)
```

and, for the enhanced generation (issue 10: refiner, VAE swap, several LoRAs and ControlNets, x4 upscaling):

```
<models>/tiny-sdxl-fast/                     SDXL pipeline folder, narrow and cheap at large sizes (1024 px)
<models>/tiny-sdxl-refiner/                  SDXL refiner (img2img, text_encoder_2 only, aesthetic score)
<models>/vae/tiny-sdxl-vae/                  SDXL VAE (scaling 0.13025)
<models>/loras/tiny-lora-b.safetensors       a second LoRA for tiny-sd
<models>/loras/tiny-sdxl-lora.safetensors    LoRA for tiny-sdxl-fast (UNet + both text encoders)
<models>/controlnet/tiny-controlnet-b/       a second ControlNet for tiny-sd
<models>/controlnet/tiny-sdxl-controlnet/    ControlNet for tiny-sdxl-fast
<models>/upscalers/tiny-upscaler-x4.safetensors  SRVGGNetCompact x4
```

Shapes follow ``../shared/FEASIBILITY.md`` (items b, c, d, e1, f, g) and the diffusers test suite. The single-file
checkpoints keep the *layout* of the real models (four UNet levels with two layers each for SD 1.x, a ten-layer
second text encoder for SDXL), narrow enough to stay small, because the distinguishing keys that diffusers'
own detector looks for (``output_blocks.11.0.skip_connection``, ``resblocks.9``) exist only in that layout.
Random ``lora_B`` and randomised ControlNet zero convolutions make both change the image (peft and
``from_unet`` initialise them to zero, which would make them no-ops).

torch, diffusers, transformers and peft are imported inside the functions.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from devserver.generation.tiny import TINY_SD_FOLDER, _tiny_components, _tiny_tokenizer, ensure_tiny_sd

TINY_SDXL_FOLDER = "tiny-sdxl"
SDXL_SCHEDULER = dict(num_train_timesteps=1000, beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
                      steps_offset=1, timestep_spacing="leading", interpolation_type="linear",
                      prediction_type="epsilon")
"""EulerDiscreteScheduler settings of stabilityai/stable-diffusion-xl-base-1.0 (scheduler_config.json)."""
SDXL_VAE_SCALING = 0.13025
"""``scaling_factor`` of the SDXL VAE (its config.json); SD 1.x/2.x VAEs use 0.18215."""


def _text_config(tokenizer, *, layers: int = 2, projection_dim: int = 32, hidden: int = 32):  # type: ignore[no-untyped-def]
    from transformers import CLIPTextConfig

    return CLIPTextConfig(vocab_size=len(tokenizer), hidden_size=hidden, intermediate_size=37, num_hidden_layers=layers,
                          num_attention_heads=4, max_position_embeddings=tokenizer.model_max_length,
                          bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                          pad_token_id=tokenizer.pad_token_id, projection_dim=projection_dim)


def _vae(scaling_factor: float = 0.18215):  # type: ignore[no-untyped-def]
    from diffusers import AutoencoderKL

    return AutoencoderKL(sample_size=512, in_channels=3, out_channels=3, latent_channels=4,
                         block_out_channels=(32, 32, 32, 32), layers_per_block=1,
                         down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4,
                         scaling_factor=scaling_factor)


def sdxl_components(seed: int = 0) -> dict:
    """Components of a tiny SDXL pipeline with the real SDXL UNet layout (3 levels, 2 layers, text-time embedding).

    Text encoder 2 has 10 layers (SDXL's OpenCLIP-bigG has 32): key ``resblocks.9`` is what detectors look for;
    it is wider than text encoder 1 (64 vs 32, as 1280 vs 768 in SDXL), which is how diffusers' single-file loader
    tells the two encoders apart.
    """
    import torch
    from diffusers import EulerDiscreteScheduler, UNet2DConditionModel
    from transformers import CLIPTextModel, CLIPTextModelWithProjection

    tokenizer, tokenizer_2 = _tiny_tokenizer(), _tiny_tokenizer()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        text_encoder = CLIPTextModel(_text_config(tokenizer))
        text_encoder_2 = CLIPTextModelWithProjection(_text_config(tokenizer_2, layers=10, hidden=64))
        unet = UNet2DConditionModel(
            sample_size=128, in_channels=4, out_channels=4, block_out_channels=(32, 64, 64), layers_per_block=2,
            down_block_types=("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
            up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
            attention_head_dim=(2, 4, 4), use_linear_projection=True, addition_embed_type="text_time",
            addition_time_embed_dim=8, transformer_layers_per_block=(1, 1, 1),
            projection_class_embeddings_input_dim=80,  # 6 time ids * 8 + 32 pooled text embedding
            cross_attention_dim=96)  # text_encoder hidden 32 + text_encoder_2 hidden 64
        vae = _vae(SDXL_VAE_SCALING)
    return dict(vae=vae, text_encoder=text_encoder, text_encoder_2=text_encoder_2, tokenizer=tokenizer,
                tokenizer_2=tokenizer_2, unet=unet, scheduler=EulerDiscreteScheduler(**SDXL_SCHEDULER))


def sd1_layout_components(seed: int = 0) -> dict:
    """Components of a tiny SD 1.x pipeline with the real SD 1.x UNet layout (4 levels, 2 layers each)."""
    import torch
    from diffusers import UNet2DConditionModel

    components = _tiny_components(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed + 1)
        components["unet"] = UNet2DConditionModel(
            sample_size=64, in_channels=4, out_channels=4, block_out_channels=(32, 32, 64, 64), layers_per_block=2,
            down_block_types=("CrossAttnDownBlock2D",) * 3 + ("DownBlock2D",),
            up_block_types=("UpBlock2D",) + ("CrossAttnUpBlock2D",) * 3,
            cross_attention_dim=32, attention_head_dim=8)
    return components


def _atomic_file(target: Path, write: Callable[[Path], None]) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}-", suffix=".tmp")
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def _atomic_dir(target: Path, write: Callable[[Path], None]) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}-build-"))
    try:
        write(tmp)
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def _save_tensors(tensors: dict, path: Path, metadata: dict[str, str] | None = None) -> None:
    from safetensors.torch import save_file

    save_file({k: v.detach().contiguous() for k, v in tensors.items()}, str(path), metadata=metadata)


def build_tiny_sdxl(models_dir: Path, *, seed: int = 0) -> tuple[Path, Path]:
    """Write ``tiny-sdxl/`` (diffusers folder) and ``tiny-sdxl.safetensors`` (same weights, SGM key names)."""
    from diffusers import StableDiffusionXLPipeline

    from devserver.generation.ldm_keys import clip_to_ldm, open_clip_to_ldm, unet_to_ldm, vae_to_ldm

    pipe = StableDiffusionXLPipeline(**sdxl_components(seed))
    folder = _atomic_dir(Path(models_dir) / TINY_SDXL_FOLDER,
                         lambda d: pipe.save_pretrained(d, safe_serialization=True))
    tensors = {**unet_to_ldm(pipe.unet.state_dict(), dict(pipe.unet.config)), **vae_to_ldm(pipe.vae.state_dict()),
               **clip_to_ldm(pipe.text_encoder.state_dict(), "conditioner.embedders.0.transformer."),
               **open_clip_to_ldm(pipe.text_encoder_2.state_dict(), "conditioner.embedders.1.model.")}
    single = _atomic_file(Path(models_dir) / f"{TINY_SDXL_FOLDER}.safetensors",
                          lambda p: _save_tensors(tensors, p, {"format": "pt"}))
    return folder, single


def build_tiny_sd1_file(models_dir: Path, *, seed: int = 0) -> Path:
    """Write ``tiny-sd1.safetensors``: an SD 1.x single-file checkpoint (LDM key names) with the real UNet layout."""
    from devserver.generation.ldm_keys import clip_to_ldm, unet_to_ldm, vae_to_ldm

    c = sd1_layout_components(seed)
    tensors = {**unet_to_ldm(c["unet"].state_dict(), dict(c["unet"].config)), **vae_to_ldm(c["vae"].state_dict()),
               **clip_to_ldm(c["text_encoder"].state_dict(), "cond_stage_model.transformer.")}
    return _atomic_file(Path(models_dir) / "tiny-sd1.safetensors",
                        lambda p: _save_tensors(tensors, p, {"format": "pt"}))


def build_tiny_vae(models_dir: Path, *, seed: int = 7) -> tuple[Path, Path]:
    """Write ``vae/tiny-vae/`` (config.json + weights) and ``vae/tiny-vae.safetensors`` (LDM key names)."""
    import torch

    from devserver.generation.ldm_keys import vae_to_ldm

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        vae = _vae()
    folder = _atomic_dir(Path(models_dir) / "vae" / "tiny-vae",
                         lambda d: vae.save_pretrained(d, safe_serialization=True))
    tensors = {k[len("first_stage_model."):]: v for k, v in vae_to_ldm(vae.state_dict()).items()}
    single = _atomic_file(Path(models_dir) / "vae" / "tiny-vae.safetensors", lambda p: _save_tensors(tensors, p))
    return folder, single


def build_tiny_lora(models_dir: Path, *, seed: int = 1, rank: int = 4, name: str = "tiny-lora") -> Path:
    """Write ``loras/<name>.safetensors`` (default tiny-lora) for tiny-sd (diffusers format: UNet and text encoder
    layers).

    Built with peft like FEASIBILITY c: ``init_lora_weights=False`` makes lora_B random (the default zero B
    would be a no-op); the text-encoder part uses ``inject_adapter_in_model`` because transformers' own
    ``add_adapter`` demands a newer peft.
    """
    import torch
    from diffusers import StableDiffusionPipeline
    from diffusers.utils import convert_state_dict_to_diffusers
    from peft import LoraConfig, inject_adapter_in_model
    from peft.utils import get_peft_model_state_dict

    pipe = StableDiffusionPipeline(**_tiny_components(0))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        pipe.unet.add_adapter(LoraConfig(r=rank, lora_alpha=rank, target_modules=["to_k", "to_q", "to_v", "to_out.0"],
                                         init_lora_weights=False))
        inject_adapter_in_model(LoraConfig(r=rank, lora_alpha=rank, init_lora_weights=False,
                                           target_modules=["q_proj", "k_proj", "v_proj", "out_proj"]),
                                pipe.text_encoder)
    unet_layers = convert_state_dict_to_diffusers(get_peft_model_state_dict(pipe.unet))
    te_layers = convert_state_dict_to_diffusers(get_peft_model_state_dict(pipe.text_encoder))
    target = Path(models_dir) / "loras" / f"{name}.safetensors"

    def write(tmp: Path) -> None:
        StableDiffusionPipeline.save_lora_weights(str(tmp.parent), weight_name=tmp.name,
                                                  unet_lora_layers=unet_layers, text_encoder_lora_layers=te_layers)

    return _atomic_file(target, write)


def randomize_zero_convs(controlnet, *, seed: int = 3, scale: float = 0.1) -> None:  # type: ignore[no-untyped-def]
    """Give a ControlNet's zero-initialised output convolutions random weights (else it adds nothing)."""
    import torch

    with torch.random.fork_rng(devices=[]), torch.no_grad():
        torch.manual_seed(seed)
        modules = [*controlnet.controlnet_down_blocks, controlnet.controlnet_mid_block,
                   controlnet.controlnet_cond_embedding.conv_out]
        for module in modules:
            module.weight.normal_(0, scale)
            module.bias.normal_(0, scale)


def build_tiny_controlnet(models_dir: Path, *, name: str = "tiny-controlnet", seed: int = 3,
                          single_file: bool = True) -> tuple[Path, Path | None]:
    """Write ``controlnet/<name>/`` and (`single_file`) ``controlnet/<name>.safetensors`` (tiny-sd's UNet layout)."""
    from diffusers import ControlNetModel

    controlnet = ControlNetModel.from_unet(_tiny_components(0)["unet"])
    randomize_zero_convs(controlnet, seed=seed)
    base = Path(models_dir) / "controlnet"
    folder = _atomic_dir(base / name, lambda d: controlnet.save_pretrained(d, safe_serialization=True))
    if not single_file:
        return folder, None
    single = _atomic_file(base / f"{name}.safetensors", lambda p: _save_tensors(controlnet.state_dict(), p))
    return folder, single


def build_tiny_upscaler(models_dir: Path, *, seed: int = 5, num_feat: int = 16, num_conv: int = 4,
                        scale: int = 2, name: str = "tiny-upscaler") -> Path:
    """Write ``upscalers/<name>.safetensors`` (default tiny-upscaler): Real-ESRGAN's SRVGGNetCompact state dict layout
    (``body.N`` convs and PReLUs, last conv with 3 * scale^2 channels), which spandrel recognises as "Compact"."""
    import torch
    from torch import nn

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        body: list[nn.Module] = [nn.Conv2d(3, num_feat, 3, 1, 1), nn.PReLU(num_feat)]
        for _ in range(num_conv):
            body += [nn.Conv2d(num_feat, num_feat, 3, 1, 1), nn.PReLU(num_feat)]
        body.append(nn.Conv2d(num_feat, 3 * scale * scale, 3, 1, 1))
        state = {f"body.{k}": v for k, v in nn.ModuleList(body).state_dict().items()}
    return _atomic_file(Path(models_dir) / "upscalers" / f"{name}.safetensors",
                        lambda p: _save_tensors(state, p))


# --- issue 11: one tiny build per model family (FEASIBILITY f and g), and dedicated inpainting models -------------

TINY_FAMILY_FOLDERS = ("tiny-sd2", "tiny-sdxl-turbo", "tiny-sd3", "tiny-sd3-no-t5", "tiny-flux", "tiny-sd-inpaint",
                       "tiny-sdxl-inpaint")
"""Folders of the tiny family builds below (each a diffusers pipeline folder under the models folder)."""

SD2_SCHEDULER = dict(num_train_timesteps=1000, beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
                     clip_sample=False, set_alpha_to_one=False, steps_offset=1, prediction_type="v_prediction",
                     timestep_spacing="leading")
"""DDIMScheduler settings of stabilityai/stable-diffusion-2-1 (scheduler_config.json): v-prediction (768 px model)."""
SDXL_TURBO_SCHEDULER = dict(num_train_timesteps=1000, beta_start=0.00085, beta_end=0.012,
                            beta_schedule="scaled_linear", steps_offset=1, timestep_spacing="trailing",
                            interpolation_type="linear", prediction_type="epsilon")
"""EulerAncestralDiscreteScheduler settings of stabilityai/sdxl-turbo: ``trailing`` spacing, so that 1 step works."""
SD3_SCHEDULER = dict(num_train_timesteps=1000, shift=3.0)
"""FlowMatchEulerDiscreteScheduler settings of stabilityai/stable-diffusion-3-medium-diffusers."""
FLUX_SCHEDULER = dict(num_train_timesteps=1000, shift=3.0, use_dynamic_shifting=True, base_shift=0.5,
                      max_shift=1.15, base_image_seq_len=256, max_image_seq_len=4096)
"""FlowMatchEulerDiscreteScheduler settings of black-forest-labs/FLUX.1-dev (resolution-dependent shift)."""
SD3_VAE = dict(scaling_factor=1.5305, shift_factor=0.0609)
"""16-channel VAE of SD 3.x (its vae/config.json); the registry tells SD3 VAEs by this scaling factor."""
FLUX_VAE = dict(scaling_factor=0.3611, shift_factor=0.1159)
"""16-channel VAE of Flux.1 (its vae/config.json)."""


def _t5_tokenizer():  # type: ignore[no-untyped-def]
    """A T5 (Unigram) tokenizer built in memory: ``<pad>``, ``</s>``, ``<unk>``, the word boundary, printable ASCII
    characters alone and after a word boundary (FEASIBILITY g: transformers 5 builds it from ``vocab=[(piece,
    score), ...]``, no sentencepiece file)."""
    from transformers import T5Tokenizer

    chars = [chr(c) for c in range(33, 127)]
    pieces = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("\u2581", -2.0)]
    pieces += [(c, -5.0) for c in chars] + [("\u2581" + c, -4.0) for c in chars]
    return T5Tokenizer(vocab=pieces, extra_ids=0, model_max_length=512)


def _t5_encoder(tokenizer, d_model: int):  # type: ignore[no-untyped-def]
    from transformers import T5Config, T5EncoderModel

    return T5EncoderModel(T5Config(vocab_size=len(tokenizer), d_model=d_model, d_kv=8, d_ff=37, num_layers=2,
                                   num_heads=4, pad_token_id=tokenizer.pad_token_id,
                                   eos_token_id=tokenizer.eos_token_id, decoder_start_token_id=0))


def _flow_vae(scaling: dict):  # type: ignore[no-untyped-def]
    """The 16-latent-channel VAE of SD3 and Flux (no quant convolutions), tiny: four 32-channel blocks (8x down)."""
    from diffusers import AutoencoderKL

    return AutoencoderKL(in_channels=3, out_channels=3, latent_channels=16, block_out_channels=(32,) * 4,
                         layers_per_block=1, down_block_types=("DownEncoderBlock2D",) * 4,
                         up_block_types=("UpDecoderBlock2D",) * 4, use_quant_conv=False, use_post_quant_conv=False,
                         sample_size=512, **scaling)


def sd2_components(seed: int = 2, *, in_channels: int = 4) -> dict:
    """A tiny SD 2.x: SD 1.x's pipeline classes with SD 2's configs (FEASIBILITY g): linear projections in the UNet,
    a ``gelu`` text encoder (OpenCLIP-H; SD 1.x's CLIP-L uses ``quick_gelu``) twice as wide as tiny-sd's (SD 2's
    cross-attention is 1024 wide, SD 1's 768: so tiny-sd's LoRA and ControlNet do not fit it either) and a
    v-prediction DDIM scheduler."""
    import torch
    from diffusers import DDIMScheduler, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    components = _tiny_components(seed)
    tokenizer = components["tokenizer"]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        components["unet"] = UNet2DConditionModel(
            sample_size=96, in_channels=in_channels, out_channels=4, block_out_channels=(32, 64), layers_per_block=1,
            down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
            up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"), cross_attention_dim=64, attention_head_dim=(2, 4),
            use_linear_projection=True)  # sample_size 96 latent px = 768 image px, SD 2.x's default size
        config = _text_config(tokenizer, hidden=64)
        components["text_encoder"] = CLIPTextModel(CLIPTextConfig(**{**config.to_dict(), "hidden_act": "gelu"}))
    components["scheduler"] = DDIMScheduler(**SD2_SCHEDULER)
    return components


def sd3_components(seed: int = 4, *, t5: bool = True) -> dict:
    """A tiny SD 3.x (FEASIBILITY g): an MMDiT transformer (patch 2, 16 latent channels), two CLIP encoders with
    projections and, with `t5`, a T5 encoder; flow-matching Euler scheduler. ``joint_attention_dim`` (64) is at least
    the two CLIP widths together (32 + 32), as in the real model (4096 >= 768 + 1280)."""
    import torch
    from diffusers import FlowMatchEulerDiscreteScheduler, SD3Transformer2DModel
    from transformers import CLIPTextConfig, CLIPTextModelWithProjection

    tokenizer, tokenizer_2 = _tiny_tokenizer(), _tiny_tokenizer()
    tokenizer_3 = _t5_tokenizer() if t5 else None
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        gelu = {"hidden_act": "gelu"}
        text_encoder = CLIPTextModelWithProjection(CLIPTextConfig(**{**_text_config(tokenizer).to_dict(), **gelu}))
        text_encoder_2 = CLIPTextModelWithProjection(
            CLIPTextConfig(**{**_text_config(tokenizer_2).to_dict(), **gelu}))
        transformer = SD3Transformer2DModel(
            sample_size=32, patch_size=2, in_channels=16, out_channels=16, num_layers=2, attention_head_dim=8,
            num_attention_heads=4, joint_attention_dim=64, caption_projection_dim=32, pooled_projection_dim=64,
            pos_embed_max_size=64)
        vae = _flow_vae(SD3_VAE)
        text_encoder_3 = _t5_encoder(tokenizer_3, 64) if tokenizer_3 is not None else None
    return dict(transformer=transformer, scheduler=FlowMatchEulerDiscreteScheduler(**SD3_SCHEDULER), vae=vae,
                text_encoder=text_encoder, tokenizer=tokenizer, text_encoder_2=text_encoder_2,
                tokenizer_2=tokenizer_2, text_encoder_3=text_encoder_3, tokenizer_3=tokenizer_3)


def flux_components(seed: int = 5) -> dict:
    """A tiny Flux.1 (FEASIBILITY g): one double and one single transformer block, a CLIP and a T5 encoder, the
    16-channel VAE; ``in_channels`` = 4 x 16 latent channels (2x2 packing), ``sum(axes_dims_rope)`` = head dim.
    No guidance embedding (like FLUX.1-schnell: guidance_scale is not used)."""
    import torch
    from diffusers import FlowMatchEulerDiscreteScheduler, FluxTransformer2DModel
    from transformers import CLIPTextModel

    tokenizer, tokenizer_2 = _tiny_tokenizer(), _t5_tokenizer()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        text_encoder = CLIPTextModel(_text_config(tokenizer))
        transformer = FluxTransformer2DModel(
            patch_size=1, in_channels=64, num_layers=1, num_single_layers=1, attention_head_dim=16,
            num_attention_heads=2, joint_attention_dim=32, pooled_projection_dim=32, axes_dims_rope=[4, 4, 8])
        vae = _flow_vae(FLUX_VAE)
        text_encoder_2 = _t5_encoder(tokenizer_2, 32)
    return dict(scheduler=FlowMatchEulerDiscreteScheduler(**FLUX_SCHEDULER), vae=vae, text_encoder=text_encoder,
                tokenizer=tokenizer, text_encoder_2=text_encoder_2, tokenizer_2=tokenizer_2, transformer=transformer)


def _save_pipeline(models_dir: Path, folder: str, pipe) -> Path:  # type: ignore[no-untyped-def]
    return _atomic_dir(Path(models_dir) / folder, lambda d: pipe.save_pretrained(d, safe_serialization=True))


def build_tiny_sd2(models_dir: Path) -> Path:
    """Write ``tiny-sd2/``: SD 2.x configs (v-prediction DDIM, linear projections, gelu text encoder)."""
    from diffusers import StableDiffusionPipeline

    return _save_pipeline(models_dir, "tiny-sd2", StableDiffusionPipeline(**sd2_components()))


def build_tiny_sdxl_turbo(models_dir: Path) -> Path:
    """Write ``tiny-sdxl-turbo/``: the SDXL layout with its own weights and SDXL-Turbo's scheduler
    (EulerAncestralDiscrete, trailing timesteps; guidance 0 and 1-4 steps come from its output config)."""
    from diffusers import EulerAncestralDiscreteScheduler, StableDiffusionXLPipeline

    scheduler = EulerAncestralDiscreteScheduler.from_config(SDXL_TURBO_SCHEDULER)
    components = {**sdxl_components(seed=6), "scheduler": scheduler}
    return _save_pipeline(models_dir, "tiny-sdxl-turbo", StableDiffusionXLPipeline(**components))


def build_tiny_sd3(models_dir: Path, *, t5: bool = True) -> Path:
    """Write ``tiny-sd3/`` (with the T5 encoder) or, ``t5=False``, ``tiny-sd3-no-t5/`` (saved without it:
    ``text_encoder_3`` is ``[null, null]`` in model_index.json, which needs ``text_encoder_3=None,
    tokenizer_3=None`` to load: FEASIBILITY g)."""
    from diffusers import StableDiffusion3Pipeline

    return _save_pipeline(models_dir, "tiny-sd3" if t5 else "tiny-sd3-no-t5",
                          StableDiffusion3Pipeline(**sd3_components(t5=t5)))


def build_tiny_flux(models_dir: Path) -> Path:
    """Write ``tiny-flux/`` (FluxPipeline)."""
    from diffusers import FluxPipeline

    return _save_pipeline(models_dir, "tiny-flux", FluxPipeline(**flux_components()))


def build_tiny_inpainting(models_dir: Path) -> tuple[Path, Path]:
    """Write ``tiny-sd-inpaint/`` and ``tiny-sdxl-inpaint/``: dedicated inpainting models whose UNet takes 9 input
    channels (4 latent + 1 mask + 4 masked-image latents, as stable-diffusion-inpainting and
    stable-diffusion-xl-1.0-inpainting-0.1); they inpaint only (FEASIBILITY f)."""
    import torch
    from diffusers import StableDiffusionInpaintPipeline, StableDiffusionXLInpaintPipeline, UNet2DConditionModel

    sd = _tiny_components(8)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(8)
        sd["unet"] = UNet2DConditionModel.from_config({**dict(sd["unet"].config), "in_channels": 9})
    xl = sdxl_components(seed=9)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(9)
        xl["unet"] = UNet2DConditionModel.from_config({**dict(xl["unet"].config), "in_channels": 9})
    return (_save_pipeline(models_dir, "tiny-sd-inpaint", StableDiffusionInpaintPipeline(**sd)),
            _save_pipeline(models_dir, "tiny-sdxl-inpaint",
                           StableDiffusionXLInpaintPipeline(**xl, requires_aesthetics_score=False)))


def build_tiny_families(models_dir: Path, *, force: bool = False) -> list[Path]:
    """Build every folder of :data:`TINY_FAMILY_FOLDERS` that is missing (all with `force`); returns their paths."""
    models_dir = Path(models_dir)
    builders = {"tiny-sd2": build_tiny_sd2, "tiny-sdxl-turbo": build_tiny_sdxl_turbo,
                "tiny-sd3": build_tiny_sd3, "tiny-sd3-no-t5": lambda d: build_tiny_sd3(d, t5=False),
                "tiny-flux": build_tiny_flux, "tiny-sd-inpaint": build_tiny_inpainting}
    for folder, build in builders.items():
        if force or not (models_dir / folder / "model_index.json").is_file() or (
                folder == "tiny-sd-inpaint" and not (models_dir / "tiny-sdxl-inpaint" / "model_index.json").is_file()):
            build(models_dir)
    return [models_dir / folder for folder in TINY_FAMILY_FOLDERS]


def build_all_tiny(models_dir: Path, *, force: bool = False) -> list[Path]:
    """Build tiny-sd (if missing) and every tiny model above into `models_dir`; returns their paths.

    Models already there are kept unless `force`.

    Raises:
        OSError: the folder cannot be written.
    """
    from devserver.generation.device import prepare_libraries

    prepare_libraries()
    models_dir = Path(models_dir)
    written = [ensure_tiny_sd(models_dir)]

    def missing(*relative: str) -> bool:
        return force or not all((models_dir / r).exists() for r in relative)

    if missing(TINY_SDXL_FOLDER, f"{TINY_SDXL_FOLDER}.safetensors"):
        build_tiny_sdxl(models_dir)
    if missing("tiny-sd1.safetensors"):
        build_tiny_sd1_file(models_dir)
    if missing("vae/tiny-vae", "vae/tiny-vae.safetensors"):
        build_tiny_vae(models_dir)
    if missing("loras/tiny-lora.safetensors"):
        build_tiny_lora(models_dir)
    if missing("controlnet/tiny-controlnet", "controlnet/tiny-controlnet.safetensors"):
        build_tiny_controlnet(models_dir)
    if missing("upscalers/tiny-upscaler.safetensors"):
        build_tiny_upscaler(models_dir)
    for relative in (TINY_SDXL_FOLDER, f"{TINY_SDXL_FOLDER}.safetensors", "tiny-sd1.safetensors", "vae/tiny-vae",
                     "vae/tiny-vae.safetensors", "loras/tiny-lora.safetensors", "controlnet/tiny-controlnet",
                     "controlnet/tiny-controlnet.safetensors", "upscalers/tiny-upscaler.safetensors"):
        written.append(models_dir / relative)
    # issue 10: refiner, SDXL VAE/LoRA/ControlNet, second LoRA and ControlNet, x4 upscaler (generation.tiny_enhanced)
    from devserver.generation.tiny_enhanced import build_enhanced_tiny

    written += build_enhanced_tiny(models_dir, force=force)
    written += build_tiny_families(models_dir, force=force)
    return written


__all__ = ["TINY_FAMILY_FOLDERS", "TINY_SD_FOLDER", "TINY_SDXL_FOLDER", "build_all_tiny", "build_tiny_families",
           "build_tiny_controlnet", "build_tiny_lora",
           "build_tiny_sd1_file", "build_tiny_sdxl", "build_tiny_upscaler", "build_tiny_vae", "randomize_zero_convs"]
