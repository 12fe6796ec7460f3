"""The devserver command: run (all four stages in-process), configs list, models build-tiny, contracts."""

from __future__ import annotations


import pytest
from PIL import Image

from devserver.cli import main


@pytest.fixture
def env(monkeypatch, tmp_path, tiny_model_dir):
    monkeypatch.setenv("DEVSERVER_EXPORTS_DIR", str(tmp_path / "exports"))
    monkeypatch.setenv("DEVSERVER_MODELS_DIR", str(tiny_model_dir))
    monkeypatch.setenv("DEVSERVER_DEVICE", "cpu")
    return tmp_path / "exports"


def test_run_prints_every_stage_and_the_image(env, capsys):
    assert main(["run", "a lighthouse in a storm", "--config", "expressionism", "--seed", "9"]) == 0
    out = capsys.readouterr().out
    for label in ("[1 safety]", "[2 interception]", "[3 pre-output]", "[4 generation]", "seed 9"):
        assert label in out
    image_line = next(line for line in out.splitlines() if line.startswith("image: "))
    path = image_line.removeprefix("image: ")
    assert path.startswith(str(env / "json")) and path.endswith("_output_image.png")
    with Image.open(path) as im:
        assert im.size == (256, 256) and "Seed: 9" in im.text["parameters"]


def test_run_img2img_from_a_file(env, tmp_path, capsys):
    photo = tmp_path / "photo.jpg"
    Image.new("RGB", (120, 80), (10, 120, 200)).save(photo)
    assert main(["run", "", "--image", str(photo), "--rules", "make it a pencil sketch", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert "img2img 256x168" in out


def test_run_inpainting_from_files(env, tmp_path, capsys):
    photo, mask = tmp_path / "photo.png", tmp_path / "mask.png"
    Image.new("RGB", (128, 128), (10, 120, 200)).save(photo)
    white = Image.new("L", (128, 128), 0)
    white.paste(255, (32, 32, 96, 96))
    white.save(mask)
    assert main(["run", "", "--image", str(photo), "--mask", str(mask), "--rules", "a sun", "--seed", "2"]) == 0
    assert "inpaint 256x256" in capsys.readouterr().out
    black = tmp_path / "black.png"
    Image.new("L", (128, 128), 0).save(black)
    assert main(["run", "", "--image", str(photo), "--mask", str(black), "--rules", "a sun"]) == 2
    assert "mask_empty" in capsys.readouterr().err


def test_run_blocked_exits_3(env, capsys):
    assert main(["run", "a bloody gore scene"]) == 3
    assert "BLOCKED at stage 1" in capsys.readouterr().out


def test_run_unknown_config_exits_2(env, capsys):
    assert main(["run", "x", "--config", "nope"]) == 2
    assert "config_not_found" in capsys.readouterr().err


def test_configs_list(env, capsys):
    assert main(["configs", "list"]) == 0
    out = capsys.readouterr().out
    assert "bauhaus" in out and "tiny_sd" in out and "sd35_large" in out


def test_models_build_tiny(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("DEVSERVER_EXPORTS_DIR", str(tmp_path / "exports"))
    assert main(["models", "build-tiny"]) == 0
    target = tmp_path / "exports" / "models" / "tiny-sd"
    assert (target / "model_index.json").is_file()
    assert capsys.readouterr().out.strip() == str(target)


def test_contracts_check_passes_on_a_fresh_tree(capsys):
    assert main(["contracts", "export", "--check"]) == 0


def test_serve_warms_up_the_default_model(settings_factory):
    """`devserver serve` loads the default model in the background, so the first learner does not wait."""
    from devserver import create_app
    from devserver.cli import warm_up_default_model
    from devserver.generation.backend import DiffusersBackend

    settings = settings_factory()
    backend = DiffusersBackend(device="cpu", models_dir=settings.resolved_models_dir)
    app = create_app(settings, generation_backend=backend, start_queue=False)
    assert backend.loaded_models() == []
    warm_up_default_model(app)
    assert backend.loaded_models() == ["tiny_sd:txt2img"] and backend.load_count() == 1


def test_failed_warm_up_is_logged_not_raised(settings_factory, tmp_path, caplog):
    from devserver import create_app
    from devserver.cli import warm_up_default_model
    from devserver.generation.backend import DiffusersBackend

    settings = settings_factory(default_output_config="sd15")  # no weights on disk
    app = create_app(settings, generation_backend=DiffusersBackend(device="cpu", models_dir=tmp_path / "none"),
                     start_queue=False)
    warm_up_default_model(app)
    assert "warm-up of sd15 failed" in caplog.text


def test_models_build_tiny_all_builds_every_kind_the_registry_knows(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("DEVSERVER_EXPORTS_DIR", str(tmp_path / "exports"))
    assert main(["models", "build-tiny", "--all"]) == 0
    models = tmp_path / "exports" / "models"
    for relative in ("tiny-sd/model_index.json", "tiny-sdxl/model_index.json", "tiny-sdxl.safetensors",
                     "tiny-sd1.safetensors", "vae/tiny-vae/config.json", "vae/tiny-vae.safetensors",
                     "loras/tiny-lora.safetensors", "controlnet/tiny-controlnet/config.json",
                     "controlnet/tiny-controlnet.safetensors", "upscalers/tiny-upscaler.safetensors"):
        assert (models / relative).is_file(), relative
    assert str(models / "upscalers/tiny-upscaler.safetensors") in capsys.readouterr().out


def test_run_is_recorded_as_a_finished_job(env, capsys):
    """`devserver run` goes through the job lifecycle too: the run folder says how it ended."""
    import json

    assert main(["run", "a lighthouse", "--config", "bauhaus", "--seed", "3"]) == 0
    (folder,) = (env / "json").iterdir()
    assert json.loads((folder / "metadata.json").read_text())["status"] == "success"
    assert not (env / "queue.sqlite3").exists(), "a private jobs table: a running server's queue is not touched"


@pytest.mark.parametrize("argv, message", [
    pytest.param(["worker", "--celery", "--models", "no_such_model"], "unknown output config 'no_such_model'",
                 id="unknown_model"),
    pytest.param(["worker", "--celery", "--models", "sd15"], "output config 'sd15' is not on this machine",
                 id="weights_missing"),
    pytest.param(["worker", "--celery", "--models", " , "], "--models needs at least one", id="empty_models"),
])
def test_worker_refuses_with_a_usage_message(env, capsys, argv, message):
    assert main(argv) == 2
    assert message in capsys.readouterr().err
