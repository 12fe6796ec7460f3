/**
 * Queued (async) runs: their status, cancel, and their Server-Sent Events stream. Runs are queued
 * by api/pipeline's `submitGeneration` / `submitExecute`. And runs as the gallery reads them from
 * their folders: a page of summaries, one run's detail.
 *
 * The stream is read with the browser's EventSource (not `fetch`: api/client stays the only fetch
 * caller). EventSource reconnects by itself after a dropped connection and sends `Last-Event-ID`,
 * so the server replays exactly what was missed (HTML standard, "Server-sent events":
 * https://html.spec.whatwg.org/multipage/server-sent-events.html).
 */
import { requestJson } from './client'
import type {
  BlockedResponse,
  CanceledEvent,
  CompleteEvent,
  ErrorEvent,
  ProgressEvent,
  QueuedEvent,
  RunDetailResponse,
  RunListResponse,
  RunStatusResponse,
  StageCompleteEvent,
  StageStartEvent,
  StartedEvent,
} from './types'

/** One event of a run's stream: its SSE `event` type and its parsed `data` (devserver.contracts.jobs.EVENT_MODELS). */
export type RunEvent =
  | { type: 'queued'; data: QueuedEvent }
  | { type: 'started'; data: StartedEvent }
  | { type: 'stage_start'; data: StageStartEvent }
  | { type: 'stage_complete'; data: StageCompleteEvent }
  | { type: 'progress'; data: ProgressEvent }
  | { type: 'complete'; data: CompleteEvent }
  | { type: 'blocked'; data: BlockedResponse }
  | { type: 'error'; data: ErrorEvent }
  | { type: 'canceled'; data: CanceledEvent }

/** The events that end a run's stream; every run has exactly one of them. */
export const TERMINAL_EVENTS: ReadonlySet<RunEvent['type']> = new Set(['complete', 'blocked', 'error', 'canceled'])

const EVENT_TYPES: readonly RunEvent['type'][] = [
  'queued',
  'started',
  'stage_start',
  'stage_complete',
  'progress',
  ...TERMINAL_EVENTS,
]

/** What {@link followRun} reports. */
export interface RunHandlers {
  /** Every event in order: the run's history first, then live ones; a terminal event is the last. */
  onEvent(event: RunEvent): void
  /** The browser gave up on the stream (no connection, or an answer that is not a stream, e.g. 404). */
  onLost(): void
}

/** Follow a run: stops itself after the terminal event; call the returned function to stop earlier. */
export type FollowRun = (runId: string, handlers: RunHandlers) => () => void

/** GET /api/runs/<run_id>: status, queue position, stages so far and, once finished, the result. */
export function getRun(runId: string): Promise<RunStatusResponse> {
  return requestJson<RunStatusResponse>(`/api/runs/${encodeURIComponent(runId)}`)
}

/**
 * POST /api/runs/<run_id>/cancel: a queued run ends at once, a running one at its next diffusion
 * step; either way the stream's terminal event follows (`complete` when the cancel came too late).
 *
 * @throws ApiError 409 `conflict` when the run has already ended.
 */
export function cancelRun(runId: string): Promise<RunStatusResponse> {
  return requestJson<RunStatusResponse>(`/api/runs/${encodeURIComponent(runId)}/cancel`, { method: 'POST' })
}

/**
 * GET /api/runs/<run_id>/events as an EventSource: every event from the run's start (a finished
 * run replays its history and ends). Reconnects are the browser's (with Last-Event-ID); when it
 * gives up for good, `onLost` is called once.
 */
export const followRun: FollowRun = (runId, handlers) => {
  const source = new EventSource(`/api/runs/${encodeURIComponent(runId)}/events`)
  let open = true
  const close = (): void => {
    open = false
    source.close()
  }
  for (const type of EVENT_TYPES) {
    source.addEventListener(type, (event) => {
      if (!open) return
      // `error` is also the type of the browser's own connection errors (plain Events, no data).
      if (!(event instanceof MessageEvent)) {
        if (source.readyState === EventSource.CLOSED) {
          close()
          handlers.onLost()
        }
        return
      }
      if (TERMINAL_EVENTS.has(type)) close()
      handlers.onEvent({ type, data: JSON.parse(event.data as string) } as RunEvent)
    })
  }
  return close
}

/** Most run ids one list request may name (devserver.contracts.classroom.MAX_LISTED_IDS). */
export const MAX_LISTED_IDS = 100

/**
 * GET /api/runs?ids=...: summaries of the named runs (this browser's), newest first, one page;
 * read from the run folders. `missing` names the ids the server has no run for.
 */
export function listRuns(ids: readonly string[], page = 1, perPage = 24): Promise<RunListResponse> {
  const query = new URLSearchParams({ ids: ids.join(','), page: String(page), per_page: String(perPage) })
  return requestJson<RunListResponse>(`/api/runs?${query.toString()}`)
}

/** GET /api/runs/<run_id>/detail: one run as it was (inputs, every stage's text and report). */
export function getRunDetail(runId: string): Promise<RunDetailResponse> {
  return requestJson<RunDetailResponse>(`/api/runs/${encodeURIComponent(runId)}/detail`)
}
