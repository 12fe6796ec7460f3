"""Model management (DESIGN.md "Models folder"; seed 001): the registry of every model on disk
(:mod:`.registry`, detection in :mod:`.detect`), metadata and histories in SQLite (:mod:`.store`), and the ten
model operations in :class:`.service.ModelService`, shared by the HTTP API and the worker protocol.

No Flask here; torch only through ``devserver.generation`` (lazily).
"""
