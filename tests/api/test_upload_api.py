"""POST /api/media/upload/image over HTTP: the upload battery, error shapes, nothing written on refusal."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.support.images import (
    make_heic_header,
    make_jpeg,
    make_other_format,
    make_png,
    make_svg,
    make_webp,
    png_chunk_types,
    truncated,
    with_claimed_size,
)

UPLOAD = "/api/media/upload/image"


def upload(client, data: bytes, filename: str = "photo.png", field: str = "file"):
    return client.post(UPLOAD, data={field: (io.BytesIO(data), filename)}, content_type="multipart/form-data")


def stored_files(app) -> list[str]:
    folder = app.extensions["devserver"].settings.uploads_dir
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.mark.parametrize("data, filename, original, resized", [
    pytest.param(make_png("RGB"), "a.png", None, None, id="png_rgb"),
    pytest.param(make_png("RGBA"), "a.png", None, None, id="png_rgba"),
    pytest.param(make_png("LA"), "a.png", None, None, id="png_la"),
    pytest.param(make_png("P", transparency=True), "a.png", None, None, id="png_palette_trns"),
    pytest.param(make_png("I;16"), "a.png", None, None, id="png_16bit"),
    pytest.param(make_png("1"), "a.png", None, None, id="png_1bit"),
    pytest.param(make_jpeg(mode="CMYK"), "a.jpg", None, None, id="jpeg_cmyk"),
    pytest.param(make_jpeg((1500, 1000), exif_orientation=6, gps=True), "a.jpg", [1500, 1000], [1024, 683],
                 id="jpeg_exif_rotated_gps"),
    pytest.param(make_webp(alpha=True), "a.webp", None, None, id="webp_alpha"),
    pytest.param(make_jpeg((3000, 2000)), "big.jpg", [3000, 2000], [1024, 683], id="jpeg_downscaled"),
    pytest.param(make_png("RGB"), "wrong-extension.gif", None, None, id="name_does_not_decide"),
])
def test_accepted_uploads(client, app, data, filename, original, resized):
    res = upload(client, data, filename)
    assert res.status_code == 200, res.get_json()
    body = res.get_json()
    assert body["status"] == "success" and body["url"] == f"/api/media/uploads/{body['image_id']}"
    if original:
        assert body["original_size"] == original and body["resized_size"] == resized
    stored = client.get(body["url"])
    assert stored.status_code == 200 and stored.mimetype == "image/png"
    assert len(stored.data) == body["file_size_bytes"]
    assert png_chunk_types(stored.data) == ["IHDR", "IDAT", "IEND"]  # no EXIF, GPS, text or ICC left
    with Image.open(io.BytesIO(stored.data)) as im:
        assert im.mode == "RGB" and list(im.size) == body["resized_size"]
    assert stored_files(app) == [f"{body['image_id']}.png"]


@pytest.mark.parametrize("data, status, code", [
    pytest.param(b"", 400, "upload_invalid", id="empty"),
    pytest.param(b"just some text pretending to be a png", 400, "upload_invalid", id="text_as_png"),
    pytest.param(truncated(make_png("RGB"), 0.5), 400, "upload_invalid", id="truncated_png"),
    pytest.param(truncated(make_jpeg(), 0.5), 400, "upload_invalid", id="truncated_jpeg"),
    pytest.param(make_svg(), 415, "unsupported_media_type", id="svg"),
    pytest.param(make_other_format("TIFF"), 415, "unsupported_media_type", id="tiff"),
    pytest.param(make_other_format("GIF"), 415, "unsupported_media_type", id="gif"),
    pytest.param(make_other_format("BMP"), 415, "unsupported_media_type", id="bmp"),
    pytest.param(make_heic_header(), 415, "unsupported_media_type", id="heic"),
    pytest.param(with_claimed_size(make_png("1"), (20000, 20000)), 400, "image_too_large", id="bomb_png"),
    pytest.param(with_claimed_size(make_jpeg(), (20000, 20000)), 400, "image_too_large", id="bomb_jpeg"),
])
def test_refused_uploads_write_nothing(client, app, data, status, code):
    res = upload(client, data)
    assert res.status_code == status, res.get_json()
    assert res.get_json()["status"] == "error" and res.get_json()["error"]["code"] == code
    assert stored_files(app) == []
    assert client.get("/api/health").status_code == 200


def test_over_limit_names_the_limit(make_app):
    app = make_app(upload_max_bytes=50_000)
    client = app.test_client()
    res = upload(client, make_jpeg((1200, 900)) + b"\0" * 60_000)
    assert res.status_code == 413
    err = res.get_json()["error"]
    assert err["code"] == "upload_too_large" and err["details"]["limit_bytes"] == 50_000
    assert "50000" in err["message"].replace(",", "").replace(" ", "") or "0.05" in err["message"]
    assert stored_files(app) == []


def test_body_far_over_limit_is_refused_before_reading(make_app):
    app = make_app(upload_max_bytes=1024 * 1024)
    res = upload(app.test_client(), b"\xff" * (3 * 1024 * 1024))
    assert res.status_code == 413 and res.get_json()["error"]["code"] == "upload_too_large"
    assert stored_files(app) == []


@pytest.mark.parametrize("kwargs", [
    pytest.param({"data": {"image": (io.BytesIO(b"x"), "a.png")}, "content_type": "multipart/form-data"},
                 id="wrong_field"),
    pytest.param({"json": {"file": "data:image/png;base64,AAAA"}}, id="json_body"),
])
def test_missing_file_field(client, kwargs):
    res = client.post(UPLOAD, **kwargs)
    assert res.status_code == 400 and res.get_json()["error"]["details"]["field"] == "file"
