import { computed, ref, shallowRef } from 'vue'

import { BlockedError } from '@/api/client'
import type {
  GenerationParameters,
  GenerationRequest,
  GenerationResponse,
  Language,
  MediaOutput,
  OptimizeRequest,
  OptimizeResponse,
  Stage2Request,
  Stage2Response,
  Stages,
} from '@/api/types'

import { blockedStage, toFlowProblem, type FlowProblem, type StageNumber, type StageStatus } from './flow'
import type { SeedControl } from './useSeed'

/**
 * States of the text view. Each action moves through one running state:
 * start: * -> intercepting -> intercepted; optimize: -> optimizing -> optimized;
 * generate: -> generating -> done. Any action may end in `blocked` or `error`.
 */
export type TextFlowState =
  'idle' | 'intercepting' | 'intercepted' | 'optimizing' | 'optimized' | 'generating' | 'done' | 'blocked' | 'error'

/** The endpoints the text flow calls (api/pipeline's functions; fakes in tests). */
export interface TextFlowApi {
  runStage2(request: Stage2Request): Promise<Stage2Response>
  optimizePrompt(request: OptimizeRequest): Promise<OptimizeResponse>
  generateMedia(request: GenerationRequest): Promise<GenerationResponse>
}

const RUNNING: Partial<Record<TextFlowState, 2 | 3 | 4>> = { intercepting: 2, optimizing: 3, generating: 4 }

/**
 * The text view's state machine: stages 1-2 (start), 3 (optimize), 4 (generate), with the
 * learner's edits of the intermediate texts in between.
 *
 * Run bookkeeping is state, never parsed from URLs: `runId` is the run stages 1-3 were recorded
 * in; the first image joins that run, later images (generate again, retry) start new runs and
 * `media.run_id` / `media.index` say where each image lives.
 *
 * @param api the pipeline endpoints.
 * @param seed the seed rule (useSeed): generate() asks it for the seed and reports the used one.
 */
export function useTextFlow(api: TextFlowApi, seed: SeedControl) {
  const state = ref<TextFlowState>('idle')
  const runId = ref<string | null>(null)
  /** Stage 2's text, editable by the learner before optimizing. */
  const interceptionResult = ref('')
  /** Stage 3's text, editable by the learner before generating. */
  const optimizedPrompt = ref('')
  const stages = shallowRef<Stages>({})
  const media = shallowRef<MediaOutput | null>(null)
  const problem = shallowRef<FlowProblem | null>(null)
  let runHasImage = false

  /** The stage a request is running now (1-2 run together and show as 2), or null. */
  const runningStage = computed(() => RUNNING[state.value] ?? null)
  const busy = computed(() => runningStage.value !== null)
  const canOptimize = computed(() => !busy.value && runId.value !== null && interceptionResult.value.trim() !== '')
  const canGenerate = computed(() => !busy.value && runId.value !== null && optimizedPrompt.value.trim() !== '')

  /** Each stage card's status, derived from the state and the results so far. */
  const stageStatus = computed<Record<StageNumber, StageStatus>>(() => {
    const blocked = blockedStage(problem.value)
    const current = state.value
    return {
      1: current === 'intercepting' ? 'running' : blocked === 1 ? 'blocked' : stages.value.stage1 ? 'done' : 'waiting',
      2: current === 'intercepting' ? 'running' : runId.value !== null ? 'done' : 'waiting',
      3:
        current === 'optimizing'
          ? 'running'
          : blocked === 3
            ? 'blocked'
            : optimizedPrompt.value !== ''
              ? 'done'
              : 'waiting',
      4: current === 'generating' ? 'running' : media.value !== null ? 'done' : 'waiting',
    }
  })

  function fail(cause: unknown): void {
    if (cause instanceof BlockedError) stages.value = { ...stages.value, ...cause.stages }
    problem.value = toFlowProblem(cause)
    state.value = problem.value.kind === 'blocked' ? 'blocked' : 'error'
  }

  /**
   * Stages 1-2: check the idea and intercept it with the rules; resets later results.
   * `contextPrompt` is the learner's own rules; omitted, the config's context is used.
   */
  async function start(input: { configId: string; inputText: string; contextPrompt?: string; language: Language }) {
    if (busy.value) return
    state.value = 'intercepting'
    problem.value = null
    runId.value = null
    interceptionResult.value = ''
    optimizedPrompt.value = ''
    media.value = null
    stages.value = {}
    runHasImage = false
    try {
      const result = await api.runStage2({
        schema: input.configId,
        input_text: input.inputText,
        context_prompt: input.contextPrompt,
        language: input.language,
      })
      runId.value = result.run_id
      interceptionResult.value = result.interception_result
      stages.value = { stage1: result.stages.stage1, stage2: result.stages.stage2 }
      state.value = 'intercepted'
    } catch (cause) {
      fail(cause)
    }
  }

  /** Stage 3: optimize the (possibly edited) interception result for `outputConfig`. */
  async function optimize(input: { outputConfig: string; language: Language }) {
    if (!canOptimize.value || runId.value === null) return
    state.value = 'optimizing'
    problem.value = null
    try {
      const result = await api.optimizePrompt({
        prompt: interceptionResult.value,
        output_config: input.outputConfig,
        run_id: runId.value,
        language: input.language,
      })
      optimizedPrompt.value = result.optimized_prompt
      stages.value = { ...stages.value, stage3: result.stages.stage3 }
      state.value = 'optimized'
    } catch (cause) {
      fail(cause)
    }
  }

  /**
   * Stage 4 (with the stage-3 safety re-check) for the (possibly edited) optimized prompt.
   * The seed follows useSeed's rule; `retry: true` asks for a new seed whatever the rule says.
   *
   * @returns the new media output, or null when blocked/failed (see `problem`).
   */
  async function generate(input: {
    outputConfig: string
    language: Language
    parameters?: GenerationParameters
    retry?: boolean
  }): Promise<MediaOutput | null> {
    if (!canGenerate.value || runId.value === null) return null
    const prompt = optimizedPrompt.value
    const requestSeed = input.retry ? seed.fresh() : seed.next(prompt)
    state.value = 'generating'
    problem.value = null
    try {
      const result = await api.generateMedia({
        prompt,
        output_config: input.outputConfig,
        seed: requestSeed,
        run_id: runHasImage ? undefined : runId.value,
        language: input.language,
        parameters: input.parameters,
      })
      runHasImage = true
      seed.remember(prompt, result.media_output.seed)
      media.value = result.media_output
      stages.value = { ...stages.value, stage4: result.stages.stage4 }
      state.value = 'done'
      return result.media_output
    } catch (cause) {
      fail(cause)
      return null
    }
  }

  return {
    state,
    runId,
    interceptionResult,
    optimizedPrompt,
    stages,
    media,
    problem,
    runningStage,
    stageStatus,
    busy,
    canOptimize,
    canGenerate,
    start,
    optimize,
    generate,
  }
}
