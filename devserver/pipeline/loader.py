"""Load and validate the JSON files under ``schemas/`` into an immutable :class:`SchemaRegistry`.

Layout read (DESIGN.md, "schemas/"):

```
pipelines/<name>.json            PipelineDef
chunks/<name>.json               ProcessingChunk | OutputChunk (discriminated by "type")
configs/categories.json          CategoriesFile
configs/interception/<id>.json   InterceptionConfig
configs/output/<id>.json         OutputConfig
```

Every file is validated with the pydantic models of :mod:`devserver.contracts.schema_files`, then the
references between files are checked. Any problem is a :class:`~devserver.errors.SchemaFileError` naming
the file (relative to the schemas folder) and the field, raised at start-up rather than as a 500 later.
``schemas/filters`` and ``schemas/json`` are not read here.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

from pydantic import TypeAdapter

from devserver.contracts.schema_files import (
    CategoriesFile,
    Category,
    Chunk,
    InterceptionConfig,
    OutputChunk,
    OutputConfig,
    PipelineDef,
    ProcessingChunk,
)
from devserver.contracts.json_files import load_json_file
from devserver.errors import ConfigNotFoundError, OutputConfigNotFoundError, SchemaFileError
from devserver.pipeline.placeholders import placeholders_in

CHUNK_PLACEHOLDERS = frozenset(
    {"INPUT_TEXT", "CONTEXT", "PREVIOUS_OUTPUT", "LANGUAGE_NAME", "SAFETY_LEVEL", "AGE_RANGE"}
)
"""Placeholders a processing chunk's ``system_template`` / ``template`` may use; stages 2 and 3 supply them."""

DEFAULT_OUTPUT_CONFIG = "tiny_sd"
"""The output config used when a request names none; it must exist (it needs no downloaded weights)."""

STAGE3_CHUNKS = ("optimization", "translation", "safety_check")
"""Processing chunks stage 3 runs by name (3a optimization, 3b translation, 3c LLM safety check); they must exist."""

CATEGORIES_FILE = "configs/categories.json"
"""The categories file, relative to the schemas folder."""

_CHUNK_ADAPTER: TypeAdapter[ProcessingChunk | OutputChunk] = TypeAdapter(Chunk)
_ID_SHOWN_CHARS = 64
"""Longest excerpt of a requested id repeated in a not-found message."""

_M = TypeVar("_M")


@dataclass(frozen=True)
class SchemaRegistry:
    """Every pipeline, chunk, category, interception config and output config, validated and read once.

    Build it with :meth:`load`; afterwards it is immutable (read-only mappings, a tuple, frozen models),
    so one instance can be shared by all requests and threads.

    Attributes:
        pipelines: pipeline name -> PipelineDef.
        chunks: chunk name -> ProcessingChunk or OutputChunk.
        configs: interception config id -> InterceptionConfig.
        output_configs: output config id -> OutputConfig.
        categories: all categories, sorted by ``order`` (then id).
    """

    pipelines: Mapping[str, PipelineDef]
    chunks: Mapping[str, ProcessingChunk | OutputChunk]
    configs: Mapping[str, InterceptionConfig]
    output_configs: Mapping[str, OutputConfig]
    categories: tuple[Category, ...]

    @classmethod
    def load(cls, schemas_dir: Path) -> SchemaRegistry:
        """Read and validate ``pipelines/``, ``chunks/``, ``configs/categories.json``,
        ``configs/interception/`` and ``configs/output/`` under `schemas_dir`.

        Checks, in this order: each file parses as JSON (duplicate keys refused) and fits its pydantic
        model; its ``id``/``name`` equals the file name; category ids are unique; chunk templates use only
        :data:`CHUNK_PLACEHOLDERS`; pipelines name existing processing chunks; the :data:`STAGE3_CHUNKS`
        exist; interception configs name an existing pipeline and category, and their offline template
        contains ``{{INPUT_TEXT}}`` unless the pipeline skips stage 2; output configs name an existing
        output chunk and their optimization template uses only ``{{INPUT_TEXT}}``; the
        :data:`DEFAULT_OUTPUT_CONFIG` exists.

        Args:
            schemas_dir: the schemas folder (``Settings.schemas_dir``).
        Returns:
            the registry.
        Raises:
            SchemaFileError: the first problem found, with ``path`` relative to `schemas_dir` (posix
                style), ``field`` dotted as in pydantic's error location (``"context.de"``,
                ``"defaults.width"``, ``"chunks.0"``), ``"(json)"`` for unparseable JSON (with line and
                column), ``"(root)"`` for problems of the whole object, ``"(file)"`` / ``"(folder)"``
                for missing files and folders.
        """
        # 1. read and validate every file on its own
        if not schemas_dir.is_dir():
            raise SchemaFileError(str(schemas_dir), "(folder)", "the schemas folder does not exist")
        pipelines = _load_folder(schemas_dir, "pipelines", PipelineDef.model_validate, "name")
        chunks = _load_folder(schemas_dir, "chunks", _CHUNK_ADAPTER.validate_python, "name", tagged=True)
        categories_file = _load_file(schemas_dir, schemas_dir / CATEGORIES_FILE, CategoriesFile.model_validate)
        configs = _load_folder(schemas_dir, "configs/interception", InterceptionConfig.model_validate, "id")
        output_configs = _load_folder(schemas_dir, "configs/output", OutputConfig.model_validate, "id")
        # 2. check the references between files
        categories = _check_categories(categories_file)
        _check_chunks(chunks)
        _check_pipelines(pipelines, chunks)
        _check_configs(configs, pipelines, {category.id for category in categories})
        _check_output_configs(output_configs, chunks)
        # 3. freeze
        return cls(
            pipelines=MappingProxyType(pipelines),
            chunks=MappingProxyType(chunks),
            configs=MappingProxyType(configs),
            output_configs=MappingProxyType(output_configs),
            categories=tuple(sorted(categories, key=lambda category: (category.order, category.id))),
        )

    def config(self, config_id: str) -> InterceptionConfig:
        """The interception config `config_id` (a request's ``schema``).

        The id is only looked up in memory, never used to build a path.

        Raises:
            ConfigNotFoundError (404): no such config; the message suggests close ids, ``details`` carries
                ``config_id`` and ``suggestions``.
        """
        found = self.configs.get(config_id)
        if found is None:
            suggestions = difflib.get_close_matches(config_id, list(self.configs), n=3)
            raise ConfigNotFoundError(
                f"No interception config {_shown(config_id)}. {_hint(suggestions, 'GET /api/schema/configs')}",
                details={"config_id": config_id, "suggestions": suggestions},
            )
        return found

    def output_config(self, output_config_id: str) -> OutputConfig:
        """The output config `output_config_id` (a request's ``output_config``).

        The id is only looked up in memory, never used to build a path.

        Raises:
            OutputConfigNotFoundError (404): no such output config; the message suggests close ids,
                ``details`` carries ``output_config_id`` and ``suggestions``.
        """
        found = self.output_configs.get(output_config_id)
        if found is None:
            suggestions = difflib.get_close_matches(output_config_id, list(self.output_configs), n=3)
            raise OutputConfigNotFoundError(
                f"No output config {_shown(output_config_id)}. "
                f"{_hint(suggestions, 'GET /api/schema/output-configs')}",
                details={"output_config_id": output_config_id, "suggestions": suggestions},
            )
        return found

    def pipeline_for(self, config: InterceptionConfig) -> PipelineDef:
        """The pipeline `config` runs on (its existence was checked at load).

        Raises:
            KeyError: `config` does not come from this registry and names an unknown pipeline.
        """
        return self.pipelines[config.pipeline]

    def processing_chunk(self, name: str) -> ProcessingChunk:
        """The processing chunk `name` (a pipeline's chunk or one of :data:`STAGE3_CHUNKS`).

        Raises:
            KeyError: no chunk of that name, or it is an output chunk (a programming error: the names
                used by pipelines and stage 3 are checked at load).
        """
        chunk = self.chunks.get(name)
        if not isinstance(chunk, ProcessingChunk):
            raise KeyError(f"no processing chunk named {name!r}")
        return chunk


def _shown(requested_id: str) -> str:
    """A requested id for a message: quoted, cut to _ID_SHOWN_CHARS characters."""
    if len(requested_id) > _ID_SHOWN_CHARS:
        return repr(requested_id[:_ID_SHOWN_CHARS] + "...")
    return repr(requested_id)


def _hint(suggestions: list[str], listing: str) -> str:
    """"Did you mean ...?" for close ids, else where to find the valid ones."""
    if suggestions:
        return "Did you mean " + " or ".join(repr(s) for s in suggestions) + "?"
    return f"{listing} lists the available ones."


def _load_file(schemas_dir: Path, path: Path, validate: Callable[[Any], _M], *, tagged: bool = False) -> _M:
    """:func:`load_json_file` with the path shown relative to `schemas_dir`."""
    return load_json_file(path, path.relative_to(schemas_dir).as_posix(), validate, tagged=tagged)


def _load_folder(schemas_dir: Path, folder: str, validate: Callable[[Any], _M], id_attr: str, *,
                 tagged: bool = False) -> dict[str, _M]:
    """Load every ``*.json`` file of `folder` (sorted by name), keyed by its `id_attr` (``id`` or ``name``).

    Raises:
        SchemaFileError: the folder is missing ("(folder)"), a file is broken (see _load_file), or an
            id differs from its file name (field `id_attr`).
    """
    directory = schemas_dir / folder
    if not directory.is_dir():
        raise SchemaFileError(folder, "(folder)", f"the folder is missing (expected {folder}/<id>.json files)")
    loaded: dict[str, _M] = {}
    for path in sorted(directory.glob("*.json")):
        item = _load_file(schemas_dir, path, validate, tagged=tagged)
        item_id = getattr(item, id_attr)
        if item_id != path.stem:
            raise SchemaFileError(f"{folder}/{path.name}", id_attr,
                                  f"{id_attr} {item_id!r} must equal the file name {path.stem!r}")
        loaded[item_id] = item
    return loaded


def _check_categories(categories_file: CategoriesFile) -> list[Category]:
    """Refuse duplicate category ids (field ``categories.<index>.id``)."""
    seen: set[str] = set()
    for index, category in enumerate(categories_file.categories):
        if category.id in seen:
            raise SchemaFileError(CATEGORIES_FILE, f"categories.{index}.id", f"duplicate category id {category.id!r}")
        seen.add(category.id)
    return list(categories_file.categories)


def _check_chunks(chunks: Mapping[str, ProcessingChunk | OutputChunk]) -> None:
    """Refuse placeholders outside CHUNK_PLACEHOLDERS and missing STAGE3_CHUNKS."""
    for name, chunk in chunks.items():
        if not isinstance(chunk, ProcessingChunk):
            continue
        for field in ("system_template", "template"):
            unknown = placeholders_in(getattr(chunk, field)) - CHUNK_PLACEHOLDERS
            if unknown:
                raise SchemaFileError(f"chunks/{name}.json", field,
                                      f"unknown placeholders {sorted(unknown)}; allowed: {sorted(CHUNK_PLACEHOLDERS)}")
    for name in STAGE3_CHUNKS:
        if not isinstance(chunks.get(name), ProcessingChunk):
            raise SchemaFileError(f"chunks/{name}.json", "(file)",
                                  "stage 3 needs this processing chunk, but it is missing or not a processing chunk")


def _check_pipelines(pipelines: Mapping[str, PipelineDef], chunks: Mapping[str, ProcessingChunk | OutputChunk]) -> None:
    """Every chunk a pipeline names must be a processing chunk (field ``chunks.<index>``)."""
    for name, pipeline in pipelines.items():
        for index, chunk_name in enumerate(pipeline.chunks):
            chunk = chunks.get(chunk_name)
            if chunk is None:
                raise SchemaFileError(f"pipelines/{name}.json", f"chunks.{index}",
                                      f"unknown chunk {chunk_name!r}; known: {sorted(chunks)}")
            if not isinstance(chunk, ProcessingChunk):
                raise SchemaFileError(f"pipelines/{name}.json", f"chunks.{index}",
                                      f"{chunk_name!r} is an output chunk; stage 2 runs processing chunks only")


def _check_configs(configs: Mapping[str, InterceptionConfig], pipelines: Mapping[str, PipelineDef],
                   category_ids: set[str]) -> None:
    """Interception configs name a known pipeline and category; offline templates fit the pipeline."""
    for config_id, config in configs.items():
        rel = f"configs/interception/{config_id}.json"
        pipeline = pipelines.get(config.pipeline)
        if pipeline is None:
            raise SchemaFileError(rel, "pipeline", f"unknown pipeline {config.pipeline!r}; known: {sorted(pipelines)}")
        if config.category not in category_ids:
            raise SchemaFileError(rel, "category",
                                  f"unknown category {config.category!r}; known: {sorted(category_ids)} "
                                  f"(see {CATEGORIES_FILE})")
        if not pipeline.skip_stage2:
            for lang in ("de", "en"):
                if "INPUT_TEXT" not in placeholders_in(config.offline_template.get(lang)):
                    raise SchemaFileError(rel, f"offline_template.{lang}",
                                          f"must contain {{{{INPUT_TEXT}}}}: pipeline {pipeline.name!r} runs stage 2 "
                                          "on the learner's idea")


def _check_family(rel: str, config: OutputConfig) -> None:
    """Defaults the config's model family can run (devserver.generation.families): sizes in its multiple (16 for
    SD 3 and Flux), no scheduler swap on a flow-matching model, a 9-channel inpainting model only in a family
    that has them."""
    from devserver.generation.families import family

    fam = family(config.model.family)
    for side in ("width", "height"):
        if getattr(config.defaults, side) % fam.size_multiple:
            raise SchemaFileError(rel, f"defaults.{side}", f"must be a multiple of {fam.size_multiple} for family "
                                  f"{fam.name} ({fam.label})")
    if config.defaults.scheduler is not None and not fam.scheduler_swappable:
        raise SchemaFileError(rel, "defaults.scheduler", f"must be null for family {fam.name}: {fam.label} models "
                              "use their own flow-matching scheduler")
    if config.model.inpainting and fam.name not in ("sd", "sd2", "sdxl"):
        raise SchemaFileError(rel, "model.inpainting", f"{fam.label} has no 9-channel inpainting UNet")


def _check_output_configs(output_configs: Mapping[str, OutputConfig],
                          chunks: Mapping[str, ProcessingChunk | OutputChunk]) -> None:
    """Output configs name an output chunk and use only {{INPUT_TEXT}}; the default one exists."""
    for config_id, config in output_configs.items():
        rel = f"configs/output/{config_id}.json"
        if not isinstance(chunks.get(config.chunk), OutputChunk):
            outputs = sorted(name for name, chunk in chunks.items() if isinstance(chunk, OutputChunk))
            raise SchemaFileError(rel, "chunk", f"{config.chunk!r} is not an output chunk; output chunks: {outputs}")
        unknown = placeholders_in(config.optimization_template) - {"INPUT_TEXT"}
        if unknown:
            raise SchemaFileError(rel, "optimization_template",
                                  f"unknown placeholders {sorted(unknown)}; only {{{{INPUT_TEXT}}}} is filled in")
        _check_family(rel, config)
    if DEFAULT_OUTPUT_CONFIG not in output_configs:
        raise SchemaFileError(f"configs/output/{DEFAULT_OUTPUT_CONFIG}.json", "(file)",
                              "the default output config is missing (requests without output_config use it)")
