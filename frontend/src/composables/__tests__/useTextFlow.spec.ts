import { describe, expect, it } from 'vitest'

import { ApiError, BlockedError } from '@/api/client'
import type {
  GenerationRequest,
  GenerationResponse,
  OptimizeRequest,
  OptimizeResponse,
  Stage2Request,
  Stage2Response,
} from '@/api/types'

import { useSeed, FIRST_SEED } from '../useSeed'
import { useTextFlow, type TextFlowApi } from '../useTextFlow'
import { RUN_A, RUN_B, blockedStages, deferred, media, passedStage1 } from './fixtures'

type Outcome<T> = T | Error

/** A fake of the three endpoints: answers from queues, records every request. */
function fakeApi(script: {
  stage2?: Outcome<Stage2Response>[]
  optimize?: Outcome<OptimizeResponse>[]
  generation?: Outcome<GenerationResponse>[]
}) {
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
    generateMedia: (request) => (calls.generation.push(request), answer(script.generation)),
  }
  return { api, calls }
}

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
const generationOk = (runId: string, index: number, seed: number): GenerationResponse => ({
  status: 'success',
  run_id: runId,
  media_output: media(runId, index, seed),
  stages: {},
  duration_ms: 900,
})

const START = { configId: 'dada', inputText: 'a fox', language: 'en' as const }
const GENERATE = { outputConfig: 'tiny_sd', language: 'en' as const, parameters: { steps: 4, width: 256, height: 256 } }

describe('useTextFlow', () => {
  it('walks idle -> intercepting -> intercepted -> optimizing -> optimized -> generating -> done', async () => {
    const { api, calls } = fakeApi({
      stage2: [STAGE2_OK],
      optimize: [OPTIMIZE_OK],
      generation: [generationOk(RUN_A, 0, FIRST_SEED)],
    })
    const flow = useTextFlow(
      api,
      useSeed(() => 0.5),
    )
    const seen: string[] = [flow.state.value]

    const starting = flow.start(START)
    seen.push(flow.state.value)
    expect(flow.busy.value).toBe(true)
    expect(flow.runningStage.value).toBe(2)
    await starting
    seen.push(flow.state.value)
    expect(flow.runId.value).toBe(RUN_A)
    expect(flow.interceptionResult.value).toBe(STAGE2_OK.interception_result)
    expect(flow.stages.value.stage1?.checks[0]?.name).toBe('term_filter')

    flow.interceptionResult.value = 'A fox in a Dada collage, edited by me'
    const optimizing = flow.optimize({ outputConfig: 'tiny_sd', language: 'en' })
    seen.push(flow.state.value)
    expect(flow.runningStage.value).toBe(3)
    await optimizing
    seen.push(flow.state.value)

    const generating = flow.generate(GENERATE)
    seen.push(flow.state.value)
    expect(flow.runningStage.value).toBe(4)
    const output = await generating
    seen.push(flow.state.value)

    expect(seen).toEqual(['idle', 'intercepting', 'intercepted', 'optimizing', 'optimized', 'generating', 'done'])
    expect(calls.stage2).toEqual([{ schema: 'dada', input_text: 'a fox', context_prompt: undefined, language: 'en' }])
    expect(calls.optimize).toEqual([
      { prompt: 'A fox in a Dada collage, edited by me', output_config: 'tiny_sd', run_id: RUN_A, language: 'en' },
    ])
    expect(calls.generation).toEqual([
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
    expect(flow.stageStatus.value).toEqual({ 1: 'done', 2: 'done', 3: 'done', 4: 'done' })
  })

  it('first image joins the run; later images are new runs; seeds follow the rule, retry and lock', async () => {
    const randoms = [0.5, 0.25]
    const seed = useSeed(() => randoms.shift() ?? 0)
    const requests: GenerationRequest[] = []
    const flow = useTextFlow(
      {
        runStage2: () => Promise.resolve(STAGE2_OK),
        optimizePrompt: () => Promise.resolve(OPTIMIZE_OK),
        generateMedia: (request) => {
          requests.push(request)
          return Promise.resolve(generationOk(request.run_id ?? RUN_B, 0, request.seed ?? -1))
        },
      },
      seed,
    )
    await flow.start(START)
    await flow.optimize({ outputConfig: 'tiny_sd', language: 'en' })
    await flow.generate(GENERATE) // first image: the fixed first seed, into the stage-2 run
    await flow.generate(GENERATE) // same prompt again: a new seed, a new run
    seed.locked.value = true
    await flow.generate({ ...GENERATE, retry: true }) // retry: a new seed even when locked
    await flow.generate(GENERATE) // locked: the retry's seed again

    expect(requests.map((request) => [request.run_id, request.seed])).toEqual([
      [RUN_A, FIRST_SEED],
      [undefined, 2 ** 31],
      [undefined, 2 ** 30],
      [undefined, 2 ** 30],
    ])
    expect(flow.media.value).toEqual(media(RUN_B, 0, 2 ** 30))
  })

  it('a changed optimized prompt keeps the seed', async () => {
    const { api, calls } = fakeApi({
      stage2: [STAGE2_OK],
      optimize: [OPTIMIZE_OK],
      generation: [generationOk(RUN_A, 0, FIRST_SEED), generationOk(RUN_B, 0, FIRST_SEED)],
    })
    const flow = useTextFlow(
      api,
      useSeed(() => 0.5),
    )
    await flow.start(START)
    await flow.optimize({ outputConfig: 'tiny_sd', language: 'en' })
    await flow.generate(GENERATE)
    flow.optimizedPrompt.value = 'dada collage of a fox, in blue'
    await flow.generate(GENERATE)
    expect(calls.generation.map((request) => [request.prompt, request.seed])).toEqual([
      [OPTIMIZE_OK.optimized_prompt, FIRST_SEED],
      ['dada collage of a fox, in blue', FIRST_SEED],
    ])
  })

  it.each([
    {
      id: 'blocked_at_stage1',
      stage2: [
        new BlockedError({
          status: 'blocked',
          stage: 1,
          reason: 'gore is not allowed',
          found_terms: ['gore'],
          run_id: RUN_A,
          stages: blockedStages(1),
        }),
      ],
      optimize: [],
      act: 'start',
      state: 'blocked',
      problem: { kind: 'blocked', stage: 1, reason: 'gore is not allowed', foundTerms: ['gore'] },
      statuses: { 1: 'blocked', 2: 'waiting', 3: 'waiting', 4: 'waiting' },
    },
    {
      id: 'blocked_at_stage3_on_optimize',
      stage2: [STAGE2_OK],
      optimize: [
        new BlockedError({
          status: 'blocked',
          stage: 3,
          reason: 'gore is not allowed',
          found_terms: ['gore'],
          run_id: RUN_A,
          stages: blockedStages(3),
        }),
      ],
      act: 'optimize',
      state: 'blocked',
      problem: { kind: 'blocked', stage: 3, reason: 'gore is not allowed', foundTerms: ['gore'] },
      statuses: { 1: 'done', 2: 'done', 3: 'blocked', 4: 'waiting' },
    },
    {
      id: 'server_error_on_start',
      stage2: [new ApiError(422, 'validation_error', 'context_prompt is required')],
      optimize: [],
      act: 'start',
      state: 'error',
      problem: { kind: 'error', code: 'validation_error', message: 'context_prompt is required' },
      statuses: { 1: 'waiting', 2: 'waiting', 3: 'waiting', 4: 'waiting' },
    },
    {
      id: 'network_error_on_optimize',
      stage2: [STAGE2_OK],
      optimize: [new ApiError(0, 'network_error', 'Failed to fetch')],
      act: 'optimize',
      state: 'error',
      problem: { kind: 'error', code: 'network_error', message: 'Failed to fetch' },
      statuses: { 1: 'done', 2: 'done', 3: 'waiting', 4: 'waiting' },
    },
  ])(
    '$id: shows the problem and lets the learner try again',
    async ({ stage2, optimize, act, state, problem, statuses }) => {
      const { api } = fakeApi({ stage2: [...stage2], optimize: [...optimize, OPTIMIZE_OK] })
      const flow = useTextFlow(api, useSeed())
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
    const { api } = fakeApi({
      stage2: [STAGE2_OK],
      optimize: [OPTIMIZE_OK],
      generation: [
        new BlockedError({
          status: 'blocked',
          stage: 3,
          reason: 'no',
          found_terms: [],
          run_id: RUN_A,
          stages: blockedStages(3),
        }),
      ],
    })
    const flow = useTextFlow(api, useSeed())
    await flow.start(START)
    await flow.optimize({ outputConfig: 'tiny_sd', language: 'en' })
    expect(await flow.generate(GENERATE)).toBeNull()
    expect(flow.state.value).toBe('blocked')
    expect(flow.optimizedPrompt.value).toBe(OPTIMIZE_OK.optimized_prompt)
    expect(flow.canGenerate.value).toBe(true)
    expect(flow.media.value).toBeNull()
  })

  it('refuses a second run while one is running', async () => {
    const pending = deferred<Stage2Response>()
    let count = 0
    const flow = useTextFlow(
      {
        runStage2: () => ((count += 1), pending.promise),
        optimizePrompt: () => Promise.reject(new Error('not called')),
        generateMedia: () => Promise.reject(new Error('not called')),
      },
      useSeed(),
    )
    const first = flow.start(START)
    await flow.start(START)
    expect(count).toBe(1)
    expect(flow.canOptimize.value).toBe(false)
    pending.resolve(STAGE2_OK)
    await first
    expect(flow.state.value).toBe('intercepted')
  })

  it('optimize and generate do nothing before stage 2 produced a run', async () => {
    const { api, calls } = fakeApi({})
    const flow = useTextFlow(api, useSeed())
    await flow.optimize({ outputConfig: 'tiny_sd', language: 'de' })
    expect(await flow.generate(GENERATE)).toBeNull()
    expect(calls.optimize).toEqual([])
    expect(calls.generation).toEqual([])
    expect(flow.state.value).toBe('idle')
  })

  it('start again resets the later results', async () => {
    const { api } = fakeApi({
      stage2: [STAGE2_OK, { ...STAGE2_OK, run_id: RUN_B, interception_result: 'new' }],
      optimize: [OPTIMIZE_OK],
      generation: [generationOk(RUN_A, 0, FIRST_SEED)],
    })
    const flow = useTextFlow(api, useSeed())
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
