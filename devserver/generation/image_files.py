"""Image files of a run in the requested format (png, jpeg, webp), each with its provenance inside.

- PNG: the two text chunks of :mod:`devserver.generation.png` (``parameters`` infotext, ``devserver`` JSON).
- JPEG and WebP: the infotext in EXIF ``UserComment`` (tag 0x9286 in the Exif IFD, ``UNICODE\\0`` + UTF-16BE, as
  AUTOMATIC1111 writes it with piexif, so the same tools read it), and the ``devserver`` JSON in an XMP packet
  (``devserver:provenance``), which Pillow writes for both formats (``xmp=``).

:func:`read_provenance` reads both back from any of the three (tests and clients).
"""

from __future__ import annotations

import io
import json
import re
from html import escape, unescape
from typing import Any

from PIL import Image

from devserver.generation.png import encode_png, read_png_text

FORMATS: dict[str, tuple[str, str]] = {"png": ("png", "image/png"), "jpeg": ("jpg", "image/jpeg"),
                                       "webp": ("webp", "image/webp")}
"""output_format -> (file extension, MIME type)."""
MIME_BY_SUFFIX = {f".{ext}": mime for ext, mime in FORMATS.values()}
"""A run file's suffix -> its MIME type (for serving)."""
_EXIF_IFD = 0x8769
_USER_COMMENT = 0x9286
_XMP_ATTRIBUTE = re.compile(rb'devserver:provenance="([^"]*)"')


def _xmp(devserver_meta: dict[str, Any]) -> bytes:
    text = escape(json.dumps(devserver_meta, separators=(",", ":"), ensure_ascii=False), quote=True)
    return ('<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
            '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            '<rdf:Description rdf:about="" xmlns:devserver="https://github.com/devserver/ns/1.0/" '
            f'devserver:provenance="{text}"/></rdf:RDF></x:xmpmeta><?xpacket end="w"?>').encode()


def encode_image(image: Image.Image, output_format: str, quality: int, *, parameters: str,
                 devserver_meta: dict[str, Any]) -> tuple[bytes, str, str]:
    """Encode `image` as `output_format` with its provenance.

    Args:
        image: the RGB image.
        output_format: png, jpeg or webp.
        quality: jpeg/webp quality 1-100 (ignored for png, which is lossless).
        parameters: the infotext (:func:`devserver.generation.png.format_parameters`).
        devserver_meta: JSON-serialisable provenance.
    Returns:
        (file bytes, file extension without dot, MIME type).
    Raises:
        KeyError: an unknown format.
    """
    ext, mime = FORMATS[output_format]
    if output_format == "png":
        return encode_png(image, parameters=parameters, devserver_meta=devserver_meta), ext, mime
    exif = Image.Exif()
    exif.get_ifd(_EXIF_IFD)[_USER_COMMENT] = b"UNICODE\0" + parameters.encode("utf-16-be")
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="JPEG" if output_format == "jpeg" else "WEBP", quality=int(quality),
                              exif=exif, xmp=_xmp(devserver_meta))
    return buffer.getvalue(), ext, mime


def read_provenance(data: bytes) -> tuple[str | None, dict[str, Any] | None]:
    """The (infotext, devserver JSON) an image file carries, None where absent.

    Raises:
        PIL.UnidentifiedImageError: `data` is not an image.
    """
    with Image.open(io.BytesIO(data)) as image:
        if image.format == "PNG":
            text = read_png_text(data)
            meta = text.get("devserver")
            return text.get("parameters"), json.loads(meta) if meta else None
        comment = image.getexif().get_ifd(_EXIF_IFD).get(_USER_COMMENT)
        parameters = None
        if isinstance(comment, bytes) and comment.startswith(b"UNICODE\0"):
            parameters = comment[8:].decode("utf-16-be")
        elif isinstance(comment, str):
            parameters = comment
        xmp = image.info.get("xmp")
    found = _XMP_ATTRIBUTE.search(xmp if isinstance(xmp, bytes) else (xmp or "").encode("utf-8"))
    return parameters, json.loads(unescape(found.group(1).decode("utf-8"))) if found else None
