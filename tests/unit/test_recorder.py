"""Run folders: numbering, atomic writes, metadata, id validation, concurrent writers."""

from __future__ import annotations

import json
import threading

import pytest

from devserver.errors import InvalidIdError, MediaNotFoundError, RunNotFoundError
from devserver.storage.recorder import RunRecorder


@pytest.fixture
def recorder(tmp_path):
    return RunRecorder(tmp_path / "json")


def test_entities_are_numbered_in_order(recorder):
    run = recorder.create(safety_level="kids", config="dada")
    assert run.add_json("config_used", {"a": 1}) == "01_config_used.json"
    assert run.add_text("input", "ein Hund") == "02_input.txt"
    media = run.add_image(b"\x89PNG fake", {"media_type": "image", "seed": 3})
    assert media["index"] == 0 and media["url"] == f"/api/media/image/{run.run_id}/0"
    meta = run.metadata()
    assert [e["file"] for e in meta["entities"]] == ["01_config_used.json", "02_input.txt", "03_output_image.png"]
    assert meta["config"] == "dada" and meta["safety_level"] == "kids" and meta["seed"] == 3
    assert (run.folder / "02_input.txt").read_text(encoding="utf-8") == "ein Hund"
    assert run.image_path() == run.image_path(0) == run.folder / "03_output_image.png"
    assert not [p for p in run.folder.iterdir() if p.name.startswith(".")]  # no temp files left


def test_open_validates_ids_before_touching_disk(recorder, tmp_path):
    (tmp_path / "json" / "secret").mkdir()
    for bad in ("../json", "secret", "", "8B0D3C4E-1F2A-4B5C-9D6E-7F8091A2B3C4"):
        with pytest.raises(InvalidIdError):
            recorder.open(bad)
    with pytest.raises(RunNotFoundError):
        recorder.open("8b0d3c4e-1f2a-4b5c-9d6e-7f8091a2b3c4")


def test_image_index_errors(recorder):
    run = recorder.create(safety_level="youth")
    with pytest.raises(MediaNotFoundError, match="no images"):
        run.image_path()
    run.add_image(b"png", {"seed": 1})
    with pytest.raises(MediaNotFoundError, match="index 4"):
        run.image_path(4)


def test_concurrent_writers_never_share_a_number(recorder):
    run = recorder.create(safety_level="youth")
    barrier = threading.Barrier(8)

    def write(i: int) -> None:
        barrier.wait(timeout=10)
        for j in range(5):
            run.add_text("note", f"{i}-{j}")

    threads = [threading.Thread(target=write, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    meta = run.metadata()
    assert [e["seq"] for e in meta["entities"]] == list(range(1, 41))
    assert len({e["file"] for e in meta["entities"]}) == 40
    assert len(list(run.folder.glob("*_note.txt"))) == 40


def test_update_merges_backends(recorder):
    run = recorder.create(safety_level="youth")
    run.update(backends={"stage2": {"backend": "template"}})
    run.update(backends={"stage4": {"backend": "diffusers"}}, status="success")
    meta = json.loads((run.folder / "metadata.json").read_text())
    assert meta["backends"] == {"stage2": {"backend": "template"}, "stage4": {"backend": "diffusers"}}
    assert meta["status"] == "success" and meta["updated_at"] >= meta["created_at"]
