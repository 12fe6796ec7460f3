import { computed, ref, shallowRef } from 'vue'

import type { ExecuteRequest, GenerationParameters, Language, MediaOutput, QueuedResponse } from '@/api/types'

import {
  blockedStage,
  settleGeneration,
  type FlowProblem,
  type ProgressView,
  type StageNumber,
  type StageStatus,
} from './flow'
import type { RunControl, RunOutcome } from './useRun'
import type { SeedControl } from './useSeed'

/** The image-mode pipeline, and the config image mode names when the rules are the learner's own. */
export const IMAGE_SCHEMA = 'image_transformation'

/** States of the image view: idle -> generating -> done | canceled | blocked | error (and again from any). */
export type ImageFlowState = 'idle' | 'generating' | 'done' | 'canceled' | 'blocked' | 'error'

/** The endpoint the image flow calls (api/pipeline's submitExecute; a fake in tests). */
export interface ImageFlowApi {
  submitExecute(request: ExecuteRequest): Promise<QueuedResponse>
}

/** The image view remembers nothing but the run itself across a reload. */
export type ImageRunSnapshot = null

/** Checks a stored image-view snapshot (see createRunMemory). */
export function isImageRunSnapshot(value: unknown): value is ImageRunSnapshot {
  return value === null
}

/**
 * The image view's state machine: one queued run goes through stages 1-4 (stage 2 skipped) as
 * img2img; its stage cards and progress follow the run's events. Each generation is a new run;
 * `media` keeps its run id and index.
 *
 * @param api the execute endpoint.
 * @param seed the seed rule (useSeed); the "prompt" it compares is config + rules + note + image id.
 * @param run the view's run control (useRun, first stage 1).
 */
export function useImageFlow(api: ImageFlowApi, seed: SeedControl, run: RunControl<ImageRunSnapshot>) {
  const state = ref<ImageFlowState>('idle')
  const media = shallowRef<MediaOutput | null>(null)
  const problem = shallowRef<FlowProblem | null>(null)
  const busy = computed(() => state.value === 'generating')
  /** Reports of the stages of the current or last run (live while it runs). */
  const stages = run.stages
  /** The progress display while a run goes, else null. */
  const progress = computed<ProgressView | null>(() => (busy.value ? run.progress.value : null))

  /** Each stage card's status: the run's current stage runs, completed ones are done; 2 is always skipped. */
  const stageStatus = computed<Record<StageNumber, StageStatus>>(() => {
    const blocked = blockedStage(problem.value)
    const status = (stage: 1 | 3 | 4): StageStatus => {
      if (busy.value && run.stage.value === stage) return 'running'
      if (blocked === stage) return 'blocked'
      return stages.value[`stage${stage}`] ? 'done' : 'waiting'
    }
    return { 1: status(1), 2: 'skipped', 3: status(3), 4: status(4) }
  })

  function finish(outcome: RunOutcome, prompt: string): MediaOutput | null {
    state.value = settleGeneration(outcome, prompt, seed, { media, problem })
    return outcome.status === 'success' ? outcome.media : null
  }

  /**
   * Queue stages 1-4 on the uploaded image with the rules and follow the run. `configId` is a
   * config on the image_transformation pipeline; `contextPrompt` the learner's own rules (omitted:
   * the config's). The seed follows useSeed's rule; `retry: true` asks for a new seed whatever the
   * rule says.
   *
   * @returns the new media output, or null when blocked/failed/canceled (see `problem`, `state`).
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
    const request: ExecuteRequest = {
      schema: input.configId,
      input_text: input.note,
      context_prompt: input.contextPrompt,
      input_image: input.imageId,
      output_config: input.outputConfig,
      seed: input.retry ? seed.fresh() : seed.next(prompt),
      language: input.language,
      parameters: input.parameters,
    }
    state.value = 'generating'
    problem.value = null
    return finish(await run.submit(() => api.submitExecute(request), { prompt, snapshot: null }), prompt)
  }

  /** Pick up the run this view remembers (after a reload) and follow it to its image; no-op without one. */
  async function resume(): Promise<void> {
    if (busy.value) return
    const found = run.recall()
    if (found === null) return
    state.value = 'generating'
    problem.value = null
    finish(await found.outcome, found.record.prompt)
  }

  return { state, stages, media, problem, busy, progress, stageStatus, generate, resume, cancel: run.cancel }
}
