"""The upload battery for devserver.storage.uploads: every format and mode an upload may come in,
and every refusal (DESIGN.md, ``POST /api/media/upload/image``).

Accepted files must come out as an RGB PNG of the right size and colours with no metadata;
refused files must raise the documented error and leave nothing on disk.
"""

from __future__ import annotations

import io

import pytest
from PIL import ExifTags, Image, ImageChops, ImageStat

from devserver.errors import (
    ApiError,
    InvalidIdError,
    UnsupportedMediaTypeError,
    UploadInvalidError,
    UploadNotFoundError,
    UploadTooLargeError,
)
from devserver.settings import Settings
from devserver.storage.ids import is_uuid4, new_id
from devserver.storage.uploads import StoredUpload, UploadStore, _webp_canvas_size, normalize_image
from tests.support.images import (
    BLACK,
    BLUE,
    DEFAULT_SIZE,
    GPS_LATITUDE,
    GREEN,
    QUADRANT_COLOURS,
    WHITE,
    YELLOW,
    make_heic_header,
    make_jpeg,
    make_mpo,
    make_other_format,
    make_png,
    make_svg,
    make_webp,
    png_chunk_types,
    quadrant_centres,
    srgb_icc,
    swapped_primaries_icc,
    truncated,
    with_claimed_size,
)

# Pillow's DecompressionBombWarning (or any other warning) escaping the upload code fails the test.
pytestmark = pytest.mark.filterwarnings("error")

DEFAULTS = {
    "max_bytes": Settings.model_fields["upload_max_bytes"].default,
    "max_side_px": Settings.model_fields["upload_max_side_px"].default,
    "max_pixels": Settings.model_fields["upload_max_pixels"].default,
}
"""The limits a server runs with unless the admin changes them (10 MB, 1024 px, 90 MP)."""


def grey(value: int) -> tuple[int, int, int]:
    return (value, value, value)


def over_white(colour: tuple[int, int, int], alpha: int) -> tuple[int, int, int]:
    """`colour` with `alpha` (0-255) composited over white, rounded as Pillow does."""
    return tuple(round((channel * alpha + 255 * (255 - alpha)) / 255) for channel in colour)


def red_blue_swapped(colour: tuple[int, int, int]) -> tuple[int, int, int]:
    return (colour[2], colour[1], colour[0])


def assert_quadrants(image: Image.Image, expected: tuple, tolerance: int) -> None:
    """Each quadrant centre of `image` is within `tolerance` (per channel) of the expected colour."""
    for centre, colour in zip(quadrant_centres(image.size), expected, strict=True):
        actual = image.getpixel(centre)
        assert all(abs(a - e) <= tolerance for a, e in zip(actual, colour, strict=True)), (
            f"pixel {centre}: got {actual}, expected {colour} (+-{tolerance})"
        )


@pytest.fixture
def root(tmp_path):
    """The uploads folder, existing and empty, as in a running server."""
    folder = tmp_path / "uploads_tmp"
    folder.mkdir()
    return folder


@pytest.fixture
def make_store(root):
    """UploadStore on `root` with the default limits; keyword arguments override them."""

    def make(**overrides) -> UploadStore:
        return UploadStore(root, **{**DEFAULTS, **overrides})

    return make


ACCEPTED = [
    pytest.param(make_png("RGB"), "PNG", QUADRANT_COLOURS, 0, id="png_rgb"),
    pytest.param(make_png("RGBA"), "PNG", (WHITE, GREEN, WHITE, over_white(YELLOW, 128)), 1, id="png_rgba_on_white"),
    pytest.param(make_png("LA"), "PNG", (WHITE, grey(90), WHITE, grey(200)), 0, id="png_la_on_white"),
    pytest.param(make_png("L"), "PNG", (grey(30), grey(90), grey(160), grey(230)), 0, id="png_grey"),
    pytest.param(make_png("1"), "PNG", (BLACK, WHITE, BLACK, WHITE), 0, id="png_1bit"),
    pytest.param(make_png("P"), "PNG", QUADRANT_COLOURS, 0, id="png_palette"),
    pytest.param(make_png("P", transparency=True), "PNG", (WHITE, GREEN, BLUE, YELLOW), 0, id="png_palette_trns"),
    pytest.param(make_png("RGB", transparency=True), "PNG", (WHITE, GREEN, BLUE, YELLOW), 0, id="png_rgb_trns"),
    # plain conversion would clip every grey above 255/65535 to white: (0, 255, 255, 255)
    pytest.param(make_png("I;16"), "PNG", (grey(0), grey(64), grey(128), grey(255)), 0, id="png_16bit_grey"),
    pytest.param(make_png("I;16", transparency=True), "PNG", (WHITE, grey(64), grey(128), grey(255)), 0,
                 id="png_16bit_grey_trns"),
    pytest.param(make_png(metadata=True, icc_profile=srgb_icc()), "PNG", QUADRANT_COLOURS, 1,
                 id="png_metadata_srgb_icc"),
    pytest.param(make_png(icc_profile=swapped_primaries_icc()), "PNG",
                 tuple(map(red_blue_swapped, QUADRANT_COLOURS)), 2, id="png_icc_converted_to_srgb"),
    pytest.param(make_jpeg(), "JPEG", QUADRANT_COLOURS, 4, id="jpeg_rgb"),
    pytest.param(make_jpeg(mode="L"), "JPEG", (grey(30), grey(90), grey(160), grey(230)), 3, id="jpeg_grey"),
    pytest.param(make_jpeg(mode="CMYK"), "JPEG", QUADRANT_COLOURS, 8, id="jpeg_cmyk"),
    pytest.param(make_jpeg(icc_profile=swapped_primaries_icc()), "JPEG",
                 tuple(map(red_blue_swapped, QUADRANT_COLOURS)), 6, id="jpeg_icc_converted_to_srgb"),
    pytest.param(make_jpeg(gps=True), "JPEG", QUADRANT_COLOURS, 4, id="jpeg_gps_exif_xmp_comment"),
    pytest.param(make_mpo(), "JPEG", QUADRANT_COLOURS, 4, id="jpeg_mpo_primary_picture"),
    *[
        pytest.param(make_jpeg(exif_orientation=orientation), "JPEG", QUADRANT_COLOURS, 4,
                     id=f"jpeg_exif_orientation_{orientation}")
        for orientation in range(1, 9)
    ],
    pytest.param(make_webp(), "WEBP", QUADRANT_COLOURS, 6, id="webp_lossy"),
    pytest.param(make_webp(alpha=True), "WEBP", (WHITE, GREEN, WHITE, YELLOW), 6, id="webp_lossy_alpha_on_white"),
    pytest.param(make_webp(lossless=True, alpha=True), "WEBP", (WHITE, GREEN, WHITE, YELLOW), 0,
                 id="webp_lossless_alpha_on_white"),
]


@pytest.mark.parametrize(("data", "source_format", "expected_quadrants", "tolerance"), ACCEPTED)
def test_accepted_upload_is_stored_as_clean_rgb_png(make_store, root, data, source_format, expected_quadrants,
                                                     tolerance):
    stored = make_store().save(io.BytesIO(data), "upload.png")

    assert is_uuid4(stored.image_id)
    assert stored.path == root / f"{stored.image_id}.png"
    assert stored.source_format == source_format
    assert stored.original_size == DEFAULT_SIZE, "EXIF orientation must be applied before measuring"
    assert stored.resized_size == DEFAULT_SIZE, "images within the limit keep their size"
    png = stored.path.read_bytes()
    assert stored.file_size_bytes == len(png)
    assert png_chunk_types(png) == ["IHDR", "IDAT", "IEND"], "no metadata chunk may survive"
    with Image.open(stored.path) as image:
        assert (image.format, image.mode, image.size) == ("PNG", "RGB", DEFAULT_SIZE)
        assert_quadrants(image, expected_quadrants, tolerance)
    assert [path.name for path in root.iterdir()] == [stored.path.name], "no temp files left behind"


@pytest.mark.parametrize(
    ("data", "private_values"),
    [
        pytest.param(make_jpeg(gps=True), [b"TestCam", b"Jane", b"2024:05:06"], id="jpeg_exif_gps_xmp_comment"),
        pytest.param(make_png(metadata=True, icc_profile=srgb_icc()), [b"TestCam", b"Jane", b"XML:com.adobe.xmp"],
                     id="png_text_xmp_exif_icc"),
    ],
)
def test_metadata_of_photos_is_stripped(make_store, data, private_values):
    with Image.open(io.BytesIO(data)) as source:  # the fixture really carries a GPS position
        assert source.getexif().get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitude] == GPS_LATITUDE
    assert [value for value in private_values if value not in data] == []

    stored = make_store().save(io.BytesIO(data))

    png = stored.path.read_bytes()
    assert png_chunk_types(png) == ["IHDR", "IDAT", "IEND"]
    assert [value for value in private_values if value in png] == []
    with Image.open(stored.path) as image:
        assert dict(image.getexif()) == {}
        assert image.info == {}


@pytest.mark.parametrize(
    ("data", "max_side_px", "original_size", "resized_size"),
    [
        pytest.param(make_jpeg((3000, 2000)), 1024, (3000, 2000), (1024, 683), id="jpeg_landscape"),
        pytest.param(make_jpeg((2000, 3000), exif_orientation=6), 1024, (2000, 3000), (683, 1024),
                     id="jpeg_portrait_exif_6"),
        pytest.param(make_jpeg((1500, 1000), exif_orientation=8), 256, (1500, 1000), (256, 171), id="jpeg_exif_8"),
        pytest.param(make_png("RGBA", (1500, 500)), 1024, (1500, 500), (1024, 341), id="png_rgba_wide"),
        pytest.param(make_webp((700, 1400)), 512, (700, 1400), (256, 512), id="webp_tall"),
    ],
)
def test_large_image_is_downscaled_to_max_side_keeping_aspect(make_store, data, max_side_px, original_size,
                                                              resized_size):
    stored = make_store(max_side_px=max_side_px).save(io.BytesIO(data))

    assert (stored.original_size, stored.resized_size) == (original_size, resized_size)
    with Image.open(stored.path) as image:
        assert image.size == resized_size
        assert max(image.size) == max_side_px


def test_reduced_jpeg_decode_matches_full_decode():
    """The fast path (DCT-scaled decode + Lanczos) looks like a full decode + Lanczos."""
    data = make_jpeg((3000, 2000))
    fast, _, _ = normalize_image(data, max_side_px=1024, max_pixels=DEFAULTS["max_pixels"])
    with Image.open(io.BytesIO(data)) as full:
        reference = full.convert("RGB").resize(fast.size, Image.Resampling.LANCZOS)

    mean_abs_diff = ImageStat.Stat(ImageChops.difference(fast, reference)).mean
    assert max(mean_abs_diff) < 1.0, mean_abs_diff
    assert_quadrants(fast, QUADRANT_COLOURS, 4)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(make_webp((301, 203)), id="lossy_vp8"),
        pytest.param(make_webp((301, 203), lossless=True), id="lossless_vp8l"),
        pytest.param(make_webp((301, 203), alpha=True), id="extended_vp8x"),
        pytest.param(make_png(size=(301, 203)), id="not_webp"),
    ],
)
def test_webp_canvas_size_is_read_from_the_header_like_pillow(data):
    """The bomb pre-check for WEBP (Pillow allocates the canvas on open) reads the size Pillow reports."""
    with Image.open(io.BytesIO(data)) as image:
        expected = image.size if image.format == "WEBP" else None

    assert _webp_canvas_size(data) == expected


def test_normalize_image_returns_rgb_without_metadata():
    image, original_size, source_format = normalize_image(
        make_jpeg((400, 300), exif_orientation=6, gps=True), max_side_px=200, max_pixels=DEFAULTS["max_pixels"]
    )

    assert (image.mode, image.size, original_size, source_format) == ("RGB", (200, 150), (400, 300), "JPEG")
    assert image.info == {}
    assert_quadrants(image, QUADRANT_COLOURS, 4)


PNG = make_png()
JPEG = make_jpeg((300, 200))
WEBP = make_webp((300, 200))

REFUSED = [
    pytest.param(b"", {}, UploadInvalidError, "upload_invalid", ["empty"], id="empty"),
    pytest.param(b"Dear diary, today I drew a cat.\n", {}, UploadInvalidError, "upload_invalid",
                 ["not a readable image", "PNG, JPEG and WEBP"], id="text_named_png"),
    pytest.param(truncated(PNG, 0.5), {}, UploadInvalidError, "upload_invalid", ["PNG", "truncated"],
                 id="truncated_png"),
    pytest.param(truncated(PNG, 0.02), {}, UploadInvalidError, "upload_invalid", ["not a readable image"],
                 id="truncated_png_header"),
    pytest.param(truncated(JPEG, 0.5), {}, UploadInvalidError, "upload_invalid", ["JPEG", "truncated"],
                 id="truncated_jpeg"),
    pytest.param(truncated(WEBP, 0.5), {}, UploadInvalidError, "upload_invalid", ["WEBP"], id="truncated_webp"),
    pytest.param(with_claimed_size(PNG, (0, 48)), {}, UploadInvalidError, "upload_invalid", ["not a readable image"],
                 id="zero_width_png"),
    pytest.param(make_svg(), {}, UnsupportedMediaTypeError, "unsupported_media_type", ["SVG", "PNG, JPEG and WEBP"],
                 id="svg"),
    *[
        pytest.param(make_other_format(fmt), {}, UnsupportedMediaTypeError, "unsupported_media_type",
                     [f"in {fmt} format", "PNG, JPEG and WEBP"], id=fmt.lower())
        for fmt in ("TIFF", "GIF", "BMP", "AVIF", "ICO")
    ],
    pytest.param(make_heic_header(), {}, UnsupportedMediaTypeError, "unsupported_media_type", ["HEIC"], id="heic"),
    pytest.param(with_claimed_size(make_png("1"), (20000, 20000)), {}, UploadInvalidError, "image_too_large",
                 ["20000 x 20000", "400,000,000 pixels", "limit of 90,000,000 pixels"], id="bomb_png_1bit_20000"),
    # above Pillow's own warning threshold (89.5 MP) but below its error threshold: no warning may leak
    pytest.param(with_claimed_size(PNG, (10000, 9500)), {}, UploadInvalidError, "image_too_large",
                 ["95,000,000 pixels"], id="bomb_png_in_pillow_warning_range"),
    pytest.param(with_claimed_size(JPEG, (20000, 20000)), {}, UploadInvalidError, "image_too_large",
                 ["400,000,000 pixels"], id="bomb_jpeg_20000"),
    pytest.param(with_claimed_size(make_webp(alpha=True), (16383, 16383)), {}, UploadInvalidError,
                 "image_too_large", ["268,402,689 pixels"], id="bomb_webp_16383"),
    # a limit above Pillow's hard limit (2 x 89.5 MP): Pillow's WEBP opener refuses, reported the same way
    pytest.param(with_claimed_size(make_webp(alpha=True), (16383, 16383)), {"max_pixels": 300_000_000},
                 UploadInvalidError, "image_too_large", ["too many pixels"], id="bomb_webp_pillow_limit"),
    pytest.param(with_claimed_size(make_other_format("GIF"), (20000, 20000)), {}, UnsupportedMediaTypeError,
                 "unsupported_media_type", ["unsupported format"], id="bomb_gif"),
    pytest.param(with_claimed_size(make_other_format("GIF"), (10000, 9500)), {}, UnsupportedMediaTypeError,
                 "unsupported_media_type", ["in GIF format"], id="gif_in_pillow_warning_range"),
    pytest.param(make_png("RGB", (1200, 1000)), {"max_pixels": 1_000_000}, UploadInvalidError, "image_too_large",
                 ["1200 x 1000", "1,200,000 pixels", "limit of 1,000,000 pixels"], id="real_png_over_pixel_limit"),
    pytest.param(JPEG, {"max_bytes": len(JPEG) - 1}, UploadTooLargeError, "upload_too_large",
                 [f"({len(JPEG) - 1} bytes)", "MB"], id="one_byte_over_limit"),
    pytest.param(b"\xff" * (10 * 2**20 + 1), {}, UploadTooLargeError, "upload_too_large",
                 ["limit of 10 MB (10485760 bytes)"], id="over_default_10mb"),
]


@pytest.mark.parametrize(("data", "overrides", "error", "code", "message_parts"), REFUSED)
def test_refused_upload_raises_and_writes_nothing(make_store, root, data, overrides, error, code, message_parts):
    with pytest.raises(error) as caught:
        make_store(**overrides).save(io.BytesIO(data), "photo.png")

    assert caught.value.code == code
    assert caught.value.status == {UploadInvalidError: 400, UnsupportedMediaTypeError: 415,
                                   UploadTooLargeError: 413}[error]
    assert [part for part in message_parts if part not in caught.value.message] == [], caught.value.message
    assert list(root.iterdir()) == [], "a refused upload must leave nothing, temp files included"


@pytest.mark.parametrize(
    ("data", "overrides", "details"),
    [
        pytest.param(make_other_format("GIF"), {}, {"detected_format": "GIF", "filename": "cat.png"}, id="unsupported"),
        pytest.param(JPEG, {"max_bytes": 2048}, {"limit_bytes": 2048, "filename": "cat.png"}, id="too_large"),
        pytest.param(with_claimed_size(PNG, (20000, 20000)), {},
                     {"width": 20000, "height": 20000, "pixels": 400_000_000, "limit_pixels": 90_000_000,
                      "filename": "cat.png"}, id="bomb"),
    ],
)
def test_error_details_name_limits_and_file(make_store, data, overrides, details):
    with pytest.raises(ApiError) as caught:
        make_store(**overrides).save(io.BytesIO(data), "C:\\Users\\kid\\cat.png")

    assert details.items() <= caught.value.details.items()


def test_upload_of_exactly_max_bytes_is_accepted(make_store):
    stored = make_store(max_bytes=len(JPEG)).save(io.BytesIO(JPEG))

    assert stored.resized_size == (300, 200)


class EndlessStream(io.RawIOBase):
    """A client that never stops sending: counts the bytes handed out, in short reads."""

    def __init__(self) -> None:
        self.handed_out = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        size = min(len(buffer), 1000)
        buffer[:size] = b"\xff" * size
        self.handed_out += size
        return size


def test_save_reads_at_most_one_byte_over_the_limit(make_store):
    stream = EndlessStream()

    with pytest.raises(UploadTooLargeError):
        make_store(max_bytes=50_000).save(stream)

    assert stream.handed_out == 50_001


def test_stored_upload_can_be_found_and_opened(make_store):
    store = make_store(max_side_px=32)
    stored = store.save(io.BytesIO(make_jpeg(exif_orientation=8)))

    assert isinstance(stored, StoredUpload)
    assert store.path_for(stored.image_id) == stored.path
    image = store.open_rgb(stored.image_id)
    assert (image.mode, image.size) == ("RGB", (32, 24))
    assert_quadrants(image, QUADRANT_COLOURS, 6)


@pytest.mark.parametrize(
    ("image_id", "error"),
    [
        pytest.param("../../etc/passwd", InvalidIdError, id="traversal"),
        pytest.param("not-a-uuid", InvalidIdError, id="garbage"),
        pytest.param(new_id().upper(), InvalidIdError, id="uppercase"),
        pytest.param(new_id(), UploadNotFoundError, id="unknown"),
    ],
)
def test_lookup_of_bad_or_unknown_id_is_refused(make_store, image_id, error):
    store = make_store()

    with pytest.raises(error) as caught:
        store.path_for(image_id)
    with pytest.raises(error):
        store.open_rgb(image_id)

    assert caught.value.code == {InvalidIdError: "invalid_id", UploadNotFoundError: "upload_not_found"}[error]


def test_expired_uploads_are_purged(tmp_path):
    """Photos are deleted after the retention time; fresh ones stay; purge runs on each save."""
    import os

    store = UploadStore(tmp_path / "up", max_bytes=10 * 2**20, max_side_px=1024, max_pixels=90_000_000,
                        retention_s=3600)
    old = store.save(io.BytesIO(make_png("RGB")))
    fresh = store.save(io.BytesIO(make_png("RGB")))
    an_hour_and_a_bit_ago = old.path.stat().st_mtime - 3700
    os.utime(old.path, (an_hour_and_a_bit_ago, an_hour_and_a_bit_ago))
    third = store.save(io.BytesIO(make_png("RGB")))  # saving purges expired files
    assert not old.path.exists() and fresh.path.exists() and third.path.exists()
    assert store.purge_expired(now=fresh.path.stat().st_mtime + 3601) == 2
    keep = UploadStore(tmp_path / "keep", max_bytes=10 * 2**20, max_side_px=1024, max_pixels=90_000_000)
    kept = keep.save(io.BytesIO(make_png("RGB")))
    assert keep.purge_expired(now=kept.path.stat().st_mtime + 10**9) == 0 and kept.path.exists()
