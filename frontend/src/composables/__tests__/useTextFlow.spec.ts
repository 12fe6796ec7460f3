import { effectScope } from 'vue'
import { afterEach, describe, expect, it } from 'vitest'

import { ApiError, BlockedError } from '@/api/client'
import type { RunEvent } from '@/api/runs'
import type {
  GenerationRequest,
  OptimizeRequest,
  OptimizeResponse,
  QueuedResponse,
  Stage2Request,
  Stage2Response,
} from '@/api/types'

import { createRunMemory, RUN_STORAGE_PREFIX, useRun } from '../useRun'
import { useSeed, FIRST_SEED, type SeedControl } from '../useSeed'
import { isTextRunSnapshot, useTextFlow, type TextFlowApi } from '../useTextFlow'
import {
  RUN_A,
  RUN_B,
  blockedBody,
  blockedProblemAt,
  blockedStages,
  deferred,
  fakeRuns,
  generationEvents,
  media,
  passedStage1,
  queuedResponse,
  runStatus,
  stage4Report,
} from './fixtures'

type Outcome<T> = T | Error

/**
 * A fake of the three endpoints (answers from queues, every request recorded) and of the run API:
 * a queued generation joins `run_id` or starts RUN_B, and its stream is `play(runId, request)`
 * (default: the image, drawn with the request's seed); `undefined` leaves the stream to the test.
 */
function fakeApi(
  script: {
    stage2?: Outcome<Stage2Response>[]
    optimize?: Outcome<OptimizeResponse>[]
    generation?: Outcome<QueuedResponse>[]
  },
  play: (runId: string, request: GenerationRequest) => RunEvent[] | undefined = (runId, request) =>
    generationEvents(media(runId, 0, request.seed ?? -1)),
) {
  const calls = {
    stage2: [] as Stage2Request[],
    optimize: [] as OptimizeRequest[],
    generation: [] as GenerationRequest[],
  }
  const answer = <T>(queue: Outcome<T>[] | undefined): Promise<T> => {
    const next = queue?.shift()
    if (next === undefined) return Promise.reject(new Error('unexpected call'))
    return next instanceof Error ? Promise.reject(next) : Promise.resolve(next)
  }
  const api: TextFlowApi = {
    runStage2: (request) => (calls.stage2.push(request), answer(script.stage2)),
    optimizePrompt: (request) => (calls.optimize.push(request), answer(script.optimize)),
    submitGeneration: (request) => {
      calls.generation.push(request)
      return script.generation ? answer(script.generation) : Promise.resolve(queuedResponse(request.run_id ?? RUN_B))
    },
  }
  const runs = fakeRuns((runId) => play(runId, calls.generation.at(-1)!))
  return { api, calls, runs }
}

/** The text flow over `fake`, its run remembered in the page's sessionStorage (as in the studio). */
function textFlow(fake: ReturnType<typeof fakeApi>, seed: SeedControl = useSeed()) {
  const run = useRun(fake.runs.api, createRunMemory(sessionStorage, 'text', isTextRunSnapshot), 3)
  return useTextFlow(fake.api, seed, run)
}

const KEY = `${RUN_STORAGE_PREFIX}text`

afterEach(() => sessionStorage.clear())

const STAGE2_OK: Stage2Response = {
  status: 'success',
  run_id: RUN_A,
  interception_result: 'A fox, cut into pieces and glued back as a Dada collage.',
  stages: {
    stage1: passedStage1(),
    stage2: { status: 'done', output: 'A fox, cut into pieces…', config: 'dada', pipeline: 'text_transformation' },
  },
}
const OPTIMIZE_OK: OptimizeResponse = {
  status: 'success',
  run_id: RUN_A,
  optimized_prompt: 'dada collage of a fox, paper cut-outs',
  stages: { stage3: { prompt: 'dada collage of a fox, paper cut-outs' } },
}
const START = { configId: 'dada', inputText: 'a fox', language: 'en' as const }
const GENERATE = { outputConfig: 'tiny_sd', language: 'en' as const, parameters: { steps: 4, width: 256, height: 256 } }

describe('useTextFlow', () => {
  it('walks idle -> intercepting -> intercepted -> optimizing -> optimized -> generating -> done', async () => {
    const fake = fakeApi({ stage2: [STAGE2_OK], optimize: [OPTIMIZE_OK] })
    const flow = textFlow(
      fake,
      useSeed(() => 0.5),
    )
    const seen: string[] = [flow.state.value]

    const starting = flow.start(START)
    seen.push(flow.state.value)
    expect(flow.busy.value).toBe(true)
    expect(flow.progress.value).toEqual({ stage: 2 })
    await starting
    seen.push(flow.state.value)
    expect(flow.runId.value).toBe(RUN_A)
    expect(flow.interceptionResult.value).toBe(STAGE2_OK.interception_result)
    expect(flow.stages.value.stage1?.checks[0]?.name).toBe('term_filter')

    flow.interceptionResult.value = 'A fox in a Dada collage, edited by me'
    const optimizing = flow.optimize({ outputConfig: 'tiny_sd', language: 'en' })
    seen.push(flow.state.value)
    expect(flow.progress.value).toEqual({ stage: 3 })
    await optimizing
    seen.push(flow.state.value)

    const generating = flow.generate(GENERATE)
    seen.push(flow.state.value)
    expect(flow.progress.value).toMatchObject({ stage: 3, cancelable: false })
    expect(flow.stageStatus.value[4]).toBe('running')
    const output = await generating
    seen.push(flow.state.value)

    expect(seen).toEqual(['idle', 'intercepting', 'intercepted', 'optimizing', 'optimized', 'generating', 'done'])
    expect(fake.calls.stage2).toEqual([
      { schema: 'dada', input_text: 'a fox', context_prompt: undefined, language: 'en' },
    ])
    expect(fake.calls.optimize).toEqual([
      { prompt: 'A fox in a Dada collage, edited by me', output_config: 'tiny_sd', run_id: RUN_A, language: 'en' },
    ])
    expect(fake.calls.generation).toEqual([
      {
        prompt: OPTIMIZE_OK.optimized_prompt,
        output_config: 'tiny_sd',
        seed: FIRST_SEED,
        run_id: RUN_A,
        language: 'en',
        parameters: GENERATE.parameters,
      },
    ])
    expect(output).toEqual(media(RUN_A, 0, FIRST_SEED))
    expect(flow.media.value?.url).toBe(`/api/media/image/${RUN_A}/0`)
    expect(flow.stages.value.stage4).toEqual(stage4Report(media(RUN_A, 0, FIRST_SEED)))
    expect(flow.stages.value.stage3).toEqual({ prompt: 'a fox' }) // the run's stage 3 (with 3b and 3c)
    expect(flow.progress.value).toBeNull()
    expect(flow.stageStatus.value).toEqual({ 1: 'done', 2: 'done', 3: 'done', 4: 'done' })
    expect(sessionStorage.getItem(KEY)).toBeNull()
  })

  it('first image joins the run; later images are new runs; seeds follow the rule, retry and lock', async () => {
    const randoms = [0.5, 0.25]
    const seed = useSeed(() => randoms.shift() ?? 0)
    const fake = fakeApi({ stage2: [STAGE2_OK], optimize: [OPTIMIZE_OK] })
    const flow = textFlow(fake, seed)
    await flow.start(START)
    await flow.optimize({ outputConfig: 'tiny_sd', language: 'en' })
    await flow.generate(GENERATE) // first image: the fixed first seed, into the stage-2 run
    await flow.generate(GENERATE) // same prompt again: a new seed, a new run
    seed.locked.value = true
    await flow.generate({ ...GENERATE, retry: true }) // retry: a new seed even when locked
    await flow.generate(GENERATE) // locked: the retry's seed again

    expect(fake.calls.generation.map((request) => [request.run_id, request.seed])).toEqual([
      [RUN_A, FIRST_SEED],
      [undefined, 2 ** 31],
      [undefined, 2 ** 30],
      [undefined, 2 ** 30],
    ])
    expect(flow.media.value).toEqual(media(RUN_B, 0, 2 ** 30))
  })

  it('a changed optimized prompt keeps the seed', async () => {
    const fake = fakeApi({ stage2: [STAGE2_OK], optimize: [OPTIMIZE_OK] })
    const flow = textFlow(
      fake,
      useSeed(() => 0.5),
    )
    await flow.start(START)
    await flow.optimize({ outputConfig: 'tiny_sd', language: 'en' })
    await flow.generate(GENERATE)
    flow.optimizedPrompt.value = 'dada collage of a fox, in blue'
    await flow.generate(GENERATE)
    expect(fake.calls.generation.map((request) => [request.prompt, request.seed])).toEqual([
      [OPTIMIZE_OK.optimized_prompt, FIRST_SEED],
      ['dada collage of a fox, in blue', FIRST_SEED],
    ])
  })

  it.each([
    {
      id: 'blocked_at_stage1',
      stage2: [new BlockedError(blockedBody(1))],
      optimize: [],
      act: 'start',
      state: 'blocked',
      problem: blockedProblemAt(1),
      statuses: { 1: 'blocked', 2: 'waiting', 3: 'waiting', 4: 'waiting' },
    },
    {
      id: 'blocked_at_stage3_on_optimize',
      stage2: [STAGE2_OK],
      optimize: [new BlockedError(blockedBody(3))],
      act: 'optimize',
      state: 'blocked',
      problem: blockedProblemAt(3),
      statuses: { 1: 'done', 2: 'done', 3: 'blocked', 4: 'waiting' },
    },
    {
      id: 'server_error_on_start',
      stage2: [new ApiError(422, 'validation_error', 'context_prompt is required')],
      optimize: [],
      act: 'start',
      state: 'error',
      problem: { kind: 'error', code: 'validation_error', message: 'context_prompt is required', details: {} },
      statuses: { 1: 'waiting', 2: 'waiting', 3: 'waiting', 4: 'waiting' },
    },
    {
      id: 'network_error_on_optimize',
      stage2: [STAGE2_OK],
      optimize: [new ApiError(0, 'network_error', 'Failed to fetch')],
      act: 'optimize',
      state: 'error',
      problem: { kind: 'error', code: 'network_error', message: 'Failed to fetch', details: {} },
      statuses: { 1: 'done', 2: 'done', 3: 'waiting', 4: 'waiting' },
    },
  ])(
    '$id: shows the problem and lets the learner try again',
    async ({ stage2, optimize, act, state, problem, statuses }) => {
      const flow = textFlow(fakeApi({ stage2: [...stage2], optimize: [...optimize, OPTIMIZE_OK] }))
      await flow.start(START)
      if (act === 'optimize') await flow.optimize({ outputConfig: 'tiny_sd', language: 'en' })
      expect(flow.state.value).toBe(state)
      expect(flow.problem.value).toEqual(problem)
      expect(flow.stageStatus.value).toEqual(statuses)
      expect(flow.busy.value).toBe(false)
      if (act === 'optimize') {
        expect(flow.canOptimize.value).toBe(true)
        await flow.optimize({ outputConfig: 'tiny_sd', language: 'en' })
        expect(flow.state.value).toBe('optimized')
        expect(flow.problem.value).toBeNull()
      } else {
        expect(flow.canOptimize.value).toBe(false)
      }
    },
  )

  it('a block at generation (stage 3c) keeps the texts for editing', async () => {
    const blocked: RunEvent[] = [
      { type: 'started', data: { waited_ms: 0 } },
      { type: 'stage_start', data: { stage: 3, name: 'pre_output' } },
      {
        type: 'blocked',
        data: { status: 'blocked', stage: 3, reason: 'no', found_terms: [], run_id: RUN_A, stages: blockedStages(3) },
      },
    ]
    const flow = textFlow(fakeApi({ stage2: [STAGE2_OK], optimize: [OPTIMIZE_OK] }, () => blocked))
    await flow.start(START)
    await flow.optimize({ outputConfig: 'tiny_sd', language: 'en' })
    expect(await flow.generate(GENERATE)).toBeNull()
    expect(flow.state.value).toBe('blocked')
    expect(flow.problem.value).toEqual({
      kind: 'blocked',
      stage: 3,
      reason: 'no',
      foundTerms: [],
      report: blockedStages(3).stage3?.safety,
    })
    expect(flow.stageStatus.value).toEqual({ 1: 'done', 2: 'done', 3: 'blocked', 4: 'waiting' })
    expect(flow.optimizedPrompt.value).toBe(OPTIMIZE_OK.optimized_prompt)
    expect(flow.canGenerate.value).toBe(true)
    expect(flow.media.value).toBeNull()
  })

  it('a refused generation request (nothing queued) is an error; the learner can generate again', async () => {
    const fake = fakeApi({
      stage2: [STAGE2_OK],
      optimize: [OPTIMIZE_OK],
      generation: [new ApiError(409, 'output_config_unavailable', 'sd15 has no weights on disk')],
    })
    const flow = textFlow(fake)
    await flow.start(START)
    await flow.optimize({ outputConfig: 'tiny_sd', language: 'en' })
    expect(await flow.generate(GENERATE)).toBeNull()
    expect(flow.state.value).toBe('error')
    expect(flow.problem.value).toEqual({
      kind: 'error',
      code: 'output_config_unavailable',
      message: 'sd15 has no weights on disk',
      details: {},
    })
    expect(fake.runs.opened).toEqual([])
    expect(flow.canGenerate.value).toBe(true)
  })

  it('cancel: the run ends canceled, no image, the previous state of stage 4 stays; generate again works', async () => {
    const fake = fakeApi({ stage2: [STAGE2_OK], optimize: [OPTIMIZE_OK] }, () => undefined)
    const flow = textFlow(fake)
    await flow.start(START)
    await flow.optimize({ outputConfig: 'tiny_sd', language: 'en' })
    const generating = flow.generate(GENERATE)
    const stream = await fake.runs.stream(RUN_A)
    stream.send(...generationEvents(media(RUN_A, 0, FIRST_SEED)).slice(0, 6))
    expect(flow.progress.value).toEqual({
      stage: 4,
      step: 1,
      totalSteps: 4,
      position: null,
      cancelable: true,
      canceling: false,
    })

    await flow.cancel()
    expect(fake.runs.cancels).toEqual([RUN_A])
    expect(flow.progress.value?.canceling).toBe(true)
    stream.send({ type: 'canceled', data: { while_status: 'running' } })

    expect(await generating).toBeNull()
    expect(flow.state.value).toBe('canceled')
    expect(flow.problem.value).toBeNull()
    expect(flow.media.value).toBeNull()
    expect(flow.progress.value).toBeNull()
    expect(flow.stageStatus.value).toEqual({ 1: 'done', 2: 'done', 3: 'done', 4: 'waiting' })
    expect(flow.canGenerate.value).toBe(true)
    expect(sessionStorage.getItem(KEY)).toBeNull()

    const again = flow.generate(GENERATE)
    ;(await fake.runs.stream(RUN_A)).send(...generationEvents(media(RUN_A, 0, FIRST_SEED)))
    expect(await again).toEqual(media(RUN_A, 0, FIRST_SEED))
    expect(flow.state.value).toBe('done')
    expect(fake.calls.generation.map((request) => [request.run_id, request.seed])).toEqual([
      [RUN_A, FIRST_SEED],
      [RUN_A, FIRST_SEED],
    ])
  })

  it('after a reload, the remembered generation comes back with its texts and is followed to the image', async () => {
    const fake = fakeApi({ stage2: [STAGE2_OK], optimize: [OPTIMIZE_OK] }, () => undefined)
    const firstPage = effectScope()
    const before = firstPage.run(() => textFlow(fake))!
    await before.start(START)
    await before.optimize({ outputConfig: 'tiny_sd', language: 'en' })
    before.optimizedPrompt.value = 'my own prompt'
    void before.generate(GENERATE)
    await fake.runs.stream(RUN_A)
    firstPage.stop()
    expect(fake.runs.closed).toEqual([RUN_A])

    // The page reloads: a new flow, the same sessionStorage; the server says the run is running.
    fake.runs.statuses.set(RUN_A, runStatus(RUN_A, 'running'))
    const after = textFlow(
      fake,
      useSeed(() => 0.5),
    )
    const resumed = after.resume()
    expect(after.state.value).toBe('generating')
    expect(after.runId.value).toBe(RUN_A)
    expect(after.interceptionResult.value).toBe(STAGE2_OK.interception_result)
    expect(after.optimizedPrompt.value).toBe('my own prompt')
    expect(after.stageStatus.value).toEqual({ 1: 'done', 2: 'done', 3: 'done', 4: 'running' })
    expect(after.canGenerate.value).toBe(false)

    const stream = await fake.runs.stream(RUN_A)
    stream.send(...generationEvents(media(RUN_A, 0, FIRST_SEED)))
    await resumed
    expect(after.state.value).toBe('done')
    expect(after.media.value).toEqual(media(RUN_A, 0, FIRST_SEED))
    expect(sessionStorage.getItem(KEY)).toBeNull()

    // The seed rule knows the resumed image: the same prompt again draws a new seed, into a new run.
    void after.generate(GENERATE)
    expect(fake.calls.generation.at(-1)).toMatchObject({ prompt: 'my own prompt', seed: 2 ** 31, run_id: undefined })
  })

  it('resume does nothing when no run is remembered', async () => {
    const fake = fakeApi({})
    const flow = textFlow(fake)
    await flow.resume()
    expect(flow.state.value).toBe('idle')
    expect(fake.runs.opened).toEqual([])
  })

  it('refuses a second run while one is running', async () => {
    const pending = deferred<Stage2Response>()
    let count = 0
    const fake = fakeApi({})
    fake.api.runStage2 = () => ((count += 1), pending.promise)
    const flow = textFlow(fake)
    const first = flow.start(START)
    await flow.start(START)
    expect(count).toBe(1)
    expect(flow.canOptimize.value).toBe(false)
    pending.resolve(STAGE2_OK)
    await first
    expect(flow.state.value).toBe('intercepted')
  })

  it('optimize and generate do nothing before stage 2 produced a run', async () => {
    const fake = fakeApi({})
    const flow = textFlow(fake)
    await flow.optimize({ outputConfig: 'tiny_sd', language: 'de' })
    expect(await flow.generate(GENERATE)).toBeNull()
    expect(fake.calls.optimize).toEqual([])
    expect(fake.calls.generation).toEqual([])
    expect(flow.state.value).toBe('idle')
  })

  it('start again resets the later results', async () => {
    const flow = textFlow(
      fakeApi({
        stage2: [STAGE2_OK, { ...STAGE2_OK, run_id: RUN_B, interception_result: 'new' }],
        optimize: [OPTIMIZE_OK],
      }),
    )
    await flow.start(START)
    await flow.optimize({ outputConfig: 'tiny_sd', language: 'en' })
    await flow.generate(GENERATE)
    await flow.start({ ...START, contextPrompt: 'my own rules' })
    expect(flow.runId.value).toBe(RUN_B)
    expect(flow.interceptionResult.value).toBe('new')
    expect(flow.optimizedPrompt.value).toBe('')
    expect(flow.media.value).toBeNull()
    expect(flow.stageStatus.value).toEqual({ 1: 'done', 2: 'done', 3: 'waiting', 4: 'waiting' })
  })
})
