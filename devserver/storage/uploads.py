"""Uploaded images: refuse what is unsafe, normalise the rest to a clean sRGB PNG, store it.

An upload (``POST /api/media/upload/image``, DESIGN.md) goes through these steps, all in memory:

1. read at most ``max_bytes + 1`` bytes (more is a 413);
2. identify the real format from the bytes with Pillow's PNG, JPEG and WEBP openers (the file name
   and content type are never trusted); anything else Pillow (or a signature check for SVG/HEIC)
   recognises is a 415 naming the format, anything unreadable a 400;
3. refuse decompression bombs from the header's pixel count, before any pixel is decoded;
4. decode (large JPEGs at a reduced DCT scale, ``Image.draft``), apply the EXIF orientation,
   convert to RGB (alpha flattened on white, palette/1-bit/16-bit/CMYK handled, an embedded
   ICC profile converted to sRGB), downscale so the longest side is at most ``max_side_px``;
5. encode a PNG without any metadata (no EXIF, GPS, XMP, ICC or text chunks: children's photos
   carry GPS positions) and write it atomically as ``<root>/<image_id>.png``.

Nothing touches the disk before step 5, so a refused upload leaves nothing behind.
"""

from __future__ import annotations

import base64
import binascii
import io
import logging
import struct
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, NoReturn

from PIL import ExifTags, Image, ImageCms, ImageFile, ImageOps, JpegImagePlugin, PngImagePlugin, WebPImagePlugin

from devserver.errors import UnsupportedMediaTypeError, UploadInvalidError, UploadNotFoundError, UploadTooLargeError
from devserver.storage.atomic import write_bytes_atomic
from devserver.storage.ids import new_id, validate_id

log = logging.getLogger(__name__)

ACCEPTED_FORMATS = ("PNG", "JPEG", "WEBP")
"""Formats an upload may have, as Pillow names them (``Image.format``)."""

_OPENERS: dict[str, type[ImageFile.ImageFile]] = {
    "PNG": PngImagePlugin.PngImageFile,
    "JPEG": JpegImagePlugin.JpegImageFile,
    "WEBP": WebPImagePlugin.WebPImageFile,
}
"""Pillow's own opener per accepted format. Called directly rather than through ``Image.open``,
which applies Pillow's process-wide ``MAX_IMAGE_PIXELS`` check (a warning or an error, depending on
the size) before we can apply ``upload_max_pixels`` and name the pixel count. Each opener reads
only the header and raises ``SyntaxError`` when the bytes are not its format. Multi-picture JPEGs
(MPO, from phones and stereo cameras) open as JPEG with their primary picture."""

_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error)
"""What Pillow raises for damaged or truncated image data."""

_SIXTEEN_BIT_GREY_MODES = frozenset({"I;16", "I;16B", "I;16L", "I;16N", "I"})
"""Greyscale modes with 16-bit samples (16-bit PNGs open as ``I;16``); scaled to 8 bits, not clipped."""

_SWAPPING_ORIENTATIONS = frozenset({5, 6, 7, 8})
"""EXIF orientations that exchange width and height (transpose, rotations by 90 degrees, transverse)."""

_ICC_COLOUR_SPACES = {"RGB": "RGB ", "L": "GRAY", "CMYK": "CMYK"}
"""Image mode -> ICC colour-space signature (ICC.1:2022 table 19) an embedded profile must have to apply."""

_HEIF_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"})
"""ISO-BMFF ``ftyp`` major brands of HEIF/HEIC files (ISO/IEC 23008-12), which Pillow cannot read."""

_RESIZE_REDUCING_GAP = 3.0
"""Pillow's resize docs: with ``reducing_gap`` >= 3.0 the result is "indistinguishable from fair
resampling in most cases", while the integer pre-reduction makes large downscales much faster."""

_PNG_COMPRESS_LEVEL = 1
"""zlib level of stored PNGs: measured on a 1024x683 photo, level 1 takes ~50 ms for a file ~9 %
larger than Pillow's default level 6 (~220 ms); the files are short-lived working copies."""

_WHITE_RGBA = (255, 255, 255, 255)


@dataclass(frozen=True)
class StoredUpload:
    """A normalised upload on disk.

    Attributes:
        image_id: UUID4 string from :func:`devserver.storage.ids.new_id`.
        path: ``<root>/<image_id>.png``.
        original_size: (width, height) in pixels after the EXIF orientation, before resizing.
        resized_size: (width, height) in pixels of the stored PNG.
        file_size_bytes: size of the stored PNG in bytes.
        source_format: the detected format of the upload: ``"PNG"``, ``"JPEG"`` or ``"WEBP"``.
    """

    image_id: str
    path: Path
    original_size: tuple[int, int]
    resized_size: tuple[int, int]
    file_size_bytes: int
    source_format: str


class UploadStore:
    """Normalises uploaded images and keeps them as ``<root>/<image_id>.png`` (``exports/uploads_tmp``).

    Args:
        root: folder of stored uploads; created on the first successful upload.
        max_bytes: largest accepted upload, in bytes (``Settings.upload_max_bytes``).
        max_side_px: longest side of a stored image, in pixels (``Settings.upload_max_side_px``).
        max_pixels: decompression-bomb limit, width x height (``Settings.upload_max_pixels``).
        retention_s: stored uploads older than this many seconds are deleted (children's photos are not
            kept longer than needed; a run keeps its own copy of the image it used). None keeps them.
    """

    def __init__(self, root: Path, *, max_bytes: int, max_side_px: int, max_pixels: int,
                 retention_s: float | None = None) -> None:
        self.root = root
        self.max_bytes = max_bytes
        self.max_side_px = max_side_px
        self.max_pixels = max_pixels
        self.retention_s = retention_s

    def purge_expired(self, now: float | None = None) -> int:
        """Delete stored uploads whose file is older than ``retention_s`` (by modification time).

        Args:
            now: the current time as a Unix timestamp in seconds; default ``time.time()``.
        Returns:
            how many files were deleted (0 when retention is off or the folder does not exist).
        """
        if self.retention_s is None or not self.root.is_dir():
            return 0
        cutoff = (time.time() if now is None else now) - self.retention_s
        deleted = 0
        for path in self.root.glob("*.png"):
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    deleted += 1
            except FileNotFoundError:  # deleted meanwhile by another request
                continue
        return deleted

    def save(self, stream: BinaryIO, filename: str | None = None) -> StoredUpload:
        """Read, validate, normalise and store one uploaded image.

        Args:
            stream: the upload's bytes (a werkzeug ``FileStorage.stream`` or any binary file);
                at most ``max_bytes + 1`` bytes are read.
            filename: the client's name for the file; never used to decide the format, only
                reported back in the ``details`` of an error as ``filename``.
        Returns:
            the stored upload.
        Raises:
            UploadTooLargeError (413): more than ``max_bytes`` bytes.
            UploadInvalidError (400): empty, damaged, truncated or not an image; with code
                ``image_too_large`` for a decompression bomb.
            UnsupportedMediaTypeError (415): an image in a format other than PNG, JPEG or WEBP.
            OSError: the store folder cannot be written (nothing partial is left behind).
        Nothing is written when an error is raised.
        """
        # 1. read, bounded
        data = _read_at_most(stream, self.max_bytes + 1)
        if len(data) > self.max_bytes:
            raise UploadTooLargeError(
                f"The uploaded file is larger than the limit of {self.max_bytes / 2**20:.3g} MB "
                f"({self.max_bytes} bytes).",
                details=_with_filename({"limit_bytes": self.max_bytes}, filename),
            )
        # 2. validate and normalise, in memory
        try:
            image, original_size, source_format = normalize_image(
                data, max_side_px=self.max_side_px, max_pixels=self.max_pixels
            )
        except (UploadInvalidError, UnsupportedMediaTypeError) as exc:
            exc.details = _with_filename(exc.details, filename)
            raise
        # 3. encode and store atomically (and let expired uploads go)
        self.purge_expired()
        png = _encode_png(image)
        image_id = new_id()
        path = self.root / f"{image_id}.png"
        self.root.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(path, png)
        return StoredUpload(
            image_id=image_id,
            path=path,
            original_size=original_size,
            resized_size=image.size,
            file_size_bytes=len(png),
            source_format=source_format,
        )

    def decode_base64(self, text: str, *, field: str) -> Image.Image:
        """An image sent inline as base64 (the seed-002 job API), checked and normalised exactly like an upload,
        kept in memory (nothing is written).

        Args:
            text: base64 of a PNG, JPEG or WEBP file (standard alphabet, padding optional, whitespace ignored), or a
                ``data:image/...;base64,`` URL.
            field: the request field, named in errors (e.g. ``operation.image``).
        Returns:
            the normalised RGB image (EXIF orientation applied, alpha flattened on white, longest side at most
            ``max_side_px``).
        Raises:
            UploadTooLargeError (413): more than ``max_bytes`` decoded bytes (refused from the text's length first).
            UploadInvalidError (400): not base64, or not a readable image (``image_too_large`` for a bomb).
            UnsupportedMediaTypeError (415): an image in another format.
        """
        if text.startswith("data:"):
            header, _, text = text.partition(",")
            if not header.endswith(";base64"):
                raise UploadInvalidError(f"{field}: a data URL must be base64-encoded (data:image/png;base64,...)",
                                         details={"field": field})
        compact = "".join(text.split())
        if len(compact) > 4 * ((self.max_bytes + 2) // 3):  # refused before decoding: base64 of max_bytes
            raise UploadTooLargeError(
                f"{field}: the image is larger than the limit of {self.max_bytes / 2**20:.3g} MB ({self.max_bytes} "
                "bytes).", details={"field": field, "limit_bytes": self.max_bytes})
        try:
            data = base64.b64decode(compact + "=" * (-len(compact) % 4), validate=True)
        except (binascii.Error, ValueError):
            raise UploadInvalidError(f"{field}: not valid base64 (standard alphabet A-Z a-z 0-9 + /)",
                                     details={"field": field}) from None
        if len(data) > self.max_bytes:
            raise UploadTooLargeError(
                f"{field}: the image is larger than the limit of {self.max_bytes / 2**20:.3g} MB ({self.max_bytes} "
                "bytes).", details={"field": field, "limit_bytes": self.max_bytes})
        try:
            image, _, _ = normalize_image(data, max_side_px=self.max_side_px, max_pixels=self.max_pixels)
        except (UploadInvalidError, UnsupportedMediaTypeError) as exc:
            exc.message = f"{field}: {exc.message}"
            exc.details = {**exc.details, "field": field}
            raise
        return image

    def path_for(self, image_id: str) -> Path:
        """The stored PNG of `image_id`.

        Raises:
            InvalidIdError (400): `image_id` is not a UUID4 string (checked before any filesystem access).
            UploadNotFoundError (404): no stored upload with this id.
        """
        validate_id(image_id, "image_id")
        path = self.root / f"{image_id}.png"
        if not path.is_file():
            raise UploadNotFoundError(f"No uploaded image with image_id {image_id!r}.", details={"image_id": image_id})
        return path

    def open_rgb(self, image_id: str) -> Image.Image:
        """The stored upload as a loaded RGB image (the file is closed again), e.g. for img2img.

        Raises:
            InvalidIdError (400), UploadNotFoundError (404): as :meth:`path_for`.
        """
        with Image.open(self.path_for(image_id), formats=["PNG"]) as stored:
            return stored.convert("RGB")


def normalize_image(data: bytes, *, max_side_px: int, max_pixels: int) -> tuple[Image.Image, tuple[int, int], str]:
    """Turn the bytes of a PNG, JPEG or WEBP file into a clean RGB image; pure, no disk access.

    Steps: identify the format from the bytes; refuse more than `max_pixels` pixels from the
    header; decode (a JPEG larger than needed at a reduced DCT scale via ``Image.draft``, then a
    Lanczos resize to the exact size); apply the EXIF orientation; convert to RGB (alpha and
    single-colour transparency flattened on white, 16-bit greyscale scaled to 8 bits, an embedded
    ICC profile converted to sRGB); downscale so the longest side is `max_side_px`, keeping the
    aspect ratio. The result carries no metadata (its ``info`` is empty).

    Args:
        data: the complete file.
        max_side_px: limit of the longer side of the result, in pixels; smaller images keep their size.
        max_pixels: largest accepted width x height of the file (decompression-bomb limit).
    Returns:
        (RGB image, original (width, height) after EXIF orientation, detected format
        ``"PNG" | "JPEG" | "WEBP"``).
    Raises:
        UploadInvalidError (400, code ``upload_invalid``): empty, damaged, truncated, zero-sized or not an image.
        UploadInvalidError (400, code ``image_too_large``): more than `max_pixels` pixels.
        UnsupportedMediaTypeError (415): an image in another format (GIF, TIFF, BMP, SVG, HEIC, AVIF, ...).
    """
    # 1. identify from the bytes and check the header's pixel count
    if not data:
        raise UploadInvalidError("The uploaded file is empty.")
    source_format, image = _open_accepted(data, max_pixels)
    raw_size = image.size
    # 2. decode, at a reduced scale where the format allows it (JPEG), and apply the EXIF orientation
    draft_size = _fit_within(raw_size, max_side_px)
    try:
        if draft_size != raw_size:
            image.draft("RGB", draft_size)  # JPEG: DCT scaling to >= draft_size; other formats: no-op
        swaps_sides = image.getexif().get(ExifTags.Base.Orientation, 1) in _SWAPPING_ORIENTATIONS
        image.load()
        ImageOps.exif_transpose(image, in_place=True)
    except _DECODE_ERRORS as exc:
        raise UploadInvalidError(
            f"The uploaded {source_format} image is damaged or truncated and cannot be decoded.",
            details={"format": source_format, "exception_type": type(exc).__name__},
        ) from exc
    original_size = (raw_size[1], raw_size[0]) if swaps_sides else raw_size
    # 3. convert to RGB and downscale to the exact target size
    rgb = _to_rgb(image)
    target = _fit_within(original_size, max_side_px)
    if rgb.size != target:
        rgb = rgb.resize(target, Image.Resampling.LANCZOS, reducing_gap=_RESIZE_REDUCING_GAP)
    rgb.info = {}
    return rgb, original_size, source_format


def _read_at_most(stream: BinaryIO, limit: int) -> bytes:
    """Up to `limit` bytes of `stream` (fewer at end of file); loops because raw streams may return short reads."""
    chunks = []
    remaining = limit
    while remaining > 0:
        chunk = stream.read(min(remaining, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _with_filename(details: dict, filename: str | None) -> dict:
    """`details` plus the client's file name (base name, at most 200 characters) when there is one."""
    if not filename:
        return details
    return {**details, "filename": filename.replace("\\", "/").rsplit("/", 1)[-1][:200]}


def _fit_within(size: tuple[int, int], max_side_px: int) -> tuple[int, int]:
    """(width, height) scaled so the longer side is `max_side_px`, aspect kept; `size` if it already fits."""
    width, height = size
    longest = max(width, height)
    if longest <= max_side_px:
        return size
    return (
        max(1, round(width * max_side_px / longest)),
        max(1, round(height * max_side_px / longest)),
    )


def _check_pixels(size: tuple[int, int], max_pixels: int) -> None:
    """Raise UploadInvalidError(code "image_too_large") when width x height exceeds `max_pixels`."""
    width, height = size
    if width * height > max_pixels:
        raise UploadInvalidError(
            f"The image is {width} x {height} = {width * height:,} pixels, more than the limit of "
            f"{max_pixels:,} pixels.",
            code="image_too_large",
            details={"width": width, "height": height, "pixels": width * height, "limit_pixels": max_pixels},
        )


def _webp_canvas_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a WEBP file's first chunk header, or None when `data` is not WEBP.

    Pillow's WEBP opener allocates the whole canvas as soon as it opens a file, so the pixel
    count has to be read before it runs. Field layout from the WebP container specification
    (https://developers.google.com/speed/webp/docs/riff_container) and RFC 6386 section 9.1 (VP8).
    """
    if len(data) < 30 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        return None
    chunk = data[12:16]
    if chunk == b"VP8X":  # 24-bit canvas width-1 and height-1
        return int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1
    if chunk == b"VP8L" and data[20] == 0x2F:  # 14-bit width-1 and height-1 after the signature byte
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8 " and data[23:26] == b"\x9d\x01\x2a":  # 14-bit width and height after the start code
        return int.from_bytes(data[26:28], "little") & 0x3FFF, int.from_bytes(data[28:30], "little") & 0x3FFF
    return None


def _open_accepted(data: bytes, max_pixels: int) -> tuple[str, ImageFile.ImageFile]:
    """Open `data` lazily (header only) as PNG, JPEG or WEBP and check its pixel count.

    Returns:
        (format name, the opened image, not yet decoded).

    Raises:
        UploadInvalidError: bomb (``image_too_large``), damaged header or not an image.
        UnsupportedMediaTypeError: a readable image in another format.
    """
    webp_size = _webp_canvas_size(data)
    if webp_size is not None:
        _check_pixels(webp_size, max_pixels)
    for fmt, opener in _OPENERS.items():
        try:
            image = opener(io.BytesIO(data))
        except SyntaxError:  # Pillow's "not this format" (or a header it cannot parse)
            continue
        except Image.DecompressionBombError as exc:  # only where max_pixels exceeds Pillow's own hard limit
            raise UploadInvalidError(
                f"The {fmt} image has too many pixels to open safely.", code="image_too_large",
                details={"format": fmt, "exception_type": type(exc).__name__}) from exc
        except _DECODE_ERRORS as exc:
            raise UploadInvalidError(
                f"The uploaded {fmt} image is damaged and cannot be read.",
                details={"format": fmt, "exception_type": type(exc).__name__},
            ) from exc
        _check_pixels(image.size, max_pixels)
        return fmt, image
    _refuse_unaccepted(data)


def _refuse_unaccepted(data: bytes) -> NoReturn:
    """Raise the error for bytes that are not a readable PNG, JPEG or WEBP file.

    Raises:
        UnsupportedMediaTypeError (415): Pillow (or a signature check) recognises another format.
        UploadInvalidError (400): nothing recognises the bytes.
    """
    accepted = f"{', '.join(ACCEPTED_FORMATS[:-1])} and {ACCEPTED_FORMATS[-1]}"
    details: dict = {"accepted_formats": list(ACCEPTED_FORMATS)}
    try:
        detected = _identify_refused_format(data)
    except Image.DecompressionBombError as exc:
        raise UnsupportedMediaTypeError(
            f"The uploaded file is an image in an unsupported format, too large to identify safely; "
            f"accepted formats are {accepted}.",
            details={**details, "detected_format": None},
        ) from exc
    if detected is None:
        raise UploadInvalidError(
            f"The uploaded file is not a readable image (it is damaged, truncated or not an image); "
            f"accepted formats are {accepted}.",
            details=details,
        )
    raise UnsupportedMediaTypeError(
        f"The uploaded file is in {detected} format; accepted formats are {accepted}.",
        details={**details, "detected_format": detected},
    )


def _identify_refused_format(data: bytes) -> str | None:
    """Name of the image format of `data` (``"GIF"``, ``"TIFF"``, ``"SVG"``, ``"HEIC"``, ...), None if unknown.

    Raises:
        Image.DecompressionBombError: Pillow recognised an image above its own hard pixel limit.
    """
    # Pillow's process-wide bomb check runs inside Image.open; the file is refused either way,
    # so its warning is silenced here and its error left to the caller. catch_warnings swaps
    # process-global state (not thread-safe before Python 3.14), so it is kept to this rare path.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as image:
                return image.format
        except Image.DecompressionBombError:
            raise
        except Exception:  # noqa: BLE001 - Pillow's many plugins fail on foreign bytes in many ways
            pass
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<?xml", b"<svg", b"<!doctype svg", b"<!--")) and b"<svg" in head:
        return "SVG"
    if data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
        return "HEIC"
    return None


def _to_rgb(image: Image.Image) -> Image.Image:
    """A new RGB image showing `image` as it looks on a white page, in sRGB.

    16-bit greyscale is scaled to 8 bits (see :func:`_grey16_to_grey8`); anything with an alpha
    channel, a transparent palette entry or a transparent colour (RGBA, LA, PA, P or RGB with tRNS)
    is composited over white; an embedded ICC profile matching the resulting mode (RGB, greyscale,
    CMYK) is converted to sRGB with littlecms (ImageCms), a profile that cannot be used is logged
    and ignored; everything else (1, L, P, CMYK without profile) uses Pillow's ``convert("RGB")``.
    """
    icc = image.info.get("icc_profile")
    if image.mode in _SIXTEEN_BIT_GREY_MODES:
        image = _grey16_to_grey8(image)
    if image.has_transparency_data:
        rgba = image.convert("RGBA")
        image = Image.alpha_composite(Image.new("RGBA", rgba.size, _WHITE_RGBA), rgba).convert("RGB")
    if icc and image.mode in _ICC_COLOUR_SPACES:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            if source.profile.xcolor_space == _ICC_COLOUR_SPACES[image.mode]:
                return ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"), outputMode="RGB")
            log.info("ignoring an ICC profile for %r on a %s image", source.profile.xcolor_space, image.mode)
        except (OSError, ImageCms.PyCMSError) as exc:
            log.info("ignoring an unusable ICC profile: %s", exc)
    return image.convert("RGB")


def _grey16_to_grey8(image: Image.Image) -> Image.Image:
    """16-bit greyscale (``I;16``, ``I``) as 8-bit ``L``: value / 257, so 65535 -> 255 (Pillow's plain
    conversion clips everything above 255 to white). A PNG tRNS grey value (``info["transparency"]``)
    becomes an alpha channel (``LA``)."""
    wide = image.convert("I")
    grey = wide.point(lambda value: value / 257).convert("L")
    transparent = image.info.get("transparency")
    if isinstance(transparent, int):
        grey.putalpha(wide.point([0 if value == transparent else 255 for value in range(65536)], "L"))
    grey.info = {}
    return grey


def encode_png(image: Image.Image) -> bytes:
    """A normalised image as the PNG an upload is stored as (no metadata chunks); e.g. for a run folder's copy."""
    return _encode_png(image)


def _encode_png(image: Image.Image) -> bytes:
    """PNG bytes of `image` with no ancillary chunks (its ``info`` is empty, no ``pnginfo``/``exif`` given)."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=_PNG_COMPRESS_LEVEL)
    return buffer.getvalue()
