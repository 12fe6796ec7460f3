import { computed, ref, shallowRef } from 'vue'

import { BlockedError } from '@/api/client'
import type {
  GenerationParameters,
  GenerationRequest,
  Language,
  MediaOutput,
  OptimizeRequest,
  OptimizeResponse,
  QueuedResponse,
  Stage2Request,
  Stage2Response,
  Stages,
} from '@/api/types'

import {
  blockedStage,
  settleGeneration,
  toFlowProblem,
  type FlowProblem,
  type ProgressView,
  type StageNumber,
  type StageStatus,
} from './flow'
import type { RunControl, RunOutcome } from './useRun'
import type { SeedControl } from './useSeed'

/**
 * States of the text view. Each action moves through one running state:
 * start: * -> intercepting -> intercepted; optimize: -> optimizing -> optimized;
 * generate: -> generating -> done | canceled. Any action may end in `blocked` or `error`.
 */
export type TextFlowState =
  | 'idle'
  | 'intercepting'
  | 'intercepted'
  | 'optimizing'
  | 'optimized'
  | 'generating'
  | 'done'
  | 'canceled'
  | 'blocked'
  | 'error'

/** The endpoints the text flow calls (api/pipeline's functions; fakes in tests). */
export interface TextFlowApi {
  runStage2(request: Stage2Request): Promise<Stage2Response>
  optimizePrompt(request: OptimizeRequest): Promise<OptimizeResponse>
  submitGeneration(request: GenerationRequest): Promise<QueuedResponse>
}

/** What the text view remembers of a generation across a reload (the record's prompt is the optimized prompt). */
export interface TextRunSnapshot {
  /** The run stages 1-3 were recorded in. */
  stageRunId: string
  interceptionResult: string
  /** That run has an image already (the next image starts a new run). */
  runHasImage: boolean
  stages: Stages
}

/** Checks a stored text-view snapshot (see createRunMemory). */
export function isTextRunSnapshot(value: unknown): value is TextRunSnapshot {
  if (typeof value !== 'object' || value === null) return false
  const snapshot = value as Partial<Record<keyof TextRunSnapshot, unknown>>
  return (
    typeof snapshot.stageRunId === 'string' &&
    typeof snapshot.interceptionResult === 'string' &&
    typeof snapshot.runHasImage === 'boolean' &&
    typeof snapshot.stages === 'object' &&
    snapshot.stages !== null
  )
}

/** The stage card a running state belongs to (stages 1-2 run together and show as 2). */
const RUNNING: Partial<Record<TextFlowState, 2 | 3 | 4>> = { intercepting: 2, optimizing: 3, generating: 4 }

/**
 * The text view's state machine: stages 1-2 (start), 3 (optimize), 4 (generate), with the
 * learner's edits of the intermediate texts in between.
 *
 * Run bookkeeping is state, never parsed from URLs: `runId` is the run stages 1-3 were recorded
 * in; the first image joins that run, later images (generate again, retry) start new runs and
 * `media.run_id` / `media.index` say where each image lives. Stages 1-3 are synchronous requests;
 * generation is a queued run, followed with its progress and cancelable (`run`).
 *
 * @param api the pipeline endpoints.
 * @param seed the seed rule (useSeed): generate() asks it for the seed and reports the used one.
 * @param run the view's run control (useRun, first stage 3).
 */
export function useTextFlow(api: TextFlowApi, seed: SeedControl, run: RunControl<TextRunSnapshot>) {
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

  const busy = computed(() => RUNNING[state.value] !== undefined)
  /** The progress display: the queued run's while generating, an indeterminate bar for stages 1-3. */
  const progress = computed<ProgressView | null>(() => {
    if (state.value === 'generating') return run.progress.value
    const stage = RUNNING[state.value]
    return stage === undefined ? null : { stage }
  })
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
      4: current === 'generating' ? 'running' : blocked === 4 ? 'blocked' : media.value !== null ? 'done' : 'waiting',
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

  /** The snapshot a reload needs to show this flow again (see {@link TextRunSnapshot}). */
  function snapshot(stageRunId: string): TextRunSnapshot {
    return { stageRunId, interceptionResult: interceptionResult.value, runHasImage, stages: stages.value }
  }

  function finishGeneration(outcome: RunOutcome, prompt: string): MediaOutput | null {
    if (outcome.status === 'success') runHasImage = true
    // The run's stage 3 (3b translation, 3c safety check) and stage 4 take the place of earlier reports.
    if (outcome.status === 'success' || outcome.status === 'blocked')
      stages.value = { ...stages.value, ...outcome.stages }
    state.value = settleGeneration(outcome, prompt, seed, { media, problem })
    return outcome.status === 'success' ? outcome.media : null
  }

  /**
   * Stage 4 (with the stage-3 safety re-check) for the (possibly edited) optimized prompt, as a
   * queued run followed to its end. The seed follows useSeed's rule; `retry: true` asks for a new
   * seed whatever the rule says.
   *
   * @returns the new media output, or null when blocked/failed/canceled (see `problem`, `state`).
   */
  async function generate(input: {
    outputConfig: string
    language: Language
    parameters?: GenerationParameters
    retry?: boolean
  }): Promise<MediaOutput | null> {
    if (!canGenerate.value || runId.value === null) return null
    const prompt = optimizedPrompt.value
    const request: GenerationRequest = {
      prompt,
      output_config: input.outputConfig,
      seed: input.retry ? seed.fresh() : seed.next(prompt),
      run_id: runHasImage ? undefined : runId.value,
      language: input.language,
      parameters: input.parameters,
    }
    state.value = 'generating'
    problem.value = null
    const outcome = await run.submit(() => api.submitGeneration(request), { prompt, snapshot: snapshot(runId.value) })
    return finishGeneration(outcome, prompt)
  }

  /**
   * Pick up the generation this view remembers (after a reload): the texts of stages 2-3 come
   * back, and the run is followed to its image. No-op without one.
   */
  async function resume(): Promise<void> {
    if (busy.value) return
    const found = run.recall()
    if (found === null) return
    const { record, outcome } = found
    runId.value = record.snapshot.stageRunId
    interceptionResult.value = record.snapshot.interceptionResult
    optimizedPrompt.value = record.prompt
    stages.value = record.snapshot.stages
    runHasImage = record.snapshot.runHasImage
    state.value = 'generating'
    problem.value = null
    finishGeneration(await outcome, record.prompt)
  }

  return {
    state,
    runId,
    interceptionResult,
    optimizedPrompt,
    stages,
    media,
    problem,
    progress,
    stageStatus,
    busy,
    canOptimize,
    canGenerate,
    start,
    optimize,
    generate,
    resume,
    cancel: run.cancel,
  }
}
