import { afterEach, describe, expect, it, vi } from 'vitest'
import { nextTick, ref } from 'vue'

import { ApiError, BlockedError } from '@/api/client'
import type { RunEvent } from '@/api/runs'
import type { ExecuteRequest, MediaOutput, Stage2Report, Stage3Report, Stages } from '@/api/types'

import { usePipelineFlow, type FlowInputs, type PipelineApi } from '../usePipelineFlow'
import { createRunMemory, useRun } from '../useRun'
import { useSeed } from '../useSeed'
import {
  RUN_A,
  RUN_B,
  blockedBody,
  blockedReport,
  fakeRuns,
  media,
  passedStage1,
  queuedResponse,
  stage4Report,
} from './fixtures'

const STAGE2: Stage2Report = {
  status: 'done',
  output: 'ein Fuchs aus Papierschnipseln',
  config: 'dada',
  pipeline: 'text_transformation',
}
const STAGE3: Stage3Report = {
  optimization: { status: 'done', output: 'paper fox collage' },
  safety: passedStage1(),
  prompt: 'paper fox collage',
}

/** The events of a whole /execute run that ends with `output` (or `end` instead of `complete`). */
function executeEvents(output: MediaOutput, stages: Stages = { stage2: STAGE2, stage3: STAGE3 }, end?: RunEvent) {
  const events: RunEvent[] = [
    { type: 'queued', data: { position: 1 } },
    { type: 'started', data: { waited_ms: 1 } },
    { type: 'stage_start', data: { stage: 1, name: 'safety' } },
    { type: 'stage_complete', data: { stage: 1, name: 'safety', report: passedStage1() } },
    { type: 'stage_start', data: { stage: 2, name: 'interception' } },
    { type: 'stage_complete', data: { stage: 2, name: 'interception', report: stages.stage2! } },
    { type: 'stage_start', data: { stage: 3, name: 'pre_output' } },
  ]
  if (end) return [...events, end]
  return [
    ...events,
    { type: 'stage_complete', data: { stage: 3, name: 'pre_output', report: stages.stage3! } },
    { type: 'stage_start', data: { stage: 4, name: 'generation' } },
    { type: 'progress', data: { step: 1, total_steps: 1, percent: 100, ts: 1 } },
    { type: 'stage_complete', data: { stage: 4, name: 'generation', report: stage4Report(output) } },
    { type: 'complete', data: { media_output: output } },
  ] satisfies RunEvent[]
}

function setup(
  overrides: Partial<FlowInputs> = {},
  script: (runId: string) => RunEvent[] | undefined = () => undefined,
) {
  const runs = fakeRuns(script)
  const run = useRun<unknown>(
    runs.api,
    createRunMemory(localStorage, 'text', (v): v is unknown => v === null),
    1,
  )
  const seed = useSeed(() => 0.5)
  const sent: ExecuteRequest[] = []
  let nextRun = RUN_A
  const api: PipelineApi = {
    runStage2: vi.fn(async (request) => ({
      status: 'success' as const,
      run_id: RUN_B,
      interception_result: overrides.skipsStage2 ? request.input_text : STAGE2.output,
      stages: {
        stage1: passedStage1(),
        stage2: overrides.skipsStage2 ? { ...STAGE2, status: 'skipped' as const, output: request.input_text } : STAGE2,
      },
    })),
    optimizePrompt: vi.fn(async (request) => ({
      status: 'success' as const,
      run_id: request.run_id ?? RUN_B,
      optimized_prompt: `${request.prompt}, optimized`,
      stages: {
        stage3: { optimization: { status: 'done' as const, output: `${request.prompt}, optimized` }, prompt: '' },
      },
    })),
    submitExecute: vi.fn(async (request) => {
      sent.push(request)
      return queuedResponse(nextRun)
    }),
  }
  const inputs = ref<FlowInputs>({
    schema: 'dada',
    idea: 'ein Fuchs im Regen',
    contextPrompt: undefined,
    language: 'de',
    outputConfig: 'tiny_sd',
    parameters: { steps: 4, width: 64, height: 64 },
    inputImage: null,
    skipsStage2: false,
    ...overrides,
  })
  const flow = usePipelineFlow(api, run, seed, inputs)
  return { flow, inputs, api, sent, seed, setNextRun: (id: string) => (nextRun = id) }
}

afterEach(() => localStorage.clear())

/** An uploaded mask's image_id (inpainting). */
const MASK_ID = '5a1f7c9e-2b3d-4e5f-8a9b-0c1d2e3f4a5b'

describe('usePipelineFlow: one click to the image', () => {
  it('runs all stages in one queued run; every card shows its result and nothing is stale', async () => {
    const output = media(RUN_A, 0, 123456789)
    const { flow, sent } = setup({}, () => executeEvents(output))
    const outcome = await flow.go()
    expect(outcome?.status).toBe('success')
    expect(sent[0]).toMatchObject({ schema: 'dada', input_text: 'ein Fuchs im Regen', output_config: 'tiny_sd' })
    expect(sent[0]).not.toHaveProperty('interception_result')
    expect(sent[0]).not.toHaveProperty('optimized_prompt')
    expect(flow.media.value).toEqual(output)
    expect(flow.interception.value).toBe(STAGE2.output)
    expect(flow.optimized.value).toBe('paper fox collage')
    expect(flow.stageStatus.value).toEqual({ 1: 'done', 2: 'done', 3: 'done', 4: 'done' })
    expect(flow.notice.value).toEqual({ stage: 4, kind: 'done' })
    expect(flow.lastRunId.value).toBe(RUN_A)
  })

  it.each([
    {
      id: 'edited_stage2_text',
      edit: (f: ReturnType<typeof setup>) => (f.flow.interception.value = 'ein Fuchs aus Zeitung'),
      statuses: { 1: 'done', 2: 'done', 3: 'stale', 4: 'stale' },
      sends: { interception_result: 'ein Fuchs aus Zeitung' },
      omits: ['optimized_prompt'],
    },
    {
      id: 'edited_stage3_text',
      edit: (f: ReturnType<typeof setup>) => (f.flow.optimized.value = 'paper fox, blue'),
      statuses: { 1: 'done', 2: 'done', 3: 'done', 4: 'stale' },
      sends: { interception_result: STAGE2.output, optimized_prompt: 'paper fox, blue' },
      omits: [],
    },
    {
      id: 'changed_idea',
      edit: (f: ReturnType<typeof setup>) => (f.inputs.value = { ...f.inputs.value, idea: 'ein Bär' }),
      statuses: { 1: 'stale', 2: 'stale', 3: 'stale', 4: 'stale' },
      sends: { input_text: 'ein Bär' },
      omits: ['interception_result', 'optimized_prompt'],
    },
    {
      id: 'painted_mask',
      edit: (f: ReturnType<typeof setup>) =>
        (f.inputs.value = { ...f.inputs.value, maskImage: MASK_ID, maskKey: 'mask-3' }),
      statuses: { 1: 'done', 2: 'done', 3: 'done', 4: 'stale' },
      sends: { mask_image: MASK_ID, optimized_prompt: 'paper fox collage' },
      omits: [],
    },
    {
      id: 'changed_setting',
      edit: (f: ReturnType<typeof setup>) =>
        (f.inputs.value = { ...f.inputs.value, parameters: { steps: 8, width: 64, height: 64 } }),
      statuses: { 1: 'done', 2: 'done', 3: 'done', 4: 'stale' },
      sends: { interception_result: STAGE2.output, optimized_prompt: 'paper fox collage' },
      omits: [],
    },
  ])('$id: later stages are marked out of date and the next run redoes exactly them', async (c) => {
    const f = setup({}, (runId) => executeEvents(media(runId, 0, 7)))
    await f.flow.go()
    c.edit(f)
    await nextTick()
    expect(f.flow.stageStatus.value).toEqual(c.statuses)
    f.setNextRun(RUN_B)
    await f.flow.go()
    expect(f.sent[1]).toMatchObject(c.sends)
    for (const field of c.omits) expect(f.sent[1]).not.toHaveProperty(field)
  })

  it('while a run goes, the stages before the running one are done and the later ones wait', async () => {
    const runs = fakeRuns()
    const run = useRun<unknown>(
      runs.api,
      createRunMemory(localStorage, 'text', (v): v is unknown => v === null),
      1,
    )
    const inputs = ref<FlowInputs>({
      schema: 'dada',
      idea: 'ein Fuchs',
      contextPrompt: undefined,
      language: 'de',
      outputConfig: 'tiny_sd',
      parameters: { steps: 4 },
      inputImage: null,
      skipsStage2: false,
    })
    const api: PipelineApi = {
      runStage2: vi.fn(),
      optimizePrompt: vi.fn(),
      submitExecute: vi.fn(async () => queuedResponse(RUN_A)),
    }
    const flow = usePipelineFlow(api, run, useSeed(), inputs)
    const ended = flow.go()
    const stream = await runs.stream(RUN_A)
    const events = executeEvents(media(RUN_A, 0, 1))
    stream.send(...events.slice(0, 9)) // up to stage 4's start
    await nextTick()
    expect(flow.stageStatus.value).toEqual({ 1: 'done', 2: 'done', 3: 'done', 4: 'running' })
    expect(flow.progressFor(4)).toMatchObject({ stage: 4, cancelable: true })
    expect(flow.progressFor(3)).toBeNull()
    expect(flow.interception.value).toBe(STAGE2.output)
    stream.send(...events.slice(9))
    await ended
    expect(flow.busy.value).toBe(false)
  })

  it('follows the seed rule: same inputs draw a new seed, a changed word keeps it, retry always draws', async () => {
    const f = setup({}, (runId) => executeEvents(media(runId, 0, f.sent.at(-1)!.seed!)))
    await f.flow.go()
    expect(f.sent[0]!.seed).toBe(123456789)
    f.setNextRun(RUN_B)
    await f.flow.go()
    const drawn = f.sent[1]!.seed
    expect(drawn).not.toBe(123456789)
    f.flow.optimized.value = 'paper fox, in blue'
    await f.flow.go()
    expect(f.sent[2]!.seed).toBe(drawn)
    await f.flow.go({ retry: true })
    expect(f.sent[3]!.seed).not.toBe(drawn)
  })

  it('a stage-3 block stops there: earlier stages done, stage 4 reset without its old image', async () => {
    const blocked: RunEvent = {
      type: 'blocked',
      data: blockedBody(3, {
        stage1: passedStage1(),
        stage2: STAGE2,
        stage3: { prompt: 'gore', safety: blockedReport() },
      }),
    }
    let runs = 0
    const f = setup({}, (runId) =>
      runs++ === 0 ? executeEvents(media(runId, 0, 1)) : executeEvents(media(runId, 0, 1), undefined, blocked),
    )
    await f.flow.go()
    expect(f.flow.media.value).not.toBeNull()
    f.flow.interception.value = 'gore'
    f.setNextRun(RUN_B)
    await f.flow.go()
    expect(f.flow.stageStatus.value).toEqual({ 1: 'done', 2: 'done', 3: 'blocked', 4: 'halted' })
    expect(f.flow.media.value).toBeNull()
    expect(f.flow.problem.value).toMatchObject({ stage: 3, problem: { kind: 'blocked', stage: 3 } })
    expect(f.flow.halted.value).toBe(3)
  })

  it.each([
    {
      id: 'refused_setting_goes_to_stage4',
      cause: new ApiError(422, 'validation_error', 'steps must be between 1 and 50', {
        field: 'parameters.steps',
        min: 1,
        max: 50,
      }),
      stage: 4,
    },
    { id: 'server_down_goes_to_the_actions', cause: new ApiError(0, 'network_error', 'Failed to fetch'), stage: 0 },
    { id: 'queue_full_goes_to_the_actions', cause: new ApiError(429, 'queue_full', 'busy', {}, 30), stage: 0 },
  ])('$id: a refused submission is shown where it belongs', async ({ cause, stage }) => {
    const f = setup()
    f.api.submitExecute = vi.fn(() => Promise.reject(cause))
    await f.flow.go()
    expect(f.flow.problem.value?.stage).toBe(stage)
    expect(f.flow.busy.value).toBe(false)
  })
})

describe('usePipelineFlow: step by step', () => {
  it('stage 1-2 then 3, into the same run, each ending with a notice in its card', async () => {
    const f = setup()
    await f.flow.step2()
    expect(f.flow.interception.value).toBe(STAGE2.output)
    expect(f.flow.notice.value).toEqual({ stage: 2, kind: 'intercepted' })
    expect(f.flow.stageStatus.value).toMatchObject({ 1: 'done', 2: 'done', 3: 'waiting' })
    f.flow.interception.value = 'ein Fuchs aus Zeitung'
    await f.flow.step3()
    expect(f.api.optimizePrompt).toHaveBeenCalledWith(
      expect.objectContaining({ prompt: 'ein Fuchs aus Zeitung', run_id: RUN_B, output_config: 'tiny_sd' }),
    )
    expect(f.flow.optimized.value).toBe('ein Fuchs aus Zeitung, optimized')
    expect(f.flow.notice.value).toEqual({ stage: 3, kind: 'optimized' })
    expect(f.flow.stageStatus.value[3]).toBe('done')
  })

  it('Direkt: stage 2 is skipped and the idea goes on as it is', async () => {
    const f = setup({ schema: 'direct', skipsStage2: true })
    expect(await f.flow.step2()).toBe(true)
    expect(f.flow.notice.value).toEqual({ stage: 2, kind: 'checked' })
    expect(f.flow.stageStatus.value[2]).toBe('skipped')
    await f.flow.step3()
    expect(f.api.optimizePrompt).toHaveBeenCalledWith(expect.objectContaining({ prompt: 'ein Fuchs im Regen' }))
  })

  it('a block when going on to stage 3 is shown in stage 3 and resets stage 4', async () => {
    const f = setup()
    await f.flow.step2()
    f.api.optimizePrompt = vi.fn(() => Promise.reject(new BlockedError(blockedBody(3))))
    await f.flow.step3()
    expect(f.flow.problem.value).toMatchObject({ stage: 3, problem: { kind: 'blocked' } })
    expect(f.flow.stageStatus.value).toMatchObject({ 1: 'done', 3: 'blocked', 4: 'halted' })
  })
})

describe('usePipelineFlow: restore', () => {
  it('shows a finished run as current: nothing is stale, and the same inputs draw a new seed', async () => {
    const f = setup({}, (runId) => executeEvents(media(runId, 0, 5)))
    const output = media(RUN_A, 0, 99)
    f.flow.restore({
      runId: RUN_A,
      stages: { stage1: passedStage1(), stage2: STAGE2, stage3: STAGE3, stage4: stage4Report(output) },
      media: output,
      interception: STAGE2.output,
      optimized: 'paper fox collage',
      block: null,
    })
    expect(f.flow.stageStatus.value).toEqual({ 1: 'done', 2: 'done', 3: 'done', 4: 'done' })
    expect(f.seed.seed.value).toBe(99)
    await f.flow.go()
    expect(f.sent[0]!.seed).not.toBe(99)
    expect(f.sent[0]).toMatchObject({ interception_result: STAGE2.output, optimized_prompt: 'paper fox collage' })
  })
})
