import { computed, ref, shallowRef, watch, type Ref } from 'vue'

import { BlockedError } from '@/api/client'
import type {
  ExecuteRequest,
  GenerationParameters,
  Language,
  MediaOutput,
  OptimizeRequest,
  OptimizeResponse,
  QueuedResponse,
  Stage2Request,
  Stage2Response,
  Stages,
} from '@/api/types'

import { toFlowProblem, type FlowProblem, type ProgressView, type StageNumber, type StageStatus } from './flow'
import type { RunControl, RunOutcome } from './useRun'
import type { SeedControl } from './useSeed'

/** The endpoints the flow calls (api/pipeline's functions; fakes in tests). */
export interface PipelineApi {
  runStage2(request: Stage2Request): Promise<Stage2Response>
  optimizePrompt(request: OptimizeRequest): Promise<OptimizeResponse>
  submitExecute(request: ExecuteRequest): Promise<QueuedResponse>
}

/** What the learner has set up for the next run (the flow reads it when an action starts). */
export interface FlowInputs {
  /** The config id sent as `schema`. */
  schema: string
  /** The idea (image mode: the note about the photo). */
  idea: string
  /** The learner's own rules, or undefined while they are the config's. */
  contextPrompt: string | undefined
  language: Language
  outputConfig: string | null
  parameters: GenerationParameters
  /** The uploaded photo's image_id (image mode), else null. */
  inputImage: string | null
  /** The uploaded mask's image_id when an area is painted over the photo (inpainting), else null/absent. */
  maskImage?: string | null
  /** What the image depends on of the painted mask ('' or absent: none); a change makes stage 4 stale. */
  maskKey?: string
  /** The config's pipeline skips stage 2 (direct, every image config): stage 3 gets the idea or rules. */
  skipsStage2: boolean
}

/** What is running: a queued run from stage 1 to the image (`run`), or one synchronous step. */
export type Activity = { kind: 'run' } | { kind: 'step2' } | { kind: 'step3' }

/** A sentence a stage card shows (and takes focus with) when an action ended there. */
export interface FlowNotice {
  stage: StageNumber
  kind: 'intercepted' | 'checked' | 'optimized' | 'done' | 'canceled'
}

/** A problem and the card it belongs to (0: the actions, for what belongs to no stage). */
export interface PlacedProblem {
  stage: StageNumber | 0
  problem: FlowProblem
}

/** Where the result of each stage came from, as keys of the inputs it was made from (null: no result). */
interface Basis {
  s2: string | null
  s3: string | null
  s4: string | null
}

const key = (...parts: unknown[]): string => JSON.stringify(parts)

/** `base` with the reports `next` has (the server sends `null` for stages a call did not run: those stay). */
function merged(base: Stages, next: Stages): Stages {
  const result: Stages = { ...base }
  for (const name of ['stage1', 'stage2', 'stage3', 'stage4'] as const) {
    const report = next[name]
    if (report != null) (result as Record<string, unknown>)[name] = report
  }
  return result
}

/** The inputs stage 2 (and, when it is skipped, stage 3) works on. */
function key2(inputs: FlowInputs): string {
  return key(inputs.schema, inputs.idea, inputs.contextPrompt ?? '', inputs.language, inputs.inputImage ?? '')
}

/** What stage 3 works on: stage 2's text (or, when it is skipped, stage 2's inputs) and the model. */
function key3(inputs: FlowInputs, interception: string): string {
  return key(inputs.skipsStage2 ? key2(inputs) : interception, inputs.outputConfig)
}

/** What stage 4 works on: stage 3's text, the model and the settings. */
function key4(inputs: FlowInputs, optimized: string): string {
  return key(optimized, inputs.outputConfig, inputs.parameters, inputs.maskKey ?? '')
}

/** Codes of problems that belong to no stage: they are shown at the action buttons. */
const ACTION_PROBLEMS = new Set([
  'network_error',
  'origin_not_allowed',
  'config_not_found',
  'output_config_not_found',
  'output_config_unavailable',
  'upload_not_found',
  'too_many_requests',
  'queue_full',
  'unexpected',
])

/** The card a problem belongs to: a block's stage; an error's stage, or the actions (0) for errors of no stage. */
function placeOf(problem: FlowProblem, atStage: StageNumber | null): StageNumber | 0 {
  if (problem.kind === 'blocked') return problem.stage
  if (
    atStage === null &&
    (problem.httpStatus === 429 || problem.httpStatus === 403 || ACTION_PROBLEMS.has(problem.code))
  )
    return 0
  const field = String(problem.details.field ?? '')
  const first = Array.isArray(problem.details.errors) ? problem.details.errors[0] : undefined
  const path = typeof first === 'object' && first !== null ? String((first as { field?: unknown }).field ?? '') : field
  if (path.startsWith('parameters') || path === 'seed') return 4
  if (path === 'interception_result') return 2
  if (path === 'optimized_prompt' || path === 'prompt') return 3
  if (atStage !== null) return atStage
  return path === '' ? 0 : 1
}

/**
 * The studio's flow, for both modes: "Los" runs all stages to the image in one queued run; the
 * step-by-step path (text mode) runs stages 1-2, then 3, synchronously, so the learner can edit
 * stage 2's and stage 3's texts in between. Every stage's result remembers what it was made from:
 * an edit of the idea, the rules, a stage's text, the model or a setting marks the later stages
 * `stale`, and the next run re-runs exactly what is stale (edited texts that are still current are
 * sent as `interception_result` / `optimized_prompt`; the server checks them again).
 *
 * Feedback belongs to a stage: `progressFor(n)` is the progress display of the card running now,
 * `problem.stage` the card a block or error is shown in (0: the action buttons), `notice` what just
 * finished. A block resets the later stages (`halted`, and stage 4 loses its image).
 *
 * @param api the pipeline endpoints.
 * @param run the mode's queued-run control (useRun, first stage 1).
 * @param seed the seed rule (useSeed).
 * @param inputs what the learner set up, read when an action starts.
 */
export function usePipelineFlow(
  api: PipelineApi,
  run: RunControl<unknown>,
  seed: SeedControl,
  inputs: Ref<FlowInputs>,
) {
  /** The stage reports shown in the cards. */
  const stages = shallowRef<Stages>({})
  /** Stage 2's text (editable). */
  const interception = ref('')
  /** Stage 3's text, the prompt optimized for the model (editable). */
  const optimized = ref('')
  const media = shallowRef<MediaOutput | null>(null)
  /** Every image of the last batch (the grid to pick from); `media` is the one picked (the first at first). */
  const mediaList = shallowRef<MediaOutput[]>([])
  const basis = ref<Basis>({ s2: null, s3: null, s4: null })
  const activity = shallowRef<Activity | null>(null)
  const problem = shallowRef<PlacedProblem | null>(null)
  /** Stages after this one did not run because it stopped the run. */
  const halted = ref<StageNumber | null>(null)
  const notice = shallowRef<FlowNotice | null>(null)
  /** The run stages 1-2 of the step-by-step path were recorded in (optimize adds to it). */
  const stepRunId = ref<string | null>(null)
  /** The run of the image shown (or of the last run), for the gallery and a reload. */
  const lastRunId = ref<string | null>(null)

  const busy = computed(() => activity.value !== null)
  const stale2 = computed(() => basis.value.s2 !== null && basis.value.s2 !== key2(inputs.value))
  const stale3 = computed(
    () => basis.value.s3 !== null && (stale2.value || basis.value.s3 !== key3(inputs.value, interception.value)),
  )
  const stale4 = computed(
    () => media.value !== null && (stale3.value || basis.value.s4 !== key4(inputs.value, optimized.value)),
  )
  /** Stage 2's text differs from what stage 2 produced (the learner edited it). */
  const edited2 = computed(() => stages.value.stage2 != null && interception.value !== stages.value.stage2.output)
  const edited3 = computed(
    () => stages.value.stage3?.optimization != null && optimized.value !== stages.value.stage3.optimization.output,
  )

  /** The stage running now. */
  const runningStage = computed<StageNumber | null>(() => {
    const current = activity.value
    if (current === null) return null
    if (current.kind === 'step2') return 2
    if (current.kind === 'step3') return 3
    return run.stage.value ?? 1
  })

  const stageStatus = computed<Record<StageNumber, StageStatus>>(() => {
    const placed = problem.value
    const status = (n: StageNumber, has: boolean, stale: boolean): StageStatus => {
      if (runningStage.value === n) return 'running'
      if (placed !== null && placed.stage === n) return placed.problem.kind === 'blocked' ? 'blocked' : 'failed'
      if (halted.value !== null && n > halted.value) return 'halted'
      if (n === 2 && inputs.value.skipsStage2) return 'skipped'
      const running = runningStage.value
      if (running !== null && activity.value?.kind === 'run') {
        // While a run goes, the stages before the running one are done in this run; the later ones wait.
        if (n < running) return 'done'
        return has ? 'stale' : 'waiting'
      }
      if (!has) return 'waiting'
      return stale ? 'stale' : 'done'
    }
    return {
      1: status(1, stages.value.stage1 != null, stale2.value),
      2: status(2, basis.value.s2 !== null, stale2.value),
      3: status(3, basis.value.s3 !== null, stale3.value),
      4: status(4, media.value !== null, stale4.value),
    }
  })

  /** The progress display of card `n`, or null when nothing runs there. */
  function progressFor(n: StageNumber): ProgressView | null {
    if (runningStage.value !== n) return null
    if (activity.value?.kind !== 'run') return { stage: n }
    return run.progress.value ?? { stage: n }
  }

  function clearFeedback(): void {
    problem.value = null
    halted.value = null
    notice.value = null
  }

  function fail(cause: unknown, atStage: StageNumber | null): void {
    // A block brings the reports of the stages that ran, the blocking one's included.
    if (cause instanceof BlockedError) stages.value = merged(stages.value, cause.stages)
    const found = toFlowProblem(cause)
    problem.value = { stage: placeOf(found, atStage), problem: found }
    if (found.kind === 'blocked') halt(found.stage)
  }

  /** A block at `stage`: the later stages did not run, and stage 4 loses its image (it is in the gallery). */
  function halt(stage: StageNumber): void {
    halted.value = stage
    media.value = null
    basis.value = { ...basis.value, s4: null }
  }

  /** Take a run's texts into the cards: stage 2's output and stage 3's optimized prompt. */
  function takeTexts(reports: Stages): void {
    if (reports.stage2) interception.value = reports.stage2.output
    const stage3 = reports.stage3
    if (stage3) optimized.value = stage3.optimization?.output ?? stage3.prompt
  }

  // While a run goes, its stage reports and texts appear in the cards as each stage completes.
  watch(
    () => run.stages.value,
    (reports) => {
      if (activity.value?.kind !== 'run') return
      stages.value = merged(stages.value, reports)
      takeTexts(reports)
    },
  )

  /** The request of a run from the current inputs, sending what is still current of the edited texts. */
  function request(current: FlowInputs, seedValue: number): ExecuteRequest {
    const body: ExecuteRequest = {
      schema: current.schema,
      input_text: current.idea,
      context_prompt: current.contextPrompt,
      output_config: current.outputConfig ?? undefined,
      seed: seedValue,
      language: current.language,
      parameters: current.parameters,
    }
    if (current.inputImage !== null) body.input_image = current.inputImage
    if (current.maskImage) body.mask_image = current.maskImage
    const fresh2 = basis.value.s2 !== null && !stale2.value
    const fresh3 = basis.value.s3 !== null && !stale3.value
    if (fresh2 && !current.skipsStage2 && interception.value.trim() !== '') {
      body.interception_result = interception.value
    }
    if (fresh3 && optimized.value.trim() !== '') body.optimized_prompt = optimized.value
    return body
  }

  /**
   * The seed rule's "prompt": everything the image depends on but the seed, with the texts as the
   * cards show them (a run that redoes stage 2 or 3 replaces them; see useSeed for the rule).
   */
  function seedKey(current: FlowInputs): string {
    return key(
      key2(current),
      current.outputConfig,
      current.parameters,
      current.skipsStage2 ? '' : interception.value,
      optimized.value,
      current.maskKey ?? '',
    )
  }

  function finishRun(outcome: RunOutcome): RunOutcome {
    activity.value = null
    const current = inputs.value
    if (outcome.runId !== null) lastRunId.value = outcome.runId
    stages.value = merged(stages.value, outcome.stages)
    takeTexts(outcome.stages)
    // The stages this run produced are made from the current inputs (they cannot change while it runs).
    if (outcome.stages.stage2) basis.value = { ...basis.value, s2: key2(current) }
    if (outcome.stages.stage3?.optimization) basis.value = { ...basis.value, s3: key3(current, interception.value) }
    switch (outcome.status) {
      case 'success':
        media.value = outcome.media
        mediaList.value = outcome.mediaList
        basis.value = { ...basis.value, s4: key4(current, optimized.value) }
        notice.value = { stage: 4, kind: 'done' }
        break
      case 'canceled':
        notice.value = { stage: outcome.atStage ?? 4, kind: 'canceled' }
        break
      default:
        problem.value = {
          stage: placeOf(outcome.problem, outcome.atStage),
          problem: outcome.problem,
        }
        if (outcome.problem.kind === 'blocked') halt(outcome.problem.stage)
    }
    return outcome
  }

  /**
   * "Los" / "Bild erzeugen": queue one run from stage 1 to the image and follow it; stages that are
   * still current keep their (edited) texts, the others run again. The seed follows useSeed's rule;
   * `retry` asks for a new seed whatever the rule says.
   *
   * @returns how the run ended (null when another action is running or no model is chosen).
   */
  async function go(options: { retry?: boolean } = {}): Promise<RunOutcome | null> {
    const current = inputs.value
    if (busy.value || current.outputConfig === null) return null
    clearFeedback()
    const body = request(current, options.retry ? seed.fresh() : seed.next(seedKey(current)))
    activity.value = { kind: 'run' }
    const outcome = await run.submit(() => api.submitExecute(body), { prompt: '', snapshot: null })
    finishRun(outcome)
    if (outcome.status === 'success') seed.remember(seedKey(inputs.value), outcome.media.seed)
    return outcome
  }

  /** Pick up a run that was going when the page was reloaded, and follow it to its end. */
  async function resume(): Promise<void> {
    if (busy.value) return
    const found = run.recall()
    if (found === null) return
    activity.value = { kind: 'run' }
    const outcome = await found.outcome
    finishRun(outcome)
    if (outcome.status === 'success') seed.remember(seedKey(inputs.value), outcome.media.seed)
  }

  /** Step by step: stages 1-2 only (the learner reads and edits stage 2's text, then goes on). */
  async function step2(): Promise<boolean> {
    const current = inputs.value
    if (busy.value) return false
    clearFeedback()
    activity.value = { kind: 'step2' }
    try {
      const result = await api.runStage2({
        schema: current.schema,
        input_text: current.idea,
        context_prompt: current.contextPrompt,
        language: current.language,
      })
      stepRunId.value = result.run_id
      stages.value = merged(stages.value, { stage1: result.stages.stage1, stage2: result.stages.stage2 })
      interception.value = result.interception_result
      basis.value = { ...basis.value, s2: key2(current) }
      notice.value = { stage: 2, kind: current.skipsStage2 ? 'checked' : 'intercepted' }
      return true
    } catch (cause) {
      fail(cause, 1)
      return false
    } finally {
      activity.value = null
    }
  }

  /** Step by step: stage 3a on stage 2's (edited) text for the chosen model. */
  async function step3(): Promise<boolean> {
    const current = inputs.value
    if (busy.value || current.outputConfig === null || basis.value.s2 === null) return false
    clearFeedback()
    activity.value = { kind: 'step3' }
    try {
      const result = await api.optimizePrompt({
        prompt: interception.value,
        output_config: current.outputConfig,
        run_id: stepRunId.value ?? undefined,
        language: current.language,
      })
      stages.value = merged(stages.value, { stage3: result.stages.stage3 })
      optimized.value = result.optimized_prompt
      basis.value = { ...basis.value, s3: key3(current, interception.value) }
      notice.value = { stage: 3, kind: 'optimized' }
      return true
    } catch (cause) {
      fail(cause, 3)
      return false
    } finally {
      activity.value = null
    }
  }

  /**
   * Show a finished run as the current state (reload, "Weiterarbeiten"): its reports, texts and
   * image; `current` are the inputs it was made from (already restored), so nothing is stale.
   */
  function restore(found: {
    runId: string
    stages: Stages
    media: MediaOutput | null
    interception: string | null
    optimized: string | null
    block: FlowProblem | null
  }): void {
    clearFeedback()
    const current = inputs.value
    stages.value = found.stages
    interception.value = found.interception ?? found.stages.stage2?.output ?? ''
    optimized.value = found.optimized ?? found.stages.stage3?.optimization?.output ?? found.stages.stage3?.prompt ?? ''
    media.value = found.media
    mediaList.value = found.media ? [found.media] : []
    lastRunId.value = found.runId
    basis.value = {
      s2: found.stages.stage2 || (current.skipsStage2 && found.stages.stage1) ? key2(current) : null,
      s3: found.stages.stage3 ? key3(current, interception.value) : null,
      s4: found.media ? key4(current, optimized.value) : null,
    }
    // Generating again with nothing changed draws a new seed; a change keeps this image's seed.
    if (found.media) seed.remember(seedKey(current), found.media.seed)
    if (found.block !== null) {
      problem.value = { stage: placeOf(found.block, null), problem: found.block }
      if (found.block.kind === 'blocked') halt(found.block.stage)
    }
  }

  /**
   * The learner picked an image of the batch to keep working with: it is shown large, and its seed
   * is the one the seed rule keeps (as if it had been the only image).
   */
  function pick(picked: MediaOutput): void {
    if (!mediaList.value.some((item) => item.url === picked.url)) return
    media.value = picked
    seed.remember(seedKey(inputs.value), picked.seed)
  }

  /** Show `shown` (e.g. the shown image made larger) as the current image; the seed rule stays as it is. */
  function show(shown: MediaOutput): void {
    media.value = shown
  }

  return {
    stages,
    interception,
    optimized,
    media,
    mediaList,
    pick,
    show,
    activity,
    busy,
    problem,
    halted,
    notice,
    lastRunId,
    stale2,
    stale3,
    stale4,
    edited2,
    edited3,
    runningStage,
    stageStatus,
    progressFor,
    go,
    resume,
    step2,
    step3,
    restore,
    cancel: run.cancel,
  }
}

/** A mode's flow (usePipelineFlow's result). */
export type PipelineFlow = ReturnType<typeof usePipelineFlow>
