"""Diffusers -> original (LDM / SGM) key names, to write single-file checkpoints like the ones people download.

Single ``.safetensors`` checkpoints of Stable Diffusion 1.x and SDXL keep the key names of the original
Stability repositories (``model.diffusion_model.input_blocks.1.0.in_layers.0.weight``,
``first_stage_model.encoder.down.0.block.0.norm1.weight``, ``cond_stage_model.transformer.text_model.*``,
``conditioner.embedders.1.model.transformer.resblocks.0.attn.in_proj_weight``). diffusers reads them with
``from_single_file``; this module writes them, so the tiny test models exist in that format too. The mapping
is the inverse of diffusers' ``convert_ldm_unet_checkpoint`` / ``convert_ldm_vae_checkpoint`` / OpenCLIP
conversion (diffusers ``scripts/convert_diffusers_to_original_stable_diffusion.py`` and
``scripts/convert_diffusers_to_original_sdxl.py`` state the same tables).

Only used by the tiny builders; torch tensors in, torch tensors out (the caller imports torch).
"""

from __future__ import annotations

import re
from typing import Any

_RESNET = [("norm1", "in_layers.0"), ("conv1", "in_layers.2"), ("norm2", "out_layers.0"), ("conv2", "out_layers.3"),
           ("time_emb_proj", "emb_layers.1"), ("conv_shortcut", "skip_connection")]
_TOP = {"time_embedding.linear_1": "time_embed.0", "time_embedding.linear_2": "time_embed.2",
        "conv_in": "input_blocks.0.0", "conv_norm_out": "out.0", "conv_out": "out.2",
        "add_embedding.linear_1": "label_emb.0.0", "add_embedding.linear_2": "label_emb.0.2"}


def _resnet(rest: str) -> str:
    for hf, sd in _RESNET:
        if rest.startswith(hf + "."):
            return sd + rest[len(hf):]
    return rest


def unet_to_ldm(state: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
    """Rename a diffusers ``UNet2DConditionModel`` state dict to LDM names under ``model.diffusion_model.``.

    Args:
        state: the UNet's ``state_dict()``.
        config: its config (``layers_per_block``, ``up_block_types``).
    Returns:
        a new dict with LDM key names (tensors shared, not copied).
    """
    layers = config["layers_per_block"]
    up_has_attention = ["CrossAttn" in name for name in config["up_block_types"]]
    out: dict[str, Any] = {}
    for key, value in state.items():
        name = None
        for hf, sd in _TOP.items():
            if key.startswith(hf + "."):
                name = sd + key[len(hf):]
        if name is None and (m := re.match(r"down_blocks\.(\d+)\.(resnets|attentions)\.(\d+)\.(.*)", key)):
            i, kind, j, rest = int(m[1]), m[2], int(m[3]), m[4]
            block = (layers + 1) * i + j + 1
            name = f"input_blocks.{block}.0.{_resnet(rest)}" if kind == "resnets" else f"input_blocks.{block}.1.{rest}"
        elif name is None and (m := re.match(r"down_blocks\.(\d+)\.downsamplers\.0\.conv\.(.*)", key)):
            name = f"input_blocks.{(layers + 1) * (int(m[1]) + 1)}.0.op.{m[2]}"
        elif name is None and (m := re.match(r"up_blocks\.(\d+)\.(resnets|attentions)\.(\d+)\.(.*)", key)):
            i, kind, j, rest = int(m[1]), m[2], int(m[3]), m[4]
            block = (layers + 1) * i + j
            name = (f"output_blocks.{block}.0.{_resnet(rest)}" if kind == "resnets"
                    else f"output_blocks.{block}.1.{rest}")
        elif name is None and (m := re.match(r"up_blocks\.(\d+)\.upsamplers\.0\.(.*)", key)):
            i = int(m[1])
            name = f"output_blocks.{(layers + 1) * i + layers}.{2 if up_has_attention[i] else 1}.{m[2]}"
        elif name is None and (m := re.match(r"mid_block\.resnets\.(\d+)\.(.*)", key)):
            name = f"middle_block.{2 * int(m[1])}.{_resnet(m[2])}"
        elif name is None and key.startswith("mid_block.attentions.0."):
            name = "middle_block.1." + key[len("mid_block.attentions.0."):]
        if name is None:
            raise ValueError(f"no LDM name for UNet key {key!r}")
        out["model.diffusion_model." + name] = value
    return out


def vae_to_ldm(state: dict[str, Any]) -> dict[str, Any]:
    """Rename a diffusers ``AutoencoderKL`` state dict (4 blocks) to LDM names under ``first_stage_model.``.

    The mid-block attention's linear projections become 1x1 convolutions, as in the original files.
    """
    out: dict[str, Any] = {}
    blocks = 1 + max(int(m[1]) for k in state if (m := re.match(r"decoder\.up_blocks\.(\d+)\.", k)))
    for key, value in state.items():
        n = key
        n = re.sub(r"encoder\.down_blocks\.(\d+)\.resnets\.(\d+)\.", r"encoder.down.\1.block.\2.", n)
        n = re.sub(r"encoder\.down_blocks\.(\d+)\.downsamplers\.0\.", r"encoder.down.\1.downsample.", n)
        n = re.sub(r"decoder\.up_blocks\.(\d+)\.resnets\.(\d+)\.",
                   lambda m: f"decoder.up.{blocks - 1 - int(m[1])}.block.{m[2]}.", n)
        n = re.sub(r"decoder\.up_blocks\.(\d+)\.upsamplers\.0\.",
                   lambda m: f"decoder.up.{blocks - 1 - int(m[1])}.upsample.", n)
        n = re.sub(r"mid_block\.resnets\.(\d+)\.", lambda m: f"mid.block_{int(m[1]) + 1}.", n)
        n = n.replace("mid_block.attentions.0.", "mid.attn_1.")
        n = n.replace("conv_shortcut", "nin_shortcut").replace("conv_norm_out", "norm_out")
        if ".attn_1." in n:
            n = (n.replace("group_norm.", "norm.").replace("to_q.", "q.").replace("to_k.", "k.")
                 .replace("to_v.", "v.").replace("to_out.0.", "proj_out."))
            if value.ndim == 2:
                value = value[:, :, None, None]
        out["first_stage_model." + n] = value.contiguous()
    return out


def clip_to_ldm(state: dict[str, Any], prefix: str) -> dict[str, Any]:
    """A transformers ``CLIPTextModel`` state dict under `prefix` + ``text_model.`` (SD 1.x / SDXL encoder 1)."""
    out = {}
    for key, value in state.items():
        key = key[len("text_model."):] if key.startswith("text_model.") else key
        out[f"{prefix}text_model.{key}"] = value
    return out


def open_clip_to_ldm(state: dict[str, Any], prefix: str) -> dict[str, Any]:
    """A transformers ``CLIPTextModelWithProjection`` state dict in OpenCLIP names under `prefix` (SDXL encoder 2).

    q/k/v projections are concatenated into ``attn.in_proj_weight``; ``text_projection`` is transposed.
    """
    import torch

    state = {(k[len("text_model."):] if k.startswith("text_model.") else k): v for k, v in state.items()}
    out: dict[str, Any] = {
        prefix + "token_embedding.weight": state["embeddings.token_embedding.weight"],
        prefix + "positional_embedding": state["embeddings.position_embedding.weight"],
        prefix + "ln_final.weight": state["final_layer_norm.weight"],
        prefix + "ln_final.bias": state["final_layer_norm.bias"],
        prefix + "text_projection": state["text_projection.weight"].T.contiguous(),
    }
    layers = 1 + max(int(m[1]) for k in state if (m := re.match(r"encoder\.layers\.(\d+)\.", k)))
    for i in range(layers):
        src, dst = f"encoder.layers.{i}.", f"{prefix}transformer.resblocks.{i}."
        for kind in ("weight", "bias"):
            out[f"{dst}attn.in_proj_{kind}"] = torch.cat(
                [state[f"{src}self_attn.{p}_proj.{kind}"] for p in ("q", "k", "v")]).contiguous()
            out[f"{dst}attn.out_proj.{kind}"] = state[f"{src}self_attn.out_proj.{kind}"]
            out[f"{dst}ln_1.{kind}"] = state[f"{src}layer_norm1.{kind}"]
            out[f"{dst}ln_2.{kind}"] = state[f"{src}layer_norm2.{kind}"]
            out[f"{dst}mlp.c_fc.{kind}"] = state[f"{src}mlp.fc1.{kind}"]
            out[f"{dst}mlp.c_proj.{kind}"] = state[f"{src}mlp.fc2.{kind}"]
    return out
