/** Realistic API payloads (shapes of schemas/json) and fakes of the API modules for the composables' tests. */
import { expect, vi } from 'vitest'

import { ApiError } from '@/api/client'
import { TERMINAL_EVENTS, type RunEvent, type RunHandlers } from '@/api/runs'
import type {
  BlockedResponse,
  MediaOutput,
  QueuedResponse,
  RunStatusResponse,
  SafetyStage,
  Stage4Report,
  Stages,
} from '@/api/types'

import type { BlockedProblem } from '../flow'
import type { RunApi } from '../useRun'

export const RUN_A = '11111111-1111-4111-8111-111111111111'
export const RUN_B = '22222222-2222-4222-8222-222222222222'
export const IMAGE_ID = '33333333-3333-4333-8333-333333333333'

export function passedStage1(): SafetyStage {
  return { status: 'passed', level: 'youth', checks: [{ name: 'term_filter', passed: true, found_terms: [] }] }
}

/** The report of a safety stage that blocked the term "gore" at level youth. */
export function blockedReport(): SafetyStage {
  return {
    status: 'blocked',
    level: 'youth',
    checks: [{ name: 'term_filter', passed: false, found_terms: ['gore'] }],
    found_terms: ['gore'],
    reason: 'the text contains terms not allowed at safety level youth: gore',
  }
}

export function blockedStages(stage: 1 | 3): Stages {
  const blocked = blockedReport()
  return stage === 1 ? { stage1: blocked } : { stage3: { prompt: 'gore', safety: blocked } }
}

/** The 403 body (and `blocked` event data) of a block at `stage` for the term "gore". */
export function blockedBody(stage: 1 | 3, stages: Stages = blockedStages(stage)): BlockedResponse {
  return { status: 'blocked', stage, reason: 'gore is not allowed', found_terms: ['gore'], run_id: RUN_A, stages }
}

/** The problem {@link blockedBody} becomes (with the blocking stage's report). */
export function blockedProblemAt(stage: 1 | 3): BlockedProblem {
  return { kind: 'blocked', stage, reason: 'gore is not allowed', foundTerms: ['gore'], report: blockedReport() }
}

export function media(runId: string, index: number, seed: number): MediaOutput {
  return {
    media_type: 'image',
    url: `/api/media/image/${runId}/${index}`,
    run_id: runId,
    index,
    seed,
    width: 256,
    height: 256,
    mime_type: 'image/png',
    output_config: 'tiny_sd',
  }
}

/** A promise whose settling the test controls, to observe the running state. */
export function deferred<T>() {
  let resolve: (value: T) => void = () => {}
  let reject: (reason: unknown) => void = () => {}
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

/** The 202 answer of an async submission. */
export function queuedResponse(runId: string, position = 1): QueuedResponse {
  return {
    status: 'queued',
    run_id: runId,
    events_url: `/api/runs/${runId}/events`,
    status_url: `/api/runs/${runId}`,
    position,
  }
}

/** GET /api/runs/<run_id> of a run in `status`; `extra` sets its result fields. */
export function runStatus(
  runId: string,
  status: RunStatusResponse['status'],
  extra: Partial<RunStatusResponse> = {},
): RunStatusResponse {
  const finished = !['queued', 'running'].includes(status)
  return {
    status,
    run_id: runId,
    kind: 'generation',
    position: finished ? null : status === 'running' ? 0 : 1,
    cancel_requested: false,
    created_at: '2026-01-01T10:00:00.000Z',
    started_at: status === 'queued' ? null : '2026-01-01T10:00:00.100Z',
    finished_at: finished ? '2026-01-01T10:00:02.000Z' : null,
    stages: {},
    progress: null,
    media_output: null,
    blocked: null,
    error: null,
    events_url: `/api/runs/${runId}/events`,
    ...extra,
  }
}

/** A generation run's events from `queued` to `complete`, as the server sends them (steps 1..total). */
export function generationEvents(output: MediaOutput, totalSteps = 4): RunEvent[] {
  return [
    { type: 'queued', data: { position: 1 } },
    { type: 'started', data: { waited_ms: 5 } },
    { type: 'stage_start', data: { stage: 3, name: 'pre_output' } },
    { type: 'stage_complete', data: { stage: 3, name: 'pre_output', report: { prompt: 'a fox' } } },
    { type: 'stage_start', data: { stage: 4, name: 'generation' } },
    ...Array.from({ length: totalSteps }, (_, index): RunEvent => ({
      type: 'progress',
      data: { step: index + 1, total_steps: totalSteps, percent: (100 * (index + 1)) / totalSteps, ts: 1 },
    })),
    { type: 'stage_complete', data: { stage: 4, name: 'generation', report: stage4Report(output) } },
    { type: 'complete', data: { media_output: output } },
  ]
}

export function stage4Report(output: MediaOutput): Stage4Report {
  return {
    status: 'done',
    mode: 'txt2img',
    output_config: output.output_config,
    model: 'builtin:tiny_sd',
    seed: output.seed,
    width: output.width,
    height: output.height,
    steps: 4,
    cfg: 7.5,
    scheduler: 'PNDM',
    device: 'cpu',
    duration_ms: 300,
  }
}

/**
 * A fake of api/runs for useRun: statuses the test sets, streams the test feeds, cancels recorded.
 * `stream(runId)` waits (no sleep: vi.waitFor polls) until the code under test opened the stream;
 * `play(runId)` may script a run's whole stream instead (sent one microtask after it opens).
 */
export function fakeRuns(play: (runId: string) => RunEvent[] | undefined = () => undefined) {
  const statuses = new Map<string, RunStatusResponse | Error>()
  const open = new Map<string, RunHandlers>()
  const streams = new Map<RunHandlers, (event: RunEvent) => void>()
  const opened: string[] = []
  const closed: string[] = []
  const cancels: string[] = []
  let cancelAnswer: (runId: string) => Promise<RunStatusResponse> = (runId) =>
    Promise.resolve(runStatus(runId, 'running', { cancel_requested: true }))

  const api: RunApi = {
    getRun: (runId) => {
      const status = statuses.get(runId) ?? new ApiError(404, 'run_not_found', `no queued run with run_id ${runId}`)
      return status instanceof Error ? Promise.reject(status) : Promise.resolve(status)
    },
    cancelRun: (runId) => (cancels.push(runId), cancelAnswer(runId)),
    followRun: (runId, handlers) => {
      // Like api/runs' followRun, the stream closes itself after the terminal event.
      const deliver = (event: RunEvent) => {
        if (open.get(runId) !== handlers) return
        if (TERMINAL_EVENTS.has(event.type)) open.delete(runId)
        handlers.onEvent(event)
      }
      open.set(runId, handlers)
      opened.push(runId)
      const script = play(runId)
      if (script !== undefined) queueMicrotask(() => script.forEach(deliver))
      streams.set(handlers, deliver)
      return () => {
        closed.push(runId)
        open.delete(runId)
      }
    },
  }

  async function stream(runId: string) {
    await vi.waitFor(() => expect(open.has(runId), `the stream of ${runId} is open`).toBe(true))
    const handlers = open.get(runId)!
    const deliver = streams.get(handlers)!
    return {
      send: (...events: RunEvent[]) => events.forEach(deliver),
      lose: () => {
        open.delete(runId)
        handlers.onLost()
      },
    }
  }

  return {
    api,
    statuses,
    opened,
    closed,
    cancels,
    stream,
    answerCancel: (answer: typeof cancelAnswer) => (cancelAnswer = answer),
  }
}
