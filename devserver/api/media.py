"""/api/media: uploads, generated images by run_id and index, run metadata."""

from __future__ import annotations

import io

from flask import Blueprint, request, send_file

from devserver.api._io import parse_json, respond
from devserver.classroom import runs
from devserver.api.openapi import documented
from devserver.contracts.api import (
    BlockedResponse,
    ErrorResponse,
    RunInfoResponse,
    RunMetadata,
    UploadResponse,
    UpscaleResponse,
)
from devserver.contracts.generation import EdgesQuery, UpscaleRequest
from devserver.contracts.jobs import QueuedResponse
from devserver.pipeline.enhanced import edge_map_png
from devserver.contracts.http_params import UploadForm
from devserver.errors import BadRequestError
from devserver.generation.image_files import MIME_BY_SUFFIX
from devserver.services import get_services

bp = Blueprint("media", __name__, url_prefix="/api/media")


@bp.post("/upload/image")
@documented(form=UploadForm, responses={200: UploadResponse})
def upload_image():  # type: ignore[no-untyped-def]
    """Store an uploaded png/jpeg/webp as a normalised RGB PNG (multipart field ``file``)."""
    upload = request.files.get("file")
    if upload is None:
        raise BadRequestError("send the image as multipart/form-data in the field 'file'",
                              details={"field": "file"})
    stored = get_services().uploads.save(upload.stream, upload.filename)
    return respond(UploadResponse(
        status="success", image_id=stored.image_id, url=f"/api/media/uploads/{stored.image_id}",
        original_size=stored.original_size, resized_size=stored.resized_size,
        file_size_bytes=stored.file_size_bytes))


@bp.get("/uploads/<image_id>")
@documented(responses={200: None}, media={200: "image/png"})
def get_upload(image_id: str):  # type: ignore[no-untyped-def]
    """The stored PNG of an upload."""
    path = get_services().uploads.path_for(image_id)
    return send_file(path, mimetype="image/png", max_age=3600)


_IMAGE_FILE = {"type": "string", "format": "binary"}


@bp.get("/image/<run_id>", defaults={"index": None})
@bp.get("/image/<run_id>/<int:index>")
@documented(responses={200: None}, media={200: {"image/png": _IMAGE_FILE, "image/jpeg": _IMAGE_FILE,
                                                "image/webp": _IMAGE_FILE}})
def get_image(run_id: str, index: int | None):  # type: ignore[no-untyped-def]
    """A generated image of a run (PNG, or JPEG/WebP as the request's output_format asked); without index the
    latest one."""
    path = get_services().recorder.open(run_id).image_path(index)
    return send_file(path, mimetype=MIME_BY_SUFFIX.get(path.suffix, "image/png"), max_age=0 if index is None else 3600,
                     download_name=f"{run_id}_{index if index is not None else 'latest'}{path.suffix}")


@bp.get("/info/<run_id>")
@documented(responses={200: RunInfoResponse})
def run_info(run_id: str):  # type: ignore[no-untyped-def]
    """The run's metadata.json."""
    meta = get_services().recorder.open(run_id).metadata()
    return respond(RunInfoResponse(status="success", run=RunMetadata.model_validate(meta)))


@bp.get("/thumbnail/<run_id>/<int:index>")
@documented(responses={200: None}, media={200: "image/webp"})
def get_thumbnail(run_id: str, index: int):  # type: ignore[no-untyped-def]
    """A small WebP of a generated image (gallery and teacher view)."""
    data = runs.thumbnail(get_services().recorder.open(run_id), index)
    return send_file(io.BytesIO(data), mimetype="image/webp", max_age=24 * 3600)


@bp.get("/input/<run_id>")
@documented(responses={200: None}, media={200: "image/png"})
def get_input_image(run_id: str):  # type: ignore[no-untyped-def]
    """The run's own copy of its input photo (img2img), kept after the upload itself expired."""
    path = runs.input_image_path(get_services().recorder.open(run_id))
    return send_file(path, mimetype="image/png", max_age=3600)


@bp.get("/uploads/<image_id>/edges")
@documented(query=EdgesQuery, responses={200: None}, media={200: "image/png"})
def upload_edges(image_id: str):  # type: ignore[no-untyped-def]
    """The Canny edge map of an upload (the preview of "Umriss übernehmen": what a canny ControlNet gets)."""
    query = EdgesQuery.model_validate(request.args.to_dict())
    png = edge_map_png(get_services().uploads.open_rgb(image_id), query.low_threshold, query.high_threshold)
    return send_file(io.BytesIO(png), mimetype="image/png", max_age=3600)


@bp.post("/upscale")
@documented(json=UpscaleRequest, responses={200: UpscaleResponse, 202: QueuedResponse, 403: BlockedResponse,
                                            500: ErrorResponse})
def upscale():  # type: ignore[no-untyped-def]
    """Make a finished image of a run 2x or 4x larger (a job; the new image is added to the run)."""
    req = parse_json(UpscaleRequest)
    queue = get_services().queue
    if req.async_:
        return respond(queue.submit("upscale", req, client=request.remote_addr), 202)
    return respond(queue.call("upscale", req, client=request.remote_addr))


@bp.get("/mask/<run_id>")
@documented(responses={200: None}, media={200: "image/png"})
def get_mask_image(run_id: str):  # type: ignore[no-untyped-def]
    """The run's own copy of its inpainting mask (white = repainted), kept after the upload itself expired."""
    path = runs.input_image_path(get_services().recorder.open(run_id), "input_mask")
    return send_file(path, mimetype="image/png", max_age=3600)
