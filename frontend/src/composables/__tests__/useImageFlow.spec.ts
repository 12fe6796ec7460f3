import { afterEach, describe, expect, it } from 'vitest'

import { ApiError } from '@/api/client'
import type { RunEvent } from '@/api/runs'
import type { ExecuteRequest, MediaOutput } from '@/api/types'

import { IMAGE_SCHEMA, isImageRunSnapshot, useImageFlow } from '../useImageFlow'
import { createRunMemory, RUN_STORAGE_PREFIX, useRun } from '../useRun'
import { FIRST_SEED, useSeed, type SeedControl } from '../useSeed'
import {
  IMAGE_ID,
  RUN_A,
  blockedBody,
  blockedProblemAt,
  blockedStages,
  fakeRuns,
  media,
  passedStage1,
  queuedResponse,
  runStatus,
  stage4Report,
} from './fixtures'

/** The stages 1-4 of an /execute run as the server streams them, ending with the image. */
function executeEvents(output: MediaOutput): RunEvent[] {
  return [
    { type: 'queued', data: { position: 1 } },
    { type: 'started', data: { waited_ms: 3 } },
    { type: 'stage_start', data: { stage: 1, name: 'safety' } },
    { type: 'stage_complete', data: { stage: 1, name: 'safety', report: passedStage1() } },
    { type: 'stage_start', data: { stage: 2, name: 'interception' } },
    {
      type: 'stage_complete',
      data: {
        stage: 2,
        name: 'interception',
        report: { status: 'skipped', output: 'rules', config: IMAGE_SCHEMA, pipeline: IMAGE_SCHEMA },
      },
    },
    { type: 'stage_start', data: { stage: 3, name: 'pre_output' } },
    {
      type: 'stage_complete',
      data: { stage: 3, name: 'pre_output', report: { prompt: 'watercolour painting of the photo' } },
    },
    { type: 'stage_start', data: { stage: 4, name: 'generation' } },
    { type: 'progress', data: { step: 1, total_steps: 3, percent: 33.33, ts: 1 } },
    { type: 'progress', data: { step: 3, total_steps: 3, percent: 100, ts: 2 } },
    { type: 'stage_complete', data: { stage: 4, name: 'generation', report: stage4Report(output) } },
    { type: 'complete', data: { media_output: output } },
  ]
}

/**
 * The image flow over a fake execute endpoint (each submission answers `answers.shift()`: an error,
 * or null to queue RUN_A) and the fake run API; `play` scripts the stream (default: the image, drawn
 * with the request's seed), undefined leaves it to the test.
 */
function imageFlow(
  options: {
    answers?: (Error | null)[]
    play?: (request: ExecuteRequest) => RunEvent[] | undefined
    seed?: SeedControl
  } = {},
) {
  const requests: ExecuteRequest[] = []
  const play = options.play ?? ((request) => executeEvents(media(RUN_A, 0, request.seed ?? -1)))
  const runs = fakeRuns(() => play(requests.at(-1)!))
  const run = useRun(runs.api, createRunMemory(sessionStorage, 'image', isImageRunSnapshot), 1)
  const flow = useImageFlow(
    {
      submitExecute: (request) => {
        requests.push(request)
        const answer = options.answers?.shift() ?? null
        return answer === null ? Promise.resolve(queuedResponse(RUN_A)) : Promise.reject(answer)
      },
    },
    options.seed ?? useSeed(() => 0.5),
    run,
  )
  return { flow, runs, requests }
}

const INPUT = {
  imageId: IMAGE_ID,
  configId: 'photo_watercolour',
  note: 'my bike',
  outputConfig: 'tiny_sd',
  language: 'de' as const,
  parameters: { steps: 4, strength: 0.6 },
}
const KEY = `${RUN_STORAGE_PREFIX}image`

afterEach(() => sessionStorage.clear())

describe('useImageFlow', () => {
  it('queues img2img with the image, config and rules; the stage cards follow the run to the image', async () => {
    const { flow, runs, requests } = imageFlow({ play: () => undefined })
    expect(flow.state.value).toBe('idle')
    const running = flow.generate({ ...INPUT, contextPrompt: 'paint it in blue' })
    expect(flow.state.value).toBe('generating')
    expect(flow.stageStatus.value).toEqual({ 1: 'waiting', 2: 'skipped', 3: 'waiting', 4: 'waiting' })
    expect(await flow.generate(INPUT)).toBeNull()

    const stream = await runs.stream(RUN_A)
    const events = executeEvents(media(RUN_A, 0, FIRST_SEED))
    stream.send(...events.slice(0, 3))
    expect(flow.progress.value).toMatchObject({ stage: 1, cancelable: true })
    expect(flow.stageStatus.value).toEqual({ 1: 'running', 2: 'skipped', 3: 'waiting', 4: 'waiting' })
    stream.send(...events.slice(3, 10))
    expect(flow.progress.value).toMatchObject({ stage: 4, step: 1, totalSteps: 3 })
    expect(flow.stageStatus.value).toEqual({ 1: 'done', 2: 'skipped', 3: 'done', 4: 'running' })
    expect(flow.stages.value.stage3?.prompt).toBe('watercolour painting of the photo')
    stream.send(...events.slice(10))

    expect(await running).toEqual(media(RUN_A, 0, FIRST_SEED))
    expect(requests).toEqual([
      {
        schema: 'photo_watercolour',
        input_text: 'my bike',
        context_prompt: 'paint it in blue',
        input_image: IMAGE_ID,
        output_config: 'tiny_sd',
        seed: FIRST_SEED,
        language: 'de',
        parameters: { steps: 4, strength: 0.6 },
      },
    ])
    expect(flow.state.value).toBe('done')
    expect(flow.progress.value).toBeNull()
    expect(flow.media.value).toEqual(media(RUN_A, 0, FIRST_SEED))
    expect(flow.stageStatus.value).toEqual({ 1: 'done', 2: 'skipped', 3: 'done', 4: 'done' })
  })

  it.each([
    { id: 'same_inputs_new_seed', change: {}, retry: false, expected: 2 ** 31 },
    { id: 'new_rules_same_seed', change: { contextPrompt: 'make it night' }, retry: false, expected: FIRST_SEED },
    {
      id: 'new_image_same_seed',
      change: { imageId: '44444444-4444-4444-8444-444444444444' },
      retry: false,
      expected: FIRST_SEED,
    },
    { id: 'retry_new_seed', change: { contextPrompt: 'make it night' }, retry: true, expected: 2 ** 31 },
  ])('$id', async ({ change, retry, expected }) => {
    const { flow, requests } = imageFlow()
    await flow.generate(INPUT)
    await flow.generate({ ...INPUT, ...change, retry })
    expect(requests.map((request) => request.seed)).toEqual([FIRST_SEED, expected])
  })

  it.each([
    {
      id: 'blocked_rules',
      answers: [null],
      streams: [[{ type: 'blocked', data: blockedBody(1) }]],
      state: 'blocked',
      problem: blockedProblemAt(1),
      statuses: { 1: 'blocked', 2: 'skipped', 3: 'waiting', 4: 'waiting' },
    },
    {
      id: 'blocked_prompt',
      answers: [null],
      streams: [
        [
          { type: 'stage_complete', data: { stage: 1, name: 'safety', report: passedStage1() } },
          { type: 'blocked', data: blockedBody(3, { stage1: passedStage1(), ...blockedStages(3) }) },
        ],
      ],
      state: 'blocked',
      problem: blockedProblemAt(3),
      statuses: { 1: 'done', 2: 'skipped', 3: 'blocked', 4: 'waiting' },
    },
    {
      id: 'failed_in_the_queue',
      answers: [null],
      streams: [
        [
          {
            type: 'error',
            data: {
              error: { code: 'generation_failed', message: 'out of memory', details: { output_config: 'sd15' } },
            },
          },
        ],
      ],
      state: 'error',
      problem: {
        kind: 'error',
        code: 'generation_failed',
        message: 'out of memory',
        details: { output_config: 'sd15' },
      },
      statuses: { 1: 'waiting', 2: 'skipped', 3: 'waiting', 4: 'waiting' },
    },
    {
      id: 'upload_gone',
      answers: [new ApiError(404, 'upload_not_found', 'no upload with this image_id')],
      streams: [],
      state: 'error',
      problem: { kind: 'error', code: 'upload_not_found', message: 'no upload with this image_id', details: {} },
      statuses: { 1: 'waiting', 2: 'skipped', 3: 'waiting', 4: 'waiting' },
    },
  ] satisfies { id: string; answers: (Error | null)[]; streams: RunEvent[][]; [key: string]: unknown }[])(
    '$id: shows the problem, then a new try works',
    async ({ answers, streams, state, problem, statuses }) => {
      const scripts = [...streams]
      const { flow } = imageFlow({
        answers: [...answers, null],
        play: (request) => scripts.shift() ?? executeEvents(media(RUN_A, 0, request.seed ?? -1)),
      })
      expect(await flow.generate(INPUT)).toBeNull()
      expect(flow.state.value).toBe(state)
      expect(flow.problem.value).toEqual(problem)
      expect(flow.stageStatus.value).toEqual(statuses)
      expect(flow.busy.value).toBe(false)

      expect(await flow.generate(INPUT)).toEqual(media(RUN_A, 0, FIRST_SEED))
      expect(flow.state.value).toBe('done')
      expect(flow.problem.value).toBeNull()
    },
  )

  it('cancel while queued: the run ends canceled and shows no image', async () => {
    const { flow, runs } = imageFlow({ play: () => undefined })
    const running = flow.generate(INPUT)
    const stream = await runs.stream(RUN_A)
    stream.send({ type: 'queued', data: { position: 2 } })
    expect(flow.progress.value).toEqual({ stage: 1, position: 1, cancelable: true, canceling: false })
    await flow.cancel()
    stream.send({ type: 'canceled', data: { while_status: 'queued' } })
    expect(await running).toBeNull()
    expect(runs.cancels).toEqual([RUN_A])
    expect(flow.state.value).toBe('canceled')
    expect(flow.media.value).toBeNull()
    expect(flow.problem.value).toBeNull()
    expect(flow.stageStatus.value).toEqual({ 1: 'waiting', 2: 'skipped', 3: 'waiting', 4: 'waiting' })
  })

  it('after a reload, a run that finished meanwhile shows its image and stages at once', async () => {
    sessionStorage.setItem(KEY, JSON.stringify({ runId: RUN_A, prompt: '["photo_watercolour"]', snapshot: null }))
    const output = media(RUN_A, 0, 777)
    const { flow, runs } = imageFlow()
    runs.statuses.set(
      RUN_A,
      runStatus(RUN_A, 'success', {
        kind: 'execute',
        media_output: output,
        stages: { stage1: passedStage1(), stage3: { prompt: 'p' }, stage4: stage4Report(output) },
      }),
    )
    const resumed = flow.resume()
    expect(flow.state.value).toBe('generating')
    await resumed
    expect(flow.state.value).toBe('done')
    expect(flow.media.value).toEqual(output)
    expect(flow.stageStatus.value).toEqual({ 1: 'done', 2: 'skipped', 3: 'done', 4: 'done' })
    expect(runs.opened).toEqual([])
    expect(sessionStorage.getItem(KEY)).toBeNull()
  })
})
