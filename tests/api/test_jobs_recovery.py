"""Start-up recovery from the queue database a dead process left behind, and the job observer's rules.

The real crash (SIGKILL of ``devserver serve``) is tested in tests/integration/test_restart.py; here the
database state of a dead process is written with the real store, then a new app starts on it.
"""

from __future__ import annotations

import threading

import pytest

from devserver.errors import GenerationCanceledError
from devserver.jobs.events import EventBus
from devserver.jobs.queue import JobObserver
from devserver.jobs.store import JobStore
from devserver.storage.ids import new_id
from devserver.storage.recorder import RunRecorder
from tests.api.conftest import SMALL, LiveServer


@pytest.mark.parametrize("had_folder", [
    pytest.param(True, id="died_while_generating"),
    pytest.param(False, id="died_before_its_folder_existed"),
])
def test_restart_marks_the_running_run_interrupted_and_runs_the_queued_ones(make_app, settings_factory, had_folder):
    settings = settings_factory()
    # 1. what a process killed mid-run leaves behind: one running job (maybe with its folder), two queued
    store = JobStore(settings.exports_dir / "queue.sqlite3")
    request = {"prompt": "a kite", "language": "en", "parameters": SMALL, "async": True}
    interrupted, *waiting = (new_id() for _ in range(3))
    for seed, run_id in enumerate([interrupted, *waiting]):
        store.add_job(run_id, "generation", {**request, "seed": seed})
    assert store.claim_next().run_id == interrupted
    if had_folder:
        RunRecorder(settings.runs_dir).create(safety_level="youth", run_id=interrupted)
    # 2. a new server starts on the same exports folder
    live = LiveServer(make_app())
    try:
        events = live.events(interrupted)
        assert events[-1].type == "error"
        assert events[-1].data["error"] == {"code": "interrupted", "message": "interrupted by restart", "details": {}}
        status = live.get(f"/api/runs/{interrupted}").json()
        assert status["status"] == "error" and status["error"]["message"] == "interrupted by restart"
        folder = settings.runs_dir / interrupted
        assert folder.is_dir() is had_folder, "the folder is kept, and none is made up"
        if had_folder:
            meta = live.metadata(interrupted)
            assert meta["status"] == "error" and meta["error"] == {"code": "interrupted",
                                                                    "message": "interrupted by restart"}
        for seed, run_id in enumerate(waiting, start=1):
            assert live.events(run_id)[-1].data["media_output"]["seed"] == seed
    finally:
        live.close()


def test_stop_interrupts_the_running_run_and_keeps_the_queued_one(serve):
    first = serve()
    running = first.hold()
    waiting = first.submit(seed=5)
    stream = first.open_stream(running)
    first.queue.stop()
    events = list(stream)
    assert events[-1].type == "error" and events[-1].data["error"]["message"] == "interrupted by restart"
    assert first.get(f"/api/runs/{running}").json()["status"] == "error"
    assert first.metadata(running)["error"] == {"code": "interrupted", "message": "interrupted by restart"}
    assert first.get(f"/api/runs/{waiting}").json()["status"] == "queued"
    second = serve()  # a new start on the same exports folder runs what was waiting
    assert second.events(waiting)[-1].data["media_output"]["seed"] == 5


def test_observer_progress_never_goes_backwards(tmp_path):
    bus = EventBus(JobStore(tmp_path / "queue.sqlite3"))
    run_id = new_id()
    bus.store.add_job(run_id, "generation", {})
    observer = JobObserver(bus, run_id, threading.Event())
    for step, total in [(1, 4), (2, 4), (1, 4), (3, 3)]:
        observer.progress(step, total)
    assert [e.data["percent"] for e in bus.store.events(run_id)] == [25.0, 50.0, 50.0, 100.0]


def test_observer_stops_at_the_next_stage_once_canceled(tmp_path):
    bus = EventBus(JobStore(tmp_path / "queue.sqlite3"))
    run_id, cancel = new_id(), threading.Event()
    bus.store.add_job(run_id, "execute", {})
    observer = JobObserver(bus, run_id, cancel)
    observer.stage_start(1, "safety")
    assert observer.cancel_requested() is False
    cancel.set()
    assert observer.cancel_requested() is True
    with pytest.raises(GenerationCanceledError, match="before stage 2"):
        observer.stage_start(2, "interception")
    assert [(e.type, e.data) for e in bus.store.events(run_id)] == [("stage_start", {"stage": 1, "name": "safety"})]
