import { describe, expect, it } from 'vitest'

import { ApiError, BlockedError } from '@/api/client'
import type { ExecuteRequest, ExecuteResponse } from '@/api/types'

import { IMAGE_SCHEMA, useImageFlow } from '../useImageFlow'
import { FIRST_SEED, useSeed } from '../useSeed'
import { IMAGE_ID, RUN_A, blockedStages, deferred, media, passedStage1 } from './fixtures'

function executeOk(request: ExecuteRequest): ExecuteResponse {
  return {
    status: 'success',
    run_id: RUN_A,
    media_output: media(RUN_A, 0, request.seed ?? -1),
    stages: {
      stage1: passedStage1(),
      stage2: { status: 'skipped', output: 'rules', config: request.schema, pipeline: IMAGE_SCHEMA },
      stage3: { prompt: 'watercolour painting of the photo' },
      stage4: {
        status: 'done',
        mode: 'img2img',
        output_config: 'tiny_sd',
        model: 'builtin:tiny_sd',
        seed: request.seed ?? -1,
        width: 256,
        height: 256,
        steps: 4,
        cfg: 7.5,
        scheduler: 'PNDM',
        strength: 0.6,
        device: 'cpu',
        duration_ms: 1100,
      },
    },
    duration_ms: 1200,
  }
}

const INPUT = {
  imageId: IMAGE_ID,
  configId: 'photo_watercolour',
  note: 'my bike',
  outputConfig: 'tiny_sd',
  language: 'de' as const,
  parameters: { steps: 4, strength: 0.6 },
}

describe('useImageFlow', () => {
  it('idle -> generating -> done sends img2img with the image, config and rules', async () => {
    const requests: ExecuteRequest[] = []
    const pending = deferred<void>()
    const flow = useImageFlow(
      {
        executePipeline: async (request) => {
          requests.push(request)
          await pending.promise
          return executeOk(request)
        },
      },
      useSeed(() => 0.5),
    )
    expect(flow.state.value).toBe('idle')
    const running = flow.generate({ ...INPUT, contextPrompt: 'paint it in blue' })
    expect(flow.state.value).toBe('generating')
    expect(flow.runningStage.value).toBe(4)
    expect(flow.stageStatus.value).toEqual({ 1: 'running', 2: 'skipped', 3: 'running', 4: 'running' })
    expect(await flow.generate(INPUT)).toBeNull()
    pending.resolve()
    await running

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
    expect(flow.media.value).toEqual(media(RUN_A, 0, FIRST_SEED))
    expect(flow.stages.value.stage3?.prompt).toBe('watercolour painting of the photo')
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
    const seeds: (number | null | undefined)[] = []
    const flow = useImageFlow(
      { executePipeline: (request) => (seeds.push(request.seed), Promise.resolve(executeOk(request))) },
      useSeed(() => 0.5),
    )
    await flow.generate(INPUT)
    await flow.generate({ ...INPUT, ...change, retry })
    expect(seeds).toEqual([FIRST_SEED, expected])
  })

  it.each([
    {
      id: 'blocked_rules',
      error: new BlockedError({
        status: 'blocked',
        stage: 1,
        reason: 'gore is not allowed',
        found_terms: ['gore'],
        run_id: RUN_A,
        stages: blockedStages(1),
      }),
      state: 'blocked',
      problem: { kind: 'blocked', stage: 1, reason: 'gore is not allowed', foundTerms: ['gore'] },
      statuses: { 1: 'blocked', 2: 'skipped', 3: 'waiting', 4: 'waiting' },
    },
    {
      id: 'blocked_prompt',
      error: new BlockedError({
        status: 'blocked',
        stage: 3,
        reason: 'gore is not allowed',
        found_terms: ['gore'],
        run_id: RUN_A,
        stages: { stage1: passedStage1(), ...blockedStages(3) },
      }),
      state: 'blocked',
      problem: { kind: 'blocked', stage: 3, reason: 'gore is not allowed', foundTerms: ['gore'] },
      statuses: { 1: 'done', 2: 'skipped', 3: 'blocked', 4: 'waiting' },
    },
    {
      id: 'upload_gone',
      error: new ApiError(404, 'upload_not_found', 'no upload with this image_id'),
      state: 'error',
      problem: { kind: 'error', code: 'upload_not_found', message: 'no upload with this image_id' },
      statuses: { 1: 'waiting', 2: 'skipped', 3: 'waiting', 4: 'waiting' },
    },
  ])('$id: shows the problem, then a new try works', async ({ error, state, problem, statuses }) => {
    const answers: (Error | null)[] = [error, null]
    const flow = useImageFlow(
      {
        executePipeline: (request) => {
          const next = answers.shift()
          return next ? Promise.reject(next) : Promise.resolve(executeOk(request))
        },
      },
      useSeed(),
    )
    expect(await flow.generate(INPUT)).toBeNull()
    expect(flow.state.value).toBe(state)
    expect(flow.problem.value).toEqual(problem)
    expect(flow.stageStatus.value).toEqual(statuses)
    expect(flow.busy.value).toBe(false)

    expect(await flow.generate(INPUT)).toEqual(media(RUN_A, 0, FIRST_SEED))
    expect(flow.state.value).toBe('done')
    expect(flow.problem.value).toBeNull()
  })
})
