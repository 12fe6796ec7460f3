"""Async runs: a durable SQLite job queue (:mod:`.store`), an event bus with replay and live fan-out
(:mod:`.events`), and the worker threads with cancel and restart recovery (:mod:`.queue`).

No Flask here: the HTTP, SSE and WebSocket endpoints are in ``devserver.api.runs``, ``devserver.api.queue``
and ``devserver.api.ws``.
"""
