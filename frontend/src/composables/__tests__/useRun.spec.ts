import { effectScope } from 'vue'
import { afterEach, describe, expect, it } from 'vitest'

import { ApiError } from '@/api/client'
import type { RunEvent } from '@/api/runs'
import type { RunStatusResponse } from '@/api/types'

import { createRunMemory, RUN_STORAGE_PREFIX, useRun, type RunOutcome } from '../useRun'
import {
  RUN_A,
  blockedBody,
  blockedProblemAt,
  blockedStages,
  fakeRuns,
  generationEvents,
  media,
  queuedResponse,
  runStatus,
  stage4Report,
} from './fixtures'

interface Note {
  note: string
}
const isNote = (value: unknown): value is Note =>
  typeof value === 'object' && value !== null && typeof (value as Partial<Note>).note === 'string'

const KEY = `${RUN_STORAGE_PREFIX}text`
const RECORD = { runId: RUN_A, prompt: 'a fox', snapshot: { note: 'kept' } }
const OUTPUT = media(RUN_A, 0, 42)
const EVENTS = generationEvents(OUTPUT, 4)
const STARTED: RunEvent[] = [
  { type: 'queued', data: { position: 1 } },
  { type: 'started', data: { waited_ms: 5 } },
  { type: 'stage_start', data: { stage: 4, name: 'generation' } },
]
const progress = (step: number, total = 4): RunEvent => ({
  type: 'progress',
  data: { step, total_steps: total, percent: (100 * step) / total, ts: 1 },
})

/** useRun over the fake run API and the page's real sessionStorage (jsdom). */
function setup() {
  const runs = fakeRuns()
  const run = useRun(runs.api, createRunMemory(sessionStorage, 'text', isNote), 3)
  return { runs, run }
}

function remember(value: unknown = RECORD): void {
  sessionStorage.setItem(KEY, typeof value === 'string' ? value : JSON.stringify(value))
}

afterEach(() => sessionStorage.clear())

describe('useRun: submit and follow', () => {
  it('remembers the run while it goes, shows queue place, stage and steps, then forgets it', async () => {
    const { runs, run } = setup()
    const outcome = run.submit(() => Promise.resolve(queuedResponse(RUN_A, 2)), {
      prompt: 'a fox',
      snapshot: { note: 'kept' },
    })
    expect(run.active.value).toBe(true)
    expect(run.progress.value).toEqual({ stage: 3, position: null, cancelable: false, canceling: false })

    const stream = await runs.stream(RUN_A)
    expect(JSON.parse(sessionStorage.getItem(KEY)!)).toEqual(RECORD)
    expect(run.progress.value).toEqual({ stage: 3, position: 2, cancelable: true, canceling: false })
    stream.send(...EVENTS.slice(0, 5)) // queued (its position is the one at submission), ..., stage_start 4
    expect(run.progress.value).toEqual({ stage: 4, position: null, cancelable: true, canceling: false })
    expect(run.stages.value).toEqual({ stage3: { prompt: 'a fox' } })
    stream.send(...EVENTS.slice(5, 7))
    expect(run.progress.value).toMatchObject({ stage: 4, step: 2, totalSteps: 4 })
    stream.send(...EVENTS.slice(7))

    await expect(outcome).resolves.toMatchObject({
      status: 'success',
      media: OUTPUT,
      stages: { stage3: { prompt: 'a fox' }, stage4: stage4Report(OUTPUT) },
    })
    expect(run.active.value).toBe(false)
    expect(run.progress.value).toBeNull()
    expect(sessionStorage.getItem(KEY)).toBeNull()
  })

  it.each([
    { id: 'in_order', steps: [1, 2, 3, 4], shown: [1, 2, 3, 4] },
    { id: 'repeated', steps: [1, 2, 2, 3], shown: [1, 2, 2, 3] },
    { id: 'out_of_order', steps: [1, 3, 2, 4], shown: [1, 3, 3, 4] },
    { id: 'from_zero', steps: [0, 1, 0, 2], shown: [0, 1, 1, 2] },
  ])('$id: the step shown never goes back', async ({ steps, shown }) => {
    const { runs, run } = setup()
    void run.submit(() => Promise.resolve(queuedResponse(RUN_A)), RECORD)
    const stream = await runs.stream(RUN_A)
    stream.send(...STARTED)
    const seen = steps.map((step) => {
      stream.send(progress(step))
      return run.progress.value?.step
    })
    expect(seen).toEqual(shown)
  })

  it.each([
    {
      id: 'blocked',
      event: { type: 'blocked', data: blockedBody(3) },
      outcome: {
        status: 'blocked',
        problem: blockedProblemAt(3),
        stages: blockedStages(3),
      },
    },
    {
      id: 'error',
      event: { type: 'error', data: { error: { code: 'internal_error', message: 'An unexpected error.' } } },
      outcome: {
        status: 'error',
        problem: { kind: 'error', code: 'internal_error', message: 'An unexpected error.', details: {} },
        stages: {},
      },
    },
    {
      id: 'canceled',
      event: { type: 'canceled', data: { while_status: 'running' } },
      outcome: { status: 'canceled', stages: {} },
    },
  ] satisfies { id: string; event: RunEvent; outcome: Partial<RunOutcome> & { stages: object } }[])(
    '$id: the terminal event ends the run and it is forgotten',
    async ({ event, outcome }) => {
      const { runs, run } = setup()
      const ended = run.submit(() => Promise.resolve(queuedResponse(RUN_A)), RECORD)
      const stream = await runs.stream(RUN_A)
      stream.send(...STARTED, progress(1), event)
      await expect(ended).resolves.toMatchObject(outcome)
      expect(run.active.value).toBe(false)
      expect(run.stages.value).toEqual(outcome.stages)
      expect(sessionStorage.getItem(KEY)).toBeNull()
    },
  )

  it('a refused submission ends at once: nothing queued, remembered or followed', async () => {
    const { runs, run } = setup()
    const outcome = await run.submit(
      () =>
        Promise.reject(
          new ApiError(422, 'validation_error', 'width must be a multiple of 8, got 500', { field: 'width' }),
        ),
      RECORD,
    )
    expect(outcome).toMatchObject({
      status: 'error',
      problem: {
        kind: 'error',
        code: 'validation_error',
        message: 'width must be a multiple of 8, got 500',
        details: { field: 'width' },
      },
      stages: {},
    })
    expect(runs.opened).toEqual([])
    expect(sessionStorage.getItem(KEY)).toBeNull()
    expect(run.active.value).toBe(false)
  })

  it.each([
    {
      id: 'ended_meanwhile',
      status: runStatus(RUN_A, 'success', { media_output: OUTPUT, stages: { stage4: stage4Report(OUTPUT) } }),
      outcome: { status: 'success', media: OUTPUT, stages: { stage4: stage4Report(OUTPUT) } },
      remembered: false,
    },
    {
      id: 'still_running',
      status: runStatus(RUN_A, 'running'),
      outcome: {
        status: 'error',
        problem: { kind: 'error', code: 'network_error', message: 'The connection to the run was lost.', details: {} },
        stages: {},
      },
      remembered: true,
    },
  ] satisfies {
    id: string
    status: RunStatusResponse
    outcome: Partial<RunOutcome> & { stages: object }
    remembered: boolean
  }[])(
    '$id: a lost stream asks for the status; a run that may still go stays remembered',
    async ({ status, outcome, remembered }) => {
      const { runs, run } = setup()
      const ended = run.submit(() => Promise.resolve(queuedResponse(RUN_A)), RECORD)
      const stream = await runs.stream(RUN_A)
      stream.send(...STARTED)
      runs.statuses.set(RUN_A, status)
      stream.lose()
      await expect(ended).resolves.toMatchObject(outcome)
      expect(sessionStorage.getItem(KEY) !== null).toBe(remembered)
    },
  )

  it('leaving the view closes the stream and keeps the run remembered for later', async () => {
    const scope = effectScope()
    const { runs, run } = scope.run(setup)!
    void run.submit(() => Promise.resolve(queuedResponse(RUN_A)), RECORD)
    await runs.stream(RUN_A)
    scope.stop()
    expect(runs.closed).toEqual([RUN_A])
    expect(JSON.parse(sessionStorage.getItem(KEY)!)).toEqual(RECORD)
  })
})

describe('useRun: cancel', () => {
  it('asks the server once; the canceled event ends the run', async () => {
    const { runs, run } = setup()
    const ended = run.submit(() => Promise.resolve(queuedResponse(RUN_A)), RECORD)
    const stream = await runs.stream(RUN_A)
    stream.send(...STARTED, progress(1))
    const canceling = run.cancel()
    expect(run.progress.value).toMatchObject({ canceling: true, cancelable: true })
    await run.cancel()
    await canceling
    expect(runs.cancels).toEqual([RUN_A])
    expect(run.active.value).toBe(true)

    stream.send({ type: 'canceled', data: { while_status: 'running' } })
    await expect(ended).resolves.toMatchObject({ status: 'canceled', stages: {} })
    expect(run.canceling.value).toBe(false)
    expect(sessionStorage.getItem(KEY)).toBeNull()
  })

  it('a refused cancel (the run has just ended) lets the learner press again', async () => {
    const { runs, run } = setup()
    runs.answerCancel(() => Promise.reject(new ApiError(409, 'conflict', 'the run has already ended')))
    void run.submit(() => Promise.resolve(queuedResponse(RUN_A)), RECORD)
    await runs.stream(RUN_A)
    await run.cancel()
    expect(run.canceling.value).toBe(false)
    expect(run.progress.value?.cancelable).toBe(true)
  })

  it('does nothing before the server has queued the run, or after it ended', async () => {
    const { runs, run } = setup()
    await run.cancel()
    let answer: (queued: ReturnType<typeof queuedResponse>) => void = () => {}
    const ended = run.submit(() => new Promise((resolve) => (answer = resolve)), RECORD)
    await run.cancel()
    answer(queuedResponse(RUN_A))
    const stream = await runs.stream(RUN_A)
    stream.send(...EVENTS)
    await ended
    await run.cancel()
    expect(runs.cancels).toEqual([])
  })
})

describe('useRun: recall after a reload', () => {
  it.each([
    { id: 'nothing_stored', stored: null },
    { id: 'not_json', stored: '{run' },
    { id: 'not_a_record', stored: { runId: 5, prompt: 'a fox', snapshot: { note: 'x' } } },
    { id: 'foreign_snapshot', stored: { runId: RUN_A, prompt: 'a fox', snapshot: { other: 1 } } },
  ])('$id: nothing to recall, nothing requested', ({ stored }) => {
    if (stored !== null) remember(stored)
    const { runs, run } = setup()
    expect(run.recall()).toBeNull()
    expect(run.active.value).toBe(false)
    expect(runs.opened).toEqual([])
    expect(sessionStorage.getItem(KEY)).toBeNull()
  })

  it('a run still going is followed: its history replays, then the image; then it is forgotten', async () => {
    remember()
    const { runs, run } = setup()
    runs.statuses.set(RUN_A, runStatus(RUN_A, 'running'))
    const found = run.recall()
    expect(found?.record).toEqual(RECORD)
    expect(run.active.value).toBe(true)
    expect(run.progress.value).toMatchObject({ stage: 3, cancelable: true })

    const stream = await runs.stream(RUN_A)
    stream.send(...EVENTS.slice(0, 7))
    expect(run.progress.value).toMatchObject({ stage: 4, step: 2, totalSteps: 4, position: null })
    stream.send(...EVENTS.slice(7))
    await expect(found?.outcome).resolves.toMatchObject({ status: 'success', media: OUTPUT })
    expect(sessionStorage.getItem(KEY)).toBeNull()
  })

  it('a queued run shows its current place from the status', async () => {
    remember()
    const { runs, run } = setup()
    runs.statuses.set(RUN_A, runStatus(RUN_A, 'queued', { position: 3 }))
    run.recall()
    await runs.stream(RUN_A)
    expect(run.progress.value).toEqual({ stage: 3, position: 3, cancelable: true, canceling: false })
  })

  it.each([
    {
      id: 'success',
      status: runStatus(RUN_A, 'success', { media_output: OUTPUT, stages: { stage4: stage4Report(OUTPUT) } }),
      outcome: { status: 'success', media: OUTPUT, stages: { stage4: stage4Report(OUTPUT) } },
    },
    {
      id: 'blocked',
      status: runStatus(RUN_A, 'blocked', {
        blocked: { stage: 3, reason: 'gore is not allowed', found_terms: ['gore'] },
        stages: blockedStages(3),
      }),
      outcome: {
        status: 'blocked',
        problem: blockedProblemAt(3),
        stages: blockedStages(3),
      },
    },
    {
      id: 'interrupted',
      status: runStatus(RUN_A, 'error', { error: { code: 'interrupted', message: 'interrupted by restart' } }),
      outcome: {
        status: 'error',
        problem: { kind: 'error', code: 'interrupted', message: 'interrupted by restart', details: {} },
        stages: {},
      },
    },
    { id: 'canceled', status: runStatus(RUN_A, 'canceled'), outcome: { status: 'canceled', stages: {} } },
    {
      id: 'gone',
      status: new ApiError(404, 'run_not_found', 'no queued run with this run_id'),
      outcome: {
        status: 'error',
        problem: { kind: 'error', code: 'run_not_found', message: 'no queued run with this run_id', details: {} },
        stages: {},
      },
    },
  ] satisfies { id: string; status: RunStatusResponse | Error; outcome: Partial<RunOutcome> & { stages: object } }[])(
    '$id: a finished run is taken from its status, without a stream, and forgotten',
    async ({ status, outcome }) => {
      remember()
      const { runs, run } = setup()
      runs.statuses.set(RUN_A, status)
      await expect(run.recall()?.outcome).resolves.toMatchObject(outcome)
      expect(runs.opened).toEqual([])
      expect(run.active.value).toBe(false)
      expect(sessionStorage.getItem(KEY)).toBeNull()
    },
  )

  it('stays remembered when the server cannot be reached', async () => {
    remember()
    const { runs, run } = setup()
    runs.statuses.set(RUN_A, new ApiError(0, 'network_error', 'Failed to fetch'))
    await expect(run.recall()?.outcome).resolves.toMatchObject({ status: 'error', problem: { code: 'network_error' } })
    expect(JSON.parse(sessionStorage.getItem(KEY)!)).toEqual(RECORD)
  })
})
