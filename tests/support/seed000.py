"""Seed 000 (``../shared/seeds/000_abe7b052bc1dd02e.txt``) as data: its example messages and its two JSON Schemas,
copied verbatim from the seed's code blocks (JSON), so tests can check the worker protocol against the seed itself
on a machine without the seeds folder.

- :data:`CSHARP_EXAMPLE`: "Actual JSON Output to Python" (the C# service's command);
- :data:`FLAT_EXAMPLE`: "Python Worker Expected Format" (the flat form; the seed shows it as a Python comment-annotated
  dict, its values are these);
- :data:`SEED_REQUEST_SCHEMA`, :data:`SEED_RESPONSE_SCHEMA`: "Step 3.4, Required Schema Files" A and B.
"""

from __future__ import annotations

from typing import Any

CSHARP_EXAMPLE: dict[str, Any] = {
    "action": "generate_sdxl_enhanced",
    "request_data": {
        "Model": {
            "Base": "stabilityai/sdxl-base-1.0",
            "Refiner": "stabilityai/sdxl-refiner-1.0",
            "Vae": "custom/vae-ft-mse-840000-ema"
        },
        "Scheduler": {
            "Type": "DPMSolverMultistep",
            "Steps": 50,
            "GuidanceScale": 7.5
        },
        "Hyperparameters": {
            "Width": 1024,
            "Height": 1024,
            "Seed": 123456,
            "BatchSize": 1
        },
        "Conditioning": {
            "Prompt": "A beautiful sunset over mountains",
            "NegativePrompt": "blurry, low quality",
            "LoRAs": [
                {
                    "ModelPath": "path/to/lora.safetensors",
                    "Weight": 0.8
                }
            ],
            "ControlNets": [
                {
                    "ModelPath": "path/to/controlnet.safetensors",
                    "ConditioningImage": "base64_image_data",
                    "Weight": 1.0
                }
            ]
        },
        "Output": {
            "Format": "PNG",
            "Quality": 95,
            "SavePath": "outputs/"
        },
        "PostProcessing": [
            {
                "Type": "Upscale",
                "Factor": 2.0,
                "Model": "ESRGAN"
            }
        ]
    }
}

FLAT_EXAMPLE: dict[str, Any] = {
    "message_type": "inference_request",
    "request_id": "uuid-string",
    "data": {
        "worker_type": "pipeline_manager",
        "prompt": "simple string",
        "model_name": "simple string",
        "steps": 50,
        "guidance_scale": 7.5,
        "width": 1024,
        "height": 1024,
        "seed": 123456
    }
}

SEED_REQUEST_SCHEMA: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "Enhanced SDXL Request Schema",
    "type": "object",
    "required": [
        "message_type",
        "request_id",
        "data"
    ],
    "properties": {
        "message_type": {
            "type": "string",
            "enum": [
                "inference_request"
            ]
        },
        "request_id": {
            "type": "string",
            "format": "uuid"
        },
        "data": {
            "type": "object",
            "required": [
                "prompt",
                "model_name"
            ],
            "properties": {
                "worker_type": {
                    "type": "string",
                    "enum": [
                        "enhanced_sdxl_worker",
                        "pipeline_manager"
                    ]
                },
                "prompt": {
                    "type": "string"
                },
                "negative_prompt": {
                    "type": "string"
                },
                "model_name": {
                    "type": "string"
                },
                "refiner_model": {
                    "type": "string"
                },
                "vae_model": {
                    "type": "string"
                },
                "scheduler_type": {
                    "type": "string",
                    "enum": [
                        "DDIM",
                        "DPMSolverMultistep",
                        "EulerDiscrete"
                    ]
                },
                "steps": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": 150
                },
                "guidance_scale": {
                    "type": "number",
                    "minimum": 1.0,
                    "maximum": 20.0
                },
                "width": {
                    "type": "integer",
                    "enum": [
                        512,
                        768,
                        1024,
                        1152,
                        1216
                    ]
                },
                "height": {
                    "type": "integer",
                    "enum": [
                        512,
                        768,
                        1024,
                        1152,
                        1216
                    ]
                },
                "seed": {
                    "type": "integer"
                },
                "loras": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "model_path": {
                                "type": "string"
                            },
                            "weight": {
                                "type": "number",
                                "minimum": 0.0,
                                "maximum": 2.0
                            }
                        }
                    }
                },
                "controlnets": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "model_path": {
                                "type": "string"
                            },
                            "conditioning_image": {
                                "type": "string"
                            },
                            "weight": {
                                "type": "number",
                                "minimum": 0.0,
                                "maximum": 2.0
                            }
                        }
                    }
                }
            }
        }
    }
}

SEED_RESPONSE_SCHEMA: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "Enhanced SDXL Response Schema",
    "type": "object",
    "required": [
        "request_id",
        "success"
    ],
    "properties": {
        "request_id": {
            "type": "string"
        },
        "success": {
            "type": "boolean"
        },
        "data": {
            "type": "object",
            "properties": {
                "generated_images": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "image_path": {
                                "type": "string"
                            },
                            "image_data": {
                                "type": "string"
                            },
                            "metadata": {
                                "type": "object",
                                "properties": {
                                    "seed": {
                                        "type": "integer"
                                    },
                                    "steps": {
                                        "type": "integer"
                                    },
                                    "guidance_scale": {
                                        "type": "number"
                                    },
                                    "scheduler": {
                                        "type": "string"
                                    },
                                    "model_info": {
                                        "type": "object",
                                        "properties": {
                                            "base_model": {
                                                "type": "string"
                                            },
                                            "refiner_model": {
                                                "type": "string"
                                            },
                                            "vae_model": {
                                                "type": "string"
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                },
                "processing_metrics": {
                    "type": "object",
                    "properties": {
                        "total_time": {
                            "type": "number"
                        },
                        "inference_time": {
                            "type": "number"
                        },
                        "device_memory_used": {
                            "type": "integer"
                        },
                        "device_name": {
                            "type": "string"
                        }
                    }
                }
            }
        },
        "error": {
            "type": "string"
        },
        "warnings": {
            "type": "array",
            "items": {
                "type": "string"
            }
        }
    }
}
