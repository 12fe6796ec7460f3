"""Follow job progress over devserver's WebSocket and print every message.

    python examples/ws_progress_client.py http://127.0.0.1:17802 RUN_ID [...]    # these runs, until they end
    python examples/ws_progress_client.py http://127.0.0.1:17802                 # every run (admin), until Ctrl-C

Queue a run with ``"async": true`` (``POST /api/schema/pipeline/generation`` or ``/execute``) and pass
its ``run_id``. Following every run is an admin capability (every run's events carry every run id): on the server
machine while no admin token is configured, else with ``--token`` (default: ``$DEVSERVER_ADMIN_TOKEN``), sent as
``Authorization: Bearer <token>`` when connecting.

Uses simple-websocket (installed with flask-sock); the protocol is seed 003's (every message is
``{"type", "timestamp", "data": {...}}``), described in ``devserver/api/ws.py``, its messages in
``devserver/contracts/jobs.py``. The browser version is ``examples/websocket_test_client.html``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import simple_websocket

WS_PATH = "/api/v1/ws/progress"
ENDINGS = {"generation_complete", "generation_error", "generation_canceled", "generation_blocked"}


def ws_url(base_url: str) -> str:
    """``http://host:port`` -> ``ws://host:port/api/v1/ws/progress`` (https -> wss)."""
    scheme, sep, rest = base_url.rstrip("/").partition("://")
    if not sep or scheme not in ("http", "https"):
        raise SystemExit(f"base URL must start with http:// or https://, got {base_url!r}")
    return f"{'wss' if scheme == 'https' else 'ws'}://{rest}{WS_PATH}"


def describe(message: dict) -> str:
    """One readable line per message (the payload is under ``data``, as in seed 003)."""
    kind, data = message["type"], message["data"]
    job = data.get("job_id", "")
    if kind == "progress_update":
        return f"{job} step {data['step']}/{data['total_steps']} ({data['progress']:.0%})"
    if kind == "generation_complete":
        media = data["media_output"]
        return f"{job} done: {media['url']} (seed {media['seed']}, {media['width']}x{media['height']})"
    if kind == "generation_error":
        return f"{job} failed: {data['error']['code']}: {data['error']['message']}"
    if kind == "generation_blocked":
        return f"{job} blocked at stage {data['stage']}: {data['reason']}"
    if kind in ("subscribed", "unsubscribed"):
        return f"{kind}: {'all runs' if data['job_ids'] is None else ', '.join(data['job_ids']) or 'none'}"
    if kind == "error":
        return f"server says: {data['message']}"
    return f"{job} {kind.removeprefix('generation_')}"


def main(argv: list[str] | None = None) -> int:
    """Subscribe and print messages until every named run has ended (0), or Ctrl-C (0).

    Returns 1 when none of the named runs is known to the server, following every run is not allowed (no admin
    token), or the server closes the socket.
    """
    parser = argparse.ArgumentParser(description="Print devserver job progress from the WebSocket.")
    parser.add_argument("base_url", help="server, e.g. http://127.0.0.1:17802")
    parser.add_argument("job_ids", nargs="*", help="run_ids to follow (default: every run, admin only)")
    parser.add_argument("--token", default=os.environ.get("DEVSERVER_ADMIN_TOKEN"),
                        help="admin token for following every run (default: $DEVSERVER_ADMIN_TOKEN)")
    args = parser.parse_args(argv)

    headers = {"Authorization": f"Bearer {args.token}"} if args.token else None
    ws = simple_websocket.Client.connect(ws_url(args.base_url), headers=headers)
    try:
        ws.send(json.dumps({"type": "subscribe", "job_ids": args.job_ids or None}))
        waiting: set[str] = set()
        while True:
            message = json.loads(ws.receive())
            print(f"{message['timestamp']}  {describe(message)}", flush=True)
            if message["type"] == "subscribed" and args.job_ids:
                waiting = set(message["data"]["job_ids"])  # the server leaves out ids it does not know
                if not waiting:
                    return 1
            elif message["type"] == "error" and message["data"].get("code") == "admin_token_required":
                print("following every run needs the admin token (--token), or name your runs' ids",
                      file=sys.stderr)
                return 1
            elif message["type"] in ENDINGS and message["data"]["job_id"] in waiting:
                waiting.discard(message["data"]["job_id"])
                if not waiting:
                    return 0
    except KeyboardInterrupt:
        return 0
    except simple_websocket.ConnectionClosed:
        print("the server closed the connection", file=sys.stderr)
        return 1
    finally:
        if ws.connected:
            ws.close()


if __name__ == "__main__":
    sys.exit(main())
