/**
 * The studio's two modes (text, image), each one state that lives as long as the page: switching
 * Text/Bild keeps the idea, rules, perspective, model, settings, seed and the last result of both.
 *
 * Across a reload, a mode comes back from the server: localStorage keeps the id of its last run,
 * and the run's folder (GET /api/runs/<id>/detail) gives its idea, rules, perspective, model,
 * settings, stages and image. Only what the learner changed after that run (or typed before any
 * run) is kept as a draft in localStorage, and laid over it. A run going on during the reload is
 * followed again (useRun's memory).
 */
import { computed, effectScope, nextTick, ref, shallowRef, watch } from 'vue'

import { getAddons, upscaleImage } from '@/api/enhance'
import { fetchImageFile, uploadImage } from '@/api/media'
import { optimizePrompt, runStage2, submitExecute } from '@/api/pipeline'
import { cancelRun, followRun, getRun, getRunDetail } from '@/api/runs'
import { countPromptTokens, getConfig } from '@/api/schema'
import type { Language, MediaOutput, RunDetail, UploadResponse } from '@/api/types'
import {
  blockedProblem,
  errorOf,
  errorProblem,
  problemField,
  toFlowProblem,
  type ErrorProblem,
  type FlowProblem,
  type ProgressView,
  type StageNumber,
} from '@/composables/flow'
import { maskPng } from '@/composables/maskDrawing'
import { useEnhancements, type EnhancementState } from '@/composables/useEnhancements'
import { useGenerationSettings, type GenerationSettings } from '@/composables/useGenerationSettings'
import { useImageUpload } from '@/composables/useImageUpload'
import { useMaskPainter, type MaskOp } from '@/composables/useMaskPainter'
import { usePipelineFlow, type FlowInputs } from '@/composables/usePipelineFlow'
import { useRulesPicker } from '@/composables/useRulesPicker'
import { createRunMemory, useRun } from '@/composables/useRun'
import { useSeed } from '@/composables/useSeed'
import { useTokenCount } from '@/composables/useTokenCount'
import { i18n } from '@/i18n'

import { useCatalog } from './catalog'
import { useMyRuns } from './myRuns'

/** The studio's modes. */
export type StudioMode = 'text' | 'image'

/** The image-mode pipeline, and the config image mode names when the rules are the learner's own. */
export const IMAGE_SCHEMA = 'image_transformation'

/** localStorage key prefix of a mode's last run and draft (`devserver.studio.text`, `.image`). */
export const STUDIO_STORAGE_PREFIX = 'devserver.studio.'

/** Wait this long after the last change before saving the draft, in milliseconds. */
const DRAFT_SAVE_MS = 300

/** Where keyboard focus goes next: a stage card's feedback, the actions, a setting, the progress display. */
export type FocusTarget =
  | { kind: 'feedback'; stage: StageNumber | 0 }
  | { kind: 'setting'; field: keyof GenerationSettings | 'seed' }
  | { kind: 'progress' }

/** A pending focus request; `seq` grows with each request, components take it once. */
export interface FocusRequest {
  target: FocusTarget
  seq: number
}

/** What the learner has set up, as kept in localStorage (JSON). */
export interface StudioDraft {
  idea: string
  configId: string | null
  rules: string
  rulesOwn: boolean
  modelId: string | null
  settings: GenerationSettings
  seed: number
  seedLocked: boolean
  interception: string
  optimized: string
  image: { upload: UploadResponse; fileName: string } | null
  /** Refiner, LoRAs, outline and batch (absent in drafts saved before they existed). */
  enhancements?: EnhancementState
  /** Image mode: what was painted over the photo (inpainting), when it is small enough to keep. */
  mask?: MaskOp[]
}

/** A mode's stored state: its last run and the draft (`sentAs`: the run the draft was sent as, unchanged since). */
interface StoredStudio {
  lastRunId: string | null
  draft: StudioDraft | null
  sentAs: string | null
}

function readStored(mode: StudioMode): StoredStudio {
  try {
    const parsed = JSON.parse(localStorage.getItem(STUDIO_STORAGE_PREFIX + mode) ?? 'null') as StoredStudio | null
    if (parsed && typeof parsed === 'object') {
      return { lastRunId: parsed.lastRunId ?? null, draft: parsed.draft ?? null, sentAs: parsed.sentAs ?? null }
    }
  } catch {
    // not JSON: start fresh
  }
  return { lastRunId: null, draft: null, sentAs: null }
}

function createStudio(mode: StudioMode) {
  const catalog = useCatalog()
  const myRuns = useMyRuns()
  const language = computed(() => i18n.global.locale.value as Language)

  // 1. the learner's inputs
  const idea = ref('')
  const rulesPicker = useRulesPicker(getConfig, language)
  const modelId = ref<string | null>(null)
  const selectedModel = computed(
    () => catalog.models.data.value?.output_configs.find((config) => config.id === modelId.value) ?? null,
  )
  const generation = useGenerationSettings(selectedModel)
  const seed = useSeed()
  const upload = useImageUpload(
    uploadImage,
    computed(() => catalog.health.data.value?.limits ?? null),
  )

  /** Image mode: the area painted over the photo (inpainting); a new photo starts without one. */
  const mask = useMaskPainter(
    computed(() => upload.image.value?.resized_size ?? null),
    uploadImage,
    maskPng,
  )
  watch(
    () => upload.image.value?.image_id ?? null,
    () => mask.reset(),
    { flush: 'sync' },
  )
  /** Why the mask could not be sent (shown in the upload card). */
  const maskProblem = shallowRef<ErrorProblem | null>(null)

  // The server's default model once the list is there (unless a restored run chose one).
  watch(
    () => catalog.models.data.value,
    (list) => {
      if (list === null || modelId.value !== null) return
      const available = list.output_configs.filter((config) => config.available)
      modelId.value = (available.find((config) => config.id === list.default) ?? available[0])?.id ?? null
    },
    { immediate: true },
  )

  const photoId = computed(() => (mode === 'image' ? (upload.image.value?.image_id ?? null) : null))
  const enhance = useEnhancements(
    { getAddons, uploadImage },
    modelId,
    photoId,
    computed(() => mode === 'image' && mask.painted.value),
  )

  const generationMode = mode === 'text' ? 'txt2img' : 'img2img'
  /** What the model must be able to do: txt2img, img2img, or inpaint when an area is painted over. */
  const modelMode = computed<'txt2img' | 'img2img' | 'inpaint'>(() =>
    mode === 'text' ? 'txt2img' : mask.painted.value ? 'inpaint' : 'img2img',
  )
  /** The chosen model can do `modelMode` (dedicated inpainting models only inpaint). */
  const modelFits = computed(() => selectedModel.value?.modes?.[modelMode.value]?.available !== false)
  const pickedPipeline = computed(() => rulesPicker.picked.value?.pipeline ?? null)
  /** The config id sent: in image mode the learner's own rules go with the generic image config. */
  const schema = computed(() =>
    mode === 'image' && pickedPipeline.value !== IMAGE_SCHEMA ? IMAGE_SCHEMA : rulesPicker.schemaId.value,
  )
  const inputs = computed<FlowInputs>(() => ({
    schema: schema.value,
    idea: idea.value,
    contextPrompt: rulesPicker.contextPrompt.value,
    language: language.value,
    outputConfig: modelId.value,
    parameters: { ...generation.parameters(generationMode), ...enhance.parameters() },
    inputImage: mode === 'image' ? (upload.image.value?.image_id ?? null) : null,
    maskImage: mode === 'image' ? mask.imageId.value : null,
    maskKey: mode === 'image' ? mask.key.value : '',
    skipsStage2: mode === 'image' || pickedPipeline.value === 'direct',
  }))

  // 2. the flow and its run
  const run = useRun<unknown>(
    { getRun, cancelRun, followRun },
    createRunMemory(localStorage, mode, (value: unknown): value is unknown => value === null),
    1,
  )
  const flow = usePipelineFlow({ runStage2, optimizePrompt, submitExecute }, run, seed, inputs)
  const stage3Text = computed(() => flow.optimized.value)
  const tokens = useTokenCount(countPromptTokens, stage3Text, modelId)

  /** The perspective needs rules (all but Direkt), and the learner has them. */
  const needsRules = computed(() => pickedPipeline.value !== 'direct')
  const readyToRun = computed(
    () =>
      !flow.busy.value &&
      !rulesPicker.loading.value &&
      modelId.value !== null &&
      modelFits.value &&
      (mode === 'image' ? upload.image.value !== null : idea.value.trim() !== '') &&
      (!needsRules.value || rulesPicker.rules.value.trim() !== ''),
  )

  // 3. feedback: where focus goes
  const focus = shallowRef<FocusRequest | null>(null)
  let focusSeq = 0
  function requestFocus(target: FocusTarget): void {
    focus.value = { target, seq: ++focusSeq }
  }

  /** After an action: focus the card where it ended (its problem, or its notice). */
  function focusOutcome(): void {
    const placed = flow.problem.value
    if (placed !== null) requestFocus({ kind: 'feedback', stage: placed.stage })
    else if (flow.notice.value !== null) requestFocus({ kind: 'feedback', stage: flow.notice.value.stage })
  }

  /** The settings out of range: each names its range next to its field (see GenerationSettings.vue). */
  const settingProblems = computed(() => generation.problemsFor(generationMode))
  const showSettingProblems = ref(false)

  /** "Los" / "Bild erzeugen": refused settings stop it at the field; else one run to the image. */
  async function go(options: { retry?: boolean } = {}): Promise<void> {
    const refused = settingProblems.value[0]
    if (refused !== undefined) {
      showSettingProblems.value = true
      requestFocus({ kind: 'setting', field: refused.field })
      return
    }
    if (!readyToRun.value) return
    if (!(await sendMask())) return
    showSettingProblems.value = false
    requestFocus({ kind: 'progress' })
    const pending = flow.go(options)
    await nextTick()
    const outcome = await pending
    if (outcome?.status === 'success') myRuns.add(outcome.media.run_id, mode)
    const field = problemField(flow.problem.value?.problem ?? null)
    if (field?.startsWith('parameters.')) showSettingProblems.value = true
    focusOutcome()
  }

  /** Image mode: upload what is painted over the photo (once per change) before the run names it. */
  async function sendMask(): Promise<boolean> {
    maskProblem.value = null
    if (mode !== 'image' || !mask.painted.value) return true
    try {
      await mask.ensureUploaded()
      return true
    } catch (cause) {
      maskProblem.value = errorOf(cause)
      return false
    }
  }

  async function step2(): Promise<void> {
    if (flow.busy.value) return
    requestFocus({ kind: 'progress' })
    await flow.step2()
    focusOutcome()
  }

  async function step3(): Promise<void> {
    if (flow.busy.value) return
    requestFocus({ kind: 'progress' })
    await flow.step3()
    focusOutcome()
  }

  // "Vergrößern 2x/4x" on the shown image: a new, larger image of the same run
  const upscaling = ref<2 | 4 | null>(null)
  const upscaleProblem = shallowRef<FlowProblem | null>(null)
  const upscaled = shallowRef<MediaOutput | null>(null)

  async function upscale(factor: 2 | 4): Promise<void> {
    const shown = flow.media.value
    if (shown === null || upscaling.value !== null || flow.busy.value) return
    upscaling.value = factor
    upscaleProblem.value = null
    try {
      const answer = await upscaleImage(shown.run_id, shown.index, factor)
      upscaled.value = answer.media_output
      flow.show(answer.media_output)
    } catch (cause) {
      upscaleProblem.value = toFlowProblem(cause)
    } finally {
      upscaling.value = null
    }
  }

  /** Each card's progress display, with what the learner should know while waiting. */
  function progressFor(stage: StageNumber): ProgressView | null {
    const base = flow.progressFor(stage)
    if (base === null) return null
    const model = selectedModel.value
    const estimate = catalog.runEstimateS(
      model,
      generation.settings.steps,
      generation.settings.width,
      generation.settings.height,
    )
    const modelState = catalog.modelState.value
    return {
      ...base,
      waitS: base.position ? base.position * estimate : null,
      modelWaitS: stage === 4 && base.step === undefined && modelState !== null ? modelState.waitS : null,
      requestedSteps: generation.settings.steps,
      strength: mode === 'image' ? generation.settings.strength : null,
    }
  }

  // 4. memory: the draft and the last run, in localStorage
  const stored = readStored(mode)
  const restoring = ref(false)

  function draft(): StudioDraft {
    const image = upload.image.value
    return {
      idea: idea.value,
      configId: rulesPicker.selectedId.value,
      rules: rulesPicker.rules.value,
      rulesOwn: rulesPicker.own.value,
      modelId: modelId.value,
      settings: { ...generation.settings },
      seed: seed.seed.value,
      seedLocked: seed.locked.value,
      interception: flow.interception.value,
      optimized: flow.optimized.value,
      image: image === null ? null : { upload: image, fileName: upload.fileName.value },
      enhancements: enhance.snapshot(),
      mask: mode === 'image' ? mask.forDraft() : [],
    }
  }

  function save(next: Partial<StoredStudio>): void {
    Object.assign(stored, next)
    localStorage.setItem(STUDIO_STORAGE_PREFIX + mode, JSON.stringify(stored))
  }

  // A run was queued: it carries everything the learner set up (the draft is kept until its folder exists).
  watch(
    () => run.runId.value,
    (runId) => {
      if (runId !== null) save({ lastRunId: runId, draft: draft(), sentAs: runId })
    },
  )
  watch(
    () => flow.lastRunId.value,
    (runId) => {
      if (runId !== null && runId !== stored.lastRunId) save({ lastRunId: runId, sentAs: runId, draft: draft() })
    },
  )

  let saveTimer: ReturnType<typeof setTimeout> | null = null
  watch(
    () => JSON.stringify(draft()),
    (now) => {
      if (restoring.value || flow.busy.value) return
      if (saveTimer !== null) clearTimeout(saveTimer)
      saveTimer = setTimeout(() => {
        const sent = stored.draft !== null && JSON.stringify(stored.draft) === now
        save({ draft: JSON.parse(now) as StudioDraft, sentAs: sent ? stored.sentAs : null })
      }, DRAFT_SAVE_MS)
    },
  )

  /** Set the inputs as a run had them (its folder's record). */
  async function applyRun(detail: RunDetail): Promise<void> {
    // the painted mask this browser sent with the run (kept in the draft saved when it was queued)
    const sentMask = stored.sentAs === detail.run_id && detail.mask_image_url ? stored.draft?.mask : undefined
    if (detail.idea !== null) idea.value = detail.idea
    await rulesPicker.restore(detail.config, detail.rules, detail.rules_source)
    if (detail.output_config !== null) modelId.value = detail.output_config
    generation.apply(detail.parameters)
    enhance.apply(detail.parameters)
    const stage4 = detail.stages.stage4
    if (stage4) generation.apply({ steps: stage4.steps, width: stage4.width, height: stage4.height })
    if (mode === 'image' && detail.input_image_url !== null) {
      // the upload itself may have expired: the run's own copy is uploaded again (checked like any upload)
      await catalog.health.loaded()
      await upload.select(await fetchImageFile(detail.input_image_url, 'foto.png'))
      if (sentMask && sentMask.length > 0) mask.restore(sentMask)
    }
  }

  /** Set the inputs as the learner left them (a draft). */
  async function applyDraft(saved: StudioDraft): Promise<void> {
    idea.value = saved.idea
    await rulesPicker.restore(saved.configId, saved.rules, saved.rulesOwn ? 'learner' : 'config')
    if (saved.modelId !== null) modelId.value = saved.modelId
    generation.apply(saved.settings)
    if (saved.enhancements) enhance.apply(saved.enhancements)
    if (saved.seedLocked) seed.set(saved.seed)
    flow.interception.value = saved.interception
    flow.optimized.value = saved.optimized
    if (saved.image !== null) upload.adopt(saved.image.upload, saved.image.fileName)
    if (saved.image !== null && saved.mask && saved.mask.length > 0) mask.restore(saved.mask)
  }

  /** Show a finished run in this mode ("Weiterarbeiten", or the last run after a reload). */
  async function openRun(detail: RunDetail): Promise<void> {
    await applyRun(detail)
    await nextTick()
    const block = detail.blocked
      ? blockedProblem(
          { stage: detail.blocked.stage, reason: detail.blocked.reason, found_terms: detail.blocked.found_terms ?? [] },
          detail.stages,
        )
      : detail.error
        ? errorProblem({ code: String(detail.error.code ?? 'unexpected'), message: String(detail.error.message ?? '') })
        : null
    flow.restore({
      runId: detail.run_id,
      stages: detail.stages,
      media: detail.media.at(-1) ?? null,
      interception: detail.interception,
      optimized: detail.optimized_prompt,
      block: detail.status === 'canceled' ? null : block,
    })
    save({ lastRunId: detail.run_id, sentAs: detail.run_id, draft: draft() })
  }

  /** Load a run from the gallery into this mode ("Weiterarbeiten"). */
  async function continueRun(runId: string): Promise<void> {
    restoring.value = true
    try {
      await openRun((await getRunDetail(runId)).run)
    } finally {
      restoring.value = false
    }
  }

  /** On page load: the last run from the server, the draft over it, and a run still going. */
  async function restore(): Promise<void> {
    restoring.value = true
    try {
      let detail: RunDetail | null = null
      if (stored.lastRunId !== null) {
        detail = await getRunDetail(stored.lastRunId).then(
          (answer) => answer.run,
          () => null,
        )
      }
      const running = detail?.status === 'in_progress' || detail?.status === 'queued' || detail?.status === 'running'
      if (detail !== null && !running) await openRun(detail)
      else if (detail !== null) await applyRun(detail)
      const saved = stored.draft
      if (saved !== null && (detail === null || running || stored.sentAs !== detail.run_id)) await applyDraft(saved)
    } finally {
      restoring.value = false
    }
    await flow.resume()
    const outcome = flow.problem.value
    if (outcome === null && flow.media.value !== null && flow.lastRunId.value !== null) {
      myRuns.add(flow.lastRunId.value, mode)
    }
  }

  const restored = restore()

  return {
    mode,
    catalog,
    language,
    idea,
    rulesPicker,
    modelId,
    selectedModel,
    generation,
    enhance,
    photoId,
    upscaling,
    upscaleProblem,
    upscaled,
    upscale,
    seed,
    upload,
    inputs,
    flow,
    run,
    tokens,
    needsRules,
    readyToRun,
    focus,
    requestFocus,
    settingProblems,
    showSettingProblems,
    restoring,
    restored,
    mask,
    maskProblem,
    modelMode,
    modelFits,
    go,
    step2,
    step3,
    progressFor,
    continueRun,
  }
}

/** A mode's studio (createStudio's result). */
export type Studio = ReturnType<typeof createStudio>

const studios: Partial<Record<StudioMode, Studio>> = {}

/** The page's studio of `mode`, created on first use in its own effect scope (it outlives the views). */
export function useStudio(mode: StudioMode): Studio {
  studios[mode] ??= effectScope(true).run(() => createStudio(mode))!
  return studios[mode]!
}
