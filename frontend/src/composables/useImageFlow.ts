import { computed, ref, shallowRef } from 'vue'

import { BlockedError } from '@/api/client'
import type { ExecuteRequest, ExecuteResponse, GenerationParameters, Language, MediaOutput, Stages } from '@/api/types'

import { blockedStage, toFlowProblem, type FlowProblem, type StageNumber, type StageStatus } from './flow'
import type { SeedControl } from './useSeed'

/** The image-mode pipeline, and the config image mode names when the rules are the learner's own. */
export const IMAGE_SCHEMA = 'image_transformation'

/** States of the image view: idle -> generating -> done | blocked | error (and again from any). */
export type ImageFlowState = 'idle' | 'generating' | 'done' | 'blocked' | 'error'

/** The endpoint the image flow calls (api/pipeline's executePipeline; a fake in tests). */
export interface ImageFlowApi {
  executePipeline(request: ExecuteRequest): Promise<ExecuteResponse>
}

/**
 * The image view's state machine: one request runs stages 1-4 (stage 2 skipped) as img2img.
 * Each generation is a new run; `media` keeps its run id and index.
 *
 * @param api the execute endpoint.
 * @param seed the seed rule (useSeed); the "prompt" it compares is config + rules + note + image id.
 */
export function useImageFlow(api: ImageFlowApi, seed: SeedControl) {
  const state = ref<ImageFlowState>('idle')
  const stages = shallowRef<Stages>({})
  const media = shallowRef<MediaOutput | null>(null)
  const problem = shallowRef<FlowProblem | null>(null)
  const busy = computed(() => state.value === 'generating')
  /** The stage a request is running now (the request reaches stage 4), or null. */
  const runningStage = computed(() => (busy.value ? (4 as const) : null))

  /** Each stage card's status: one request runs 1, 3 and 4 together; 2 is always skipped. */
  const stageStatus = computed<Record<StageNumber, StageStatus>>(() => {
    const blocked = blockedStage(problem.value)
    const settled = (stage: 'stage1' | 'stage3' | 'stage4', number: StageNumber): StageStatus => {
      if (busy.value) return 'running'
      if (blocked === number) return 'blocked'
      return stages.value[stage] ? 'done' : 'waiting'
    }
    return { 1: settled('stage1', 1), 2: 'skipped', 3: settled('stage3', 3), 4: settled('stage4', 4) }
  })

  /**
   * Run stages 1-4 on the uploaded image with the rules. `configId` is a config on the
   * image_transformation pipeline; `contextPrompt` the learner's own rules (omitted: the config's).
   * The seed follows useSeed's rule; `retry: true` asks for a new seed whatever the rule says.
   *
   * @returns the new media output, or null when blocked/failed (see `problem`).
   */
  async function generate(input: {
    imageId: string
    configId: string
    contextPrompt?: string
    note: string
    outputConfig: string
    language: Language
    parameters?: GenerationParameters
    retry?: boolean
  }): Promise<MediaOutput | null> {
    if (busy.value) return null
    const prompt = JSON.stringify([input.configId, input.contextPrompt ?? '', input.note, input.imageId])
    const requestSeed = input.retry ? seed.fresh() : seed.next(prompt)
    state.value = 'generating'
    problem.value = null
    try {
      const result = await api.executePipeline({
        schema: input.configId,
        input_text: input.note,
        context_prompt: input.contextPrompt,
        input_image: input.imageId,
        output_config: input.outputConfig,
        seed: requestSeed,
        language: input.language,
        parameters: input.parameters,
      })
      seed.remember(prompt, result.media_output.seed)
      media.value = result.media_output
      stages.value = result.stages
      state.value = 'done'
      return result.media_output
    } catch (cause) {
      stages.value = cause instanceof BlockedError ? cause.stages : {}
      problem.value = toFlowProblem(cause)
      state.value = problem.value.kind === 'blocked' ? 'blocked' : 'error'
      return null
    }
  }

  return { state, stages, media, problem, busy, runningStage, stageStatus, generate }
}
