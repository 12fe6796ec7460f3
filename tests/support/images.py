"""Image files for the upload battery, built in memory with Pillow.

Unit, API and browser tests import these makers so that they all test the same files. Most
images show four coloured quadrants (top-left, top-right, bottom-left, bottom-right; see
:data:`QUADRANT_COLOURS`), far enough apart to tell apart after JPEG/WEBP compression, so a test
can check orientation and colour by sampling :func:`quadrant_centres` of the result.

Sizes are (width, height) in pixels. Every maker returns the file's bytes.
"""

from __future__ import annotations

import io
import struct
import zlib

from PIL import ExifTags, Image, ImageCms
from PIL.PngImagePlugin import PngInfo

RED = (220, 40, 40)
GREEN = (40, 170, 70)
BLUE = (40, 70, 210)
YELLOW = (235, 215, 50)
WHITE = (255, 255, 255)
BLACK = (0, 0, 0)
QUADRANT_COLOURS = (RED, GREEN, BLUE, YELLOW)
"""Colours of the quadrants: top-left, top-right, bottom-left, bottom-right."""

DEFAULT_SIZE = (64, 48)

PNG_QUADRANT_VALUES: dict[str, tuple] = {
    "RGB": QUADRANT_COLOURS,
    # left column fully transparent (black underneath), top-right opaque, bottom-right half transparent
    "RGBA": ((0, 0, 0, 0), (*GREEN, 255), (0, 0, 0, 0), (*YELLOW, 128)),
    "LA": ((0, 0), (90, 255), (0, 0), (200, 255)),
    "L": (30, 90, 160, 230),
    "1": (0, 255, 0, 255),
    "P": (0, 1, 2, 3),  # palette indices of QUADRANT_COLOURS
    "I;16": (0, 64 * 257, 128 * 257, 65535),  # 16-bit greys that are 0, 64, 128, 255 at 8 bits
}
"""Quadrant values (in the mode's own terms) that :func:`make_png` paints for each mode."""

GPS_LATITUDE = (52.0, 31.0, 12.0)
"""Degrees, minutes, seconds written by ``make_jpeg(gps=True)`` (the kind of position phones record)."""

_INVERSE_ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}
"""EXIF orientation -> the transpose a camera applied to the scene before storing it, i.e. the
inverse of what a viewer must do (orientation 6: "rotate 90 degrees clockwise to display", so the
stored pixels are the scene rotated 90 degrees counter-clockwise). EXIF 2.32 (CIPA DC-008), tag 0x0112."""


def quadrant_boxes(size: tuple[int, int]) -> tuple[tuple[int, int, int, int], ...]:
    """(left, top, right, bottom) boxes of the four quadrants of an image of `size`."""
    width, height = size
    half_w, half_h = width // 2, height // 2
    return (
        (0, 0, half_w, half_h),
        (half_w, 0, width, half_h),
        (0, half_h, half_w, height),
        (half_w, half_h, width, height),
    )


def quadrant_centres(size: tuple[int, int]) -> tuple[tuple[int, int], ...]:
    """(x, y) pixel at the centre of each quadrant of an image of `size`, in quadrant order."""
    return tuple(((left + right) // 2, (top + bottom) // 2) for left, top, right, bottom in quadrant_boxes(size))


def quadrant_image(size: tuple[int, int] = DEFAULT_SIZE, mode: str = "RGB",
                   values: tuple = QUADRANT_COLOURS) -> Image.Image:
    """An image of `mode` with its four quadrants filled with `values` (colours, greys or palette indices)."""
    image = Image.new(mode, size)
    for value, box in zip(values, quadrant_boxes(size), strict=True):
        image.paste(value, box)
    return image


def encode(image: Image.Image, fmt: str, **params) -> bytes:
    """`image` saved in `fmt` ("PNG", "JPEG", "GIF", "TIFF", "BMP", "AVIF", ...) with Pillow save `params`."""
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **params)
    return buffer.getvalue()


def camera_exif(*, orientation: int | None = None, gps: bool = False) -> Image.Exif:
    """EXIF as a phone writes it: make/model/time, optionally an orientation and a GPS position."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "TestCam"
    exif[ExifTags.Base.Model] = "Phone 1"
    exif[ExifTags.Base.DateTime] = "2024:05:06 07:08:09"
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    if gps:
        gps_ifd = exif.get_ifd(ExifTags.IFD.GPSInfo)
        gps_ifd[ExifTags.GPS.GPSLatitudeRef] = "N"
        gps_ifd[ExifTags.GPS.GPSLatitude] = GPS_LATITUDE
        gps_ifd[ExifTags.GPS.GPSLongitudeRef] = "E"
        gps_ifd[ExifTags.GPS.GPSLongitude] = (13.0, 24.0, 36.0)
    return exif


XMP_PACKET = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" dc:creator="Jane Learner"/></rdf:RDF></x:xmpmeta>'
)
"""An XMP packet naming a person, as photo apps embed them."""


def srgb_icc() -> bytes:
    """Bytes of littlecms's built-in sRGB ICC profile."""
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def swapped_primaries_icc() -> bytes:
    """An RGB ICC profile whose red and blue primaries are exchanged (sRGB otherwise).

    Colour-managed conversion to sRGB turns (r, g, b) into about (b, g, r), so a test can tell
    whether an embedded profile was applied. Built by swapping the offsets of the ``rXYZ`` and
    ``bXYZ`` entries in the tag table (ICC.1:2022 section 7.3: count at byte 128, then 12-byte
    entries of signature, offset, size).
    """
    profile = bytearray(srgb_icc())
    (count,) = struct.unpack_from(">I", profile, 128)
    entries = {}
    for index in range(count):
        signature, offset, length = struct.unpack_from(">4sII", profile, 132 + 12 * index)
        entries[signature] = (index, offset, length)
    (red_index, red_offset, red_length), (blue_index, blue_offset, blue_length) = entries[b"rXYZ"], entries[b"bXYZ"]
    struct.pack_into(">4sII", profile, 132 + 12 * red_index, b"rXYZ", blue_offset, blue_length)
    struct.pack_into(">4sII", profile, 132 + 12 * blue_index, b"bXYZ", red_offset, red_length)
    return bytes(profile)


def make_png(mode: str = "RGB", size: tuple[int, int] = DEFAULT_SIZE, *, transparency: bool = False,
             metadata: bool = False, icc_profile: bytes | None = None) -> bytes:
    """A PNG of `mode` painted with :data:`PNG_QUADRANT_VALUES` (``"P"``: a 4-colour palette of
    :data:`QUADRANT_COLOURS`; ``"I;16"``: a 16-bit greyscale PNG).

    Args:
        transparency: add a tRNS chunk making the top-left quadrant's value transparent
            (palette index 0 for ``"P"``, the grey value for ``"L"``/``"I;16"``, the colour for ``"RGB"``).
        metadata: add what a photo app leaves behind: tEXt comment, iTXt XMP, eXIf with a GPS position.
        icc_profile: embed this ICC profile (iCCP chunk).
    """
    image = quadrant_image(size, mode, PNG_QUADRANT_VALUES[mode])
    params: dict = {}
    if mode == "P":
        image.putpalette([channel for colour in QUADRANT_COLOURS for channel in colour])
    if transparency:
        params["transparency"] = PNG_QUADRANT_VALUES[mode][0]
    if metadata:
        info = PngInfo()
        info.add_text("Comment", "Jane's holiday photo")
        info.add_itxt("XML:com.adobe.xmp", XMP_PACKET.decode())
        params["pnginfo"] = info
        params["exif"] = camera_exif(gps=True)
    if icc_profile is not None:
        params["icc_profile"] = icc_profile
    return encode(image, "PNG", **params)


def make_jpeg(size: tuple[int, int] = DEFAULT_SIZE, *, mode: str = "RGB", exif_orientation: int | None = None,
              gps: bool = False, icc_profile: bytes | None = None, quality: int = 95) -> bytes:
    """A JPEG that *displays* as the quadrant image of `size` (width, height).

    Args:
        mode: ``"RGB"``, ``"L"`` (greys 30/90/160/230) or ``"CMYK"`` (the quadrants in Pillow's CMYK,
            written as an Adobe CMYK JPEG).
        exif_orientation: 1-8: store the pixels transposed as a camera would and set the EXIF
            Orientation tag, so a viewer that applies it shows the quadrants the right way up
            (for 5-8 the stored pixels are height x width).
        gps: add camera EXIF with a GPS position (:data:`GPS_LATITUDE`), an XMP packet naming a
            person and a JPEG comment.
        icc_profile: embed this ICC profile (APP2).
    """
    if mode == "L":
        image = quadrant_image(size, "L", PNG_QUADRANT_VALUES["L"])
    else:
        image = quadrant_image(size).convert(mode)
    params: dict = {"quality": quality}
    if exif_orientation in _INVERSE_ORIENTATION:
        image = image.transpose(_INVERSE_ORIENTATION[exif_orientation])
    if exif_orientation is not None or gps:
        params["exif"] = camera_exif(orientation=exif_orientation, gps=gps)
    if gps:
        params["xmp"] = XMP_PACKET
        params["comment"] = b"Jane at the park"
    if icc_profile is not None:
        params["icc_profile"] = icc_profile
    return encode(image, "JPEG", **params)


def make_mpo(size: tuple[int, int] = DEFAULT_SIZE) -> bytes:
    """A multi-picture JPEG (MPO, as phones with several cameras write them): the quadrants as the
    primary picture, then an all-black second picture."""
    return encode(quadrant_image(size), "MPO", save_all=True, append_images=[Image.new("RGB", size)])


def make_webp(size: tuple[int, int] = DEFAULT_SIZE, *, lossless: bool = False, alpha: bool = False) -> bytes:
    """A WEBP of the quadrants (lossy ``VP8 ``, or ``VP8L`` when `lossless`); with `alpha` the left
    column is fully transparent and the file is written with an alpha channel (``VP8X``/``VP8L``)."""
    if alpha:
        image = quadrant_image(size, "RGBA", ((0, 0, 0, 0), (*GREEN, 255), (0, 0, 0, 0), (*YELLOW, 255)))
    else:
        image = quadrant_image(size)
    return encode(image, "WEBP", lossless=lossless, quality=95)


def make_other_format(fmt: str, size: tuple[int, int] = DEFAULT_SIZE) -> bytes:
    """The quadrant image in a format uploads refuse: ``"GIF"``, ``"TIFF"``, ``"BMP"``, ``"AVIF"``, ``"ICO"``, ..."""
    return encode(quadrant_image(size), fmt)


def make_svg(size: tuple[int, int] = DEFAULT_SIZE) -> bytes:
    """A small SVG drawing (a vector image Pillow cannot read)."""
    width, height = size
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}">'
        f'<rect width="{width}" height="{height}" fill="red"/></svg>\n'
    ).encode()


def make_heic_header() -> bytes:
    """The start of a HEIC file (iPhone photos): an ISO-BMFF ``ftyp`` box with brand ``heic``.

    Pillow can neither read nor write HEIC, so this is only the signature plus filler, enough
    for format detection."""
    ftyp = b"ftypheic" + struct.pack(">I", 0) + b"mif1heic"
    return struct.pack(">I", 4 + len(ftyp)) + ftyp + bytes(64)


def truncated(data: bytes, keep: float) -> bytes:
    """The first `keep` fraction (0..1) of `data`, as an interrupted upload leaves it."""
    return data[: int(len(data) * keep)]


def with_claimed_size(data: bytes, size: tuple[int, int]) -> bytes:
    """`data` (PNG, JPEG, VP8X WEBP or GIF) with its header claiming `size` (width, height); the
    pixel data stays as it was, so the file is small but a naive decoder would allocate `size`.

    Header fields: PNG IHDR (PNG spec 11.2.2, CRC recomputed), JPEG SOFn frame header (ITU T.81
    B.2.2), WEBP VP8X canvas (WebP container spec), GIF logical screen descriptor (GIF89a 18).
    """
    width, height = size
    patched = bytearray(data)
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        struct.pack_into(">II", patched, 16, width, height)
        struct.pack_into(">I", patched, 29, zlib.crc32(bytes(patched[12:29])))
    elif data.startswith(b"\xff\xd8"):
        offset = 2
        while True:
            marker, length = struct.unpack_from(">HH", data, offset)
            if 0xFFC0 <= marker <= 0xFFCF and marker not in (0xFFC4, 0xFFC8, 0xFFCC):
                struct.pack_into(">HH", patched, offset + 5, height, width)
                break
            offset += 2 + length
    elif data[:4] == b"RIFF" and data[8:16] == b"WEBPVP8X":
        patched[24:27] = (width - 1).to_bytes(3, "little")
        patched[27:30] = (height - 1).to_bytes(3, "little")
    elif data[:6] in (b"GIF87a", b"GIF89a"):
        struct.pack_into("<HH", patched, 6, width, height)
    else:
        raise ValueError(f"with_claimed_size: unsupported file starting with {data[:16]!r}")
    return bytes(patched)


def png_chunk_types(data: bytes) -> list[str]:
    """Chunk types of a PNG file in order (``["IHDR", "IDAT", "IEND"]`` for one without metadata).

    Layout from the PNG spec section 5.3: 8-byte signature, then chunks of 4-byte length,
    4-byte type, data and 4-byte CRC."""
    types = []
    offset = 8
    while offset < len(data):
        length, kind = struct.unpack_from(">I4s", data, offset)
        types.append(kind.decode("latin-1"))
        offset += 12 + length
    return types
