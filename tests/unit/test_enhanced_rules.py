"""The pure rules of the enhanced generation and the worker protocol, as tables: the family table, model names that
look like paths, scheduler names, the C# mapping and the field names errors use (issue 10)."""

from __future__ import annotations

import pytest

from devserver.contracts.generation import check_model_name
from devserver.contracts.worker import scheduler_from_name
from devserver.errors import RequestValidationError
from devserver.generation.addons import Addon, base_families, check_family, fits
from devserver.worker.generation import flat_field
from devserver.worker.transform import csharp_path, csharp_to_flat


@pytest.mark.parametrize("kind, addon_family, base, expected", [
    pytest.param("lora", "sd1", ("sd1",), True, id="sd1_lora_on_sd1"),
    pytest.param("lora", "sdxl", ("sd1",), False, id="sdxl_lora_on_sd1"),
    pytest.param("lora", "sd2", ("sd1", "sd2"), True, id="sd2_lora_on_an_sd_config_outside_the_registry"),
    pytest.param("controlnet", "sd1", ("sdxl",), False, id="sd1_controlnet_on_sdxl"),
    pytest.param("vae", "sd1", ("sd2",), True, id="sd1_vae_on_sd2"),
    pytest.param("vae", "sdxl", ("sd1",), False, id="sdxl_vae_on_sd1"),
    pytest.param("vae", "sd3", ("sd3",), True, id="sd3_vae_on_sd3"),
    pytest.param("refiner", "sdxl", ("sdxl",), True, id="refiner_on_sdxl"),
    pytest.param("refiner", "sdxl", ("sd1",), False, id="refiner_on_sd1"),
    pytest.param("lora", "flux", ("flux",), True, id="flux_lora_on_flux"),
])
def test_the_family_table(kind, addon_family, base, expected):
    assert fits(Addon(id="x", type=kind, family=addon_family), kind, base) is expected


def test_an_addon_of_unknown_family_fits_where_its_files_allow():
    single_file_vae = Addon(id="vae:x", type="vae", family="unknown", compatible=("sd1", "sd2", "sdxl"))
    assert fits(single_file_vae, "vae", ("sdxl",)) and fits(single_file_vae, "vae", ("sd1",))
    assert not fits(single_file_vae, "vae", ("sd3",))
    with pytest.raises(RequestValidationError, match="vae:x.*unknown family.*base model 'sd35'.*sd3") as error:
        check_family(single_file_vae, "vae", ("sd3",), "sd35", "parameters.vae")
    assert error.value.code == "family_mismatch" and error.value.details["base_model"] == "sd35"


def test_base_families_from_the_registry_or_the_output_config():
    assert base_families(Addon(id="b", type="checkpoint", family="sd2"), "sd") == ("sd2",)
    assert base_families(None, "sd") == ("sd1", "sd2")
    assert base_families(Addon(id="b", type="checkpoint", family="unknown"), "sdxl") == ("sdxl",)


@pytest.mark.parametrize("name, allowed", [
    pytest.param("loras:tiny-lora.safetensors", True, id="registry_id"),
    pytest.param("stabilityai/sdxl-base-1.0", True, id="hub_alias"),
    pytest.param("path/to/lora.safetensors", True, id="relative_alias"),
    pytest.param("/models/loras/x.safetensors", False, id="absolute"),
    pytest.param("~/loras/x.safetensors", False, id="home"),
    pytest.param("../loras/x.safetensors", False, id="parent"),
    pytest.param("loras/../../etc/passwd", False, id="parent_inside"),
    pytest.param("C:\\loras\\x.safetensors", False, id="windows_drive"),
    pytest.param("loras\\x.safetensors", False, id="backslash"),
])
def test_model_names_are_never_paths(name, allowed):
    if allowed:
        assert check_model_name(name) == name
    else:
        with pytest.raises(ValueError, match="looks like a file path"):
            check_model_name(name)


@pytest.mark.parametrize("given, expected", [
    pytest.param("DPMSolverMultistep", "DPMSolverMultistep", id="exact"),
    pytest.param("dpmsolvermultistep", "DPMSolverMultistep", id="any_case"),
    pytest.param("DPMSolverMultistepScheduler", "DPMSolverMultistep", id="class_name"),
    pytest.param("DPM++", "DPMSolverMultistep", id="seed_000_short_name"),
    pytest.param("Euler a", "EulerAncestralDiscrete", id="a1111_name"),
    pytest.param("Warp", "Warp", id="unknown_passes_through_to_the_check"),
])
def test_scheduler_names(given, expected):
    assert scheduler_from_name(given) == expected


@pytest.mark.parametrize("flat, csharp", [
    pytest.param("data.prompt", "request_data.Conditioning.Prompt", id="prompt"),
    pytest.param("width", "request_data.Hyperparameters.Width", id="width"),
    pytest.param("refiner_model", "request_data.Model.Refiner", id="refiner"),
    pytest.param("loras.0.model_path", "request_data.Conditioning.LoRAs[0].ModelPath", id="lora"),
    pytest.param("controlnets.1.conditioning_image", "request_data.Conditioning.ControlNets[1].ConditioningImage",
                 id="controlnet_image"),
    pytest.param("post_processing.0.factor", "request_data.PostProcessing[0].Factor", id="post_processing"),
    pytest.param("request_id", "request_id", id="not_in_the_table"),
])
def test_errors_name_the_csharp_path(flat, csharp):
    assert csharp_path(flat) == csharp


@pytest.mark.parametrize("studio, flat", [
    pytest.param("parameters.loras[2].id", "loras.2.model_path", id="lora"),
    pytest.param("parameters.controlnets[0].id", "controlnets.0.model_path", id="controlnet"),
    pytest.param("parameters.refiner.id", "refiner_model", id="refiner"),
    pytest.param("parameters.vae", "vae_model", id="vae"),
    pytest.param("parameters.cfg", "guidance_scale", id="cfg"),
    pytest.param("parameters.post_processing", "post_processing", id="output_size"),
    pytest.param("model_name", "model_name", id="unchanged"),
])
def test_the_studio_field_names_become_the_flat_forms(studio, flat):
    assert flat_field(studio) == flat


def test_the_csharp_form_accepts_camel_case_and_nulls_and_refuses_unknown_keys():
    flat, _ = csharp_to_flat({"action": "generate_sdxl_enhanced", "requestId": "r", "request_data": {
        "model": {"base": "tiny_sd", "refiner": None}, "conditioning": {"prompt": "a fox", "loRAs": None},
        "hyperparameters": {"width": 64, "seed": 3}}})
    assert flat["data"] == {"worker_type": "enhanced_sdxl_worker", "model_name": "tiny_sd", "prompt": "a fox",
                            "width": 64, "seed": 3}
    with pytest.raises(RequestValidationError, match=r"request_data\.Conditioning\.LoRAs\[0\]\.Scale"):
        csharp_to_flat({"action": "generate_sdxl_enhanced", "request_data": {
            "Conditioning": {"Prompt": "x", "LoRAs": [{"ModelPath": "a", "Scale": 1}]}}})
    with pytest.raises(RequestValidationError, match="request_data.Extras is not a field"):
        csharp_to_flat({"action": "generate_sdxl_enhanced", "request_data": {"Extras": {}}})
