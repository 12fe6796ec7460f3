"""The event bus: every job event is stored in SQLite (replay, restarts) and handed to live subscribers.

Delivery is push, not polling: :meth:`EventBus.publish` stores the event and puts it into the
``queue.Queue`` of every matching :class:`Subscription` under one lock, and a subscriber blocks on its
queue. Subscribing takes the same lock, so a subscriber that subscribes first and then reads the stored
history misses nothing; events it sees twice (stored and live) are dropped by id.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator

from pydantic import BaseModel

from devserver.contracts.jobs import TERMINAL_EVENTS, TERMINAL_STATUSES
from devserver.jobs.store import JobEvent, JobStore

END_OF_STREAM = object()
"""Put into every subscriber's queue when the bus closes (server shutdown): streams end without a terminal event."""


class Subscription:
    """One subscriber: events of the runs it follows arrive in :attr:`queue` (as :class:`JobEvent`).

    Follow all runs, a set of runs, or all but some. Create with :meth:`EventBus.subscribe`; close it
    (or use it as a context manager) so that the bus forgets it. Other producers may put their own items
    into :attr:`queue` too (the WebSocket handler puts client messages there, so one thread serves both).
    """

    def __init__(self, bus: EventBus, run_ids: Iterable[str] | None) -> None:
        self.queue: queue.Queue[object] = queue.Queue()
        self._bus = bus
        self._all = run_ids is None
        self._run_ids: set[str] = set(run_ids or ())
        self._excluded: set[str] = set()

    def matches(self, run_id: str) -> bool:
        """Whether events of `run_id` are delivered (call with the bus lock held)."""
        return run_id in self._run_ids or (self._all and run_id not in self._excluded)

    def follow(self, run_ids: Iterable[str] | None) -> None:
        """Also receive the events of `run_ids` (None: of every run)."""
        with self._bus.lock:
            if run_ids is None:
                self._all, self._excluded = True, set()
            else:
                self._run_ids.update(run_ids)
                self._excluded.difference_update(run_ids)

    def unfollow(self, run_ids: Iterable[str] | None) -> None:
        """Stop receiving the events of `run_ids` (None: of every run)."""
        with self._bus.lock:
            if run_ids is None:
                self._all, self._run_ids, self._excluded = False, set(), set()
            else:
                self._run_ids.difference_update(run_ids)
                if self._all:
                    self._excluded.update(run_ids)

    def close(self) -> None:
        """Leave the bus (idempotent)."""
        self._bus.remove(self)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class EventBus:
    """Stores job events and fans them out to subscribers; thread-safe, one per app.

    Args:
        store: where events are persisted.
    """

    def __init__(self, store: JobStore) -> None:
        self.store = store
        self.lock = threading.Lock()
        self._changed = threading.Condition(self.lock)
        self._subscriptions: set[Subscription] = set()

    def publish(self, run_id: str, type_: str, data: BaseModel, *, status: str | None = None,
                from_statuses: tuple[str, ...] = ("queued", "running")) -> JobEvent | None:
        """Store an event (and optionally move the job's status, see :meth:`JobStore.append_event`) and deliver it.

        Args:
            run_id: the run the event belongs to.
            type_: the event type (a key of ``devserver.contracts.jobs.EVENT_MODELS``).
            data: the event's data model.
            status / from_statuses: status transition stored in the same transaction.
        Returns:
            the event, or None when the transition did not apply (nothing stored or delivered).
        """
        payload = data.model_dump(mode="json")
        with self.lock:
            event = self.store.append_event(run_id, type_, payload, status=status, from_statuses=from_statuses)
            if event is not None:
                for subscription in self._subscriptions:
                    if subscription.matches(run_id):
                        subscription.queue.put(event)
        return event

    def subscribe(self, run_ids: Iterable[str] | None) -> Subscription:
        """A new subscription to the events of `run_ids` (None: all runs), published from now on."""
        subscription = Subscription(self, run_ids)
        with self.lock:
            self._subscriptions.add(subscription)
            self._changed.notify_all()
        return subscription

    def remove(self, subscription: Subscription) -> None:
        """Forget `subscription` (idempotent)."""
        with self.lock:
            self._subscriptions.discard(subscription)
            self._changed.notify_all()

    def subscriber_count(self) -> int:
        """How many subscriptions are open."""
        with self.lock:
            return len(self._subscriptions)

    def wait_for_subscriber_count(self, count: int, timeout_s: float) -> bool:
        """Block until exactly `count` subscriptions are open; False when `timeout_s` seconds passed first."""
        with self.lock:
            return self._changed.wait_for(lambda: len(self._subscriptions) == count, timeout=timeout_s)

    def end_all_streams(self) -> None:
        """Put :data:`END_OF_STREAM` into every subscription (server shutdown)."""
        with self.lock:
            for subscription in self._subscriptions:
                subscription.queue.put(END_OF_STREAM)

    def run_stream(self, run_id: str, *, after_id: int, heartbeat_s: float) -> RunStream:
        """The events of one run after `after_id`: see :class:`RunStream`. Subscribes at once."""
        return RunStream(self, run_id, after_id=after_id, heartbeat_s=heartbeat_s)


class RunStream:
    """Iterates one run's events with ``id > after_id``: the stored ones, then live ones, until the terminal event.

    Yields :class:`JobEvent`, or None when nothing happened for `heartbeat_s` seconds (the caller sends a
    heartbeat). A finished run yields its stored events and stops. Subscribes on creation, so call
    :meth:`close` (idempotent) when done, also when the iteration was never started.
    """

    def __init__(self, bus: EventBus, run_id: str, *, after_id: int, heartbeat_s: float) -> None:
        self.run_id = run_id
        self._store = bus.store
        self._after_id = after_id
        self._heartbeat_s = heartbeat_s
        self._subscription = bus.subscribe({run_id})

    def __iter__(self) -> Iterator[JobEvent | None]:
        # 1. the stored history (read after subscribing: nothing published in between is lost)
        job = self._store.job(self.run_id)
        finished = job is None or job.status in TERMINAL_STATUSES
        last_id = self._after_id
        for event in self._store.events(self.run_id, after_id=last_id):
            yield event
            last_id = event.id
            if event.type in TERMINAL_EVENTS:
                return
        if finished:
            return
        # 2. live events, until the terminal one
        while True:
            try:
                item = self._subscription.queue.get(timeout=self._heartbeat_s)
            except queue.Empty:
                yield None
                continue
            if item is END_OF_STREAM:
                return
            if not isinstance(item, JobEvent):
                continue
            if item.id > last_id:
                yield item
                last_id = item.id
            if item.type in TERMINAL_EVENTS:
                return  # also when the client said it had seen it (a Last-Event-ID beyond it): the run has ended

    def close(self) -> None:
        """Unsubscribe (idempotent)."""
        self._subscription.close()
