"""The API's pydantic contracts; :data:`ALL_MODELS` lists every model exported to ``schemas/json/``."""

from __future__ import annotations

from pydantic import BaseModel

from devserver.contracts.api import API_MODELS
from devserver.contracts.classroom import CLASSROOM_MODELS
from devserver.contracts.job_api import JOB_API_MODELS
from devserver.contracts.worker import WORKER_MODELS

ALL_MODELS: tuple[type[BaseModel], ...] = API_MODELS + CLASSROOM_MODELS + WORKER_MODELS + JOB_API_MODELS
"""Every model whose JSON Schema ``devserver contracts export`` writes (``<Model>.schema.json``)."""
