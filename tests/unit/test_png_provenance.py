"""PNG provenance: AUTOMATIC1111 infotext, the two text chunks, and reading them back."""

from __future__ import annotations

import io
import json
import struct

import pytest
from PIL import Image

from devserver.generation.png import encode_png, format_parameters, read_png_text


def chunk_types(data: bytes) -> list[str]:
    """The chunk types of a PNG file in order (PNG spec: 8-byte signature, then length/type/data/CRC)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    types, offset = [], 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset:offset + 4])
        types.append(data[offset + 4:offset + 8].decode("ascii"))
        offset += 12 + length
    return types


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        pytest.param(
            dict(prompt="a red fox", negative_prompt="blurry, text", steps=20, scheduler="DDIM", cfg=7.5, seed=123,
                 width=512, height=512, model="tiny_sd"),
            "a red fox\nNegative prompt: blurry, text\n"
            "Steps: 20, Sampler: DDIM, CFG scale: 7.5, Seed: 123, Size: 512x512, Model: tiny_sd",
            id="txt2img_with_negative",
        ),
        pytest.param(
            dict(prompt="a red fox", negative_prompt="", steps=4, scheduler="EulerDiscrete", cfg=7, seed=4294967295,
                 width=768, height=512, model="sdxl_turbo"),
            "a red fox\nSteps: 4, Sampler: EulerDiscrete, CFG scale: 7.0, Seed: 4294967295, Size: 768x512, "
            "Model: sdxl_turbo",
            id="no_negative_line_when_empty",
        ),
        pytest.param(
            dict(prompt="ein Fuchs\nim Schnee", negative_prompt="", steps=20, scheduler="PNDM", cfg=7.5, seed=1,
                 width=512, height=344, model="tiny_sd", strength=0.75),
            "ein Fuchs\nim Schnee\n"
            "Steps: 20, Sampler: PNDM, CFG scale: 7.5, Seed: 1, Size: 512x344, Model: tiny_sd, "
            "Denoising strength: 0.75",
            id="img2img_strength_multiline_prompt",
        ),
    ],
)
def test_format_parameters(kwargs: dict, expected: str) -> None:
    assert format_parameters(**kwargs) == expected


@pytest.mark.parametrize(
    "prompt",
    [
        pytest.param("a red fox", id="ascii"),
        pytest.param("Äpfel über Öfen", id="latin1"),
        pytest.param("a fox 🦊 in 雪", id="beyond_latin1"),
    ],
)
def test_encode_png_round_trips_text_and_pixels(prompt: str) -> None:
    image = Image.new("RGB", (24, 16))
    image.putdata([(x * 10, y * 15, 99) for y in range(16) for x in range(24)])
    parameters = format_parameters(prompt, "", 2, "PNDM", 7.5, 5, 24, 16, "tiny_sd")
    meta = {"run_id": "3f0b4b1e-8a4e-4c56-9d43-7a5c1b2e9f10", "output_config": "tiny_sd",
            "stages": {"stage2": {"text": prompt}}}

    data = encode_png(image, parameters=parameters, devserver_meta=meta)

    text = read_png_text(data)
    assert text == {"parameters": parameters, "devserver": json.dumps(meta, separators=(",", ":"),
                                                                       ensure_ascii=False)}
    assert json.loads(text["devserver"]) == meta
    with Image.open(io.BytesIO(data)) as decoded:
        assert decoded.format == "PNG" and decoded.size == (24, 16)
        assert decoded.convert("RGB").tobytes() == image.tobytes()


def test_encode_png_writes_only_the_two_text_chunks() -> None:
    image = Image.new("RGB", (8, 8), "orange")
    image.info.update(icc_profile=b"\0" * 128, dpi=(300, 300), comment="from the camera")

    data = encode_png(image, parameters="p", devserver_meta={"run_id": "x"})

    types = chunk_types(data)
    assert types[0] == "IHDR" and types[-1] == "IEND"
    assert [t for t in types if t not in ("IHDR", "IDAT", "IEND")] == ["tEXt", "tEXt"]
    assert set(read_png_text(data)) == {"parameters", "devserver"}


def test_read_png_text_refuses_other_formats() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, format="JPEG")

    with pytest.raises(ValueError, match="expected a PNG file, got JPEG"):
        read_png_text(buffer.getvalue())
