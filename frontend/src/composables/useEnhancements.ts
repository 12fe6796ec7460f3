import { computed, reactive, ref, shallowRef, watch, type Ref } from 'vue'

import type { AddonOut, AddonsResponse, GenerationParameters, UploadResponse } from '@/api/types'

/** Batch sizes the studio offers (the server takes 1..8). */
export const BATCH_CHOICES = [1, 2, 4] as const
export type BatchSize = (typeof BATCH_CHOICES)[number]

/** LoRA weight range and step of the sliders (the server takes -2..2). */
export const LORA_WEIGHT = { min: -2, max: 2, step: 0.1, start: 0.8 } as const
/** How closely the image follows the outline: the ControlNet's conditioning scale (the server takes 0..2). */
export const OUTLINE_WEIGHT = { min: 0, max: 2, step: 0.1, start: 1 } as const

/** Where "Umriss übernehmen" takes its outline from. */
export type OutlineSource = 'photo' | 'drawing'

/** The learner's choices of the enhanced settings (kept in the draft, JSON). */
export interface EnhancementState {
  refiner: boolean
  /** Per LoRA id: on or off, and its weight. */
  loras: Record<string, { on: boolean; weight: number }>
  outline: { on: boolean; source: OutlineSource; drawing: UploadResponse | null; weight: number }
  batch: BatchSize
}

/** What the composable calls (api/enhance and api/media; fakes in tests). */
export interface EnhancementsApi {
  getAddons(outputConfig: string): Promise<AddonsResponse>
  uploadImage(file: File): Promise<UploadResponse>
}

function initialState(): EnhancementState {
  return {
    refiner: false,
    loras: {},
    outline: { on: false, source: 'drawing', drawing: null, weight: OUTLINE_WEIGHT.start },
    batch: 1,
  }
}

/**
 * The studio's enhanced settings under "Weitere Einstellungen": refiner, LoRAs with weights, "Umriss
 * übernehmen" (a canny ControlNet from the photo or an uploaded drawing) and the batch size.
 *
 * Only what fits the chosen model is offered: the server lists it (`getAddons`, by the model
 * families' table), and a choice that no longer fits after a model change is left out of the
 * request, not sent to be refused. `parameters()` is the request's enhanced part.
 *
 * @param api the endpoints.
 * @param outputConfig the chosen output config id (null while none is chosen).
 * @param photoId the uploaded photo's image_id in image mode (the outline can come from it), else null.
 * @param inpainting whether an area of the photo is painted over: the server runs no refiner and no
 *   ControlNet for inpainting (a 422), so both stay as chosen but are not sent, and the settings say so.
 */
export function useEnhancements(
  api: EnhancementsApi,
  outputConfig: Ref<string | null>,
  photoId: Ref<string | null>,
  inpainting: Ref<boolean> = ref(false),
) {
  const state = reactive<EnhancementState>(initialState())
  const addons = shallowRef<AddonsResponse | null>(null)
  const uploading = ref(false)
  const uploadProblem = shallowRef<unknown>(null)

  watch(
    outputConfig,
    async (id) => {
      addons.value = null
      if (id === null) return
      try {
        const found = await api.getAddons(id)
        if (outputConfig.value === id) addons.value = found
      } catch {
        // nothing extra is offered when the list cannot be read; generation itself still works
      }
    },
    { immediate: true },
  )

  // In image mode the photo is the natural outline: switching the outline on takes it unless a drawing is there.
  watch(
    () => state.outline.on,
    (on) => {
      if (on && photoId.value !== null && state.outline.drawing === null) state.outline.source = 'photo'
    },
  )

  const refiner = computed<AddonOut | null>(() => addons.value?.refiners[0] ?? null)
  const loras = computed<AddonOut[]>(() => addons.value?.loras ?? [])
  /** The ControlNet for outlines: the first that fits (canny ones first, by name). */
  const controlnet = computed<AddonOut | null>(() => {
    const found = addons.value?.controlnets ?? []
    return found.find((cn) => /canny|edge|lineart/i.test(cn.id)) ?? found[0] ?? null
  })
  /** The upload the outline comes from, or null (none chosen yet). */
  const outlineImageId = computed<string | null>(() =>
    state.outline.source === 'photo' ? photoId.value : (state.outline.drawing?.image_id ?? null),
  )

  /** The LoRA's state (created off, at the starting weight, on first use). */
  function lora(id: string): { on: boolean; weight: number } {
    state.loras[id] ??= { on: false, weight: LORA_WEIGHT.start }
    return state.loras[id]
  }

  /** Upload a drawing for the outline; its edge map is then shown. */
  async function uploadDrawing(file: File): Promise<boolean> {
    uploading.value = true
    uploadProblem.value = null
    try {
      state.outline.drawing = await api.uploadImage(file)
      state.outline.source = 'drawing'
      state.outline.on = true
      return true
    } catch (cause) {
      uploadProblem.value = cause
      return false
    } finally {
      uploading.value = false
    }
  }

  /** The request's enhanced `parameters` (only what is on and fits the chosen model). */
  function parameters(): Partial<GenerationParameters> {
    const out: Partial<GenerationParameters> = {}
    if (state.refiner && refiner.value !== null && !inpainting.value) out.refiner = { id: refiner.value.id }
    const chosen = loras.value
      .filter((item) => state.loras[item.id]?.on)
      .map((item) => ({ id: item.id, weight: Math.round(lora(item.id).weight * 100) / 100 }))
    // the server takes at most 5 (a tuple type in the generated contract)
    if (chosen.length > 0) out.loras = chosen.slice(0, 5) as GenerationParameters['loras']
    if (state.outline.on && controlnet.value !== null && outlineImageId.value !== null && !inpainting.value) {
      out.controlnets = [
        {
          id: controlnet.value.id,
          image_id: outlineImageId.value,
          weight: Math.round(state.outline.weight * 100) / 100,
          preprocessor: 'canny',
        },
      ]
    }
    if (state.batch > 1) out.batch_size = state.batch
    return out
  }

  /** Take the choices a run was made with (its `parameters`), or a saved draft's. */
  function apply(params: Partial<GenerationParameters> | EnhancementState): void {
    if ('outline' in params) {
      Object.assign(state, JSON.parse(JSON.stringify(params)) as EnhancementState)
      return
    }
    Object.assign(state, initialState())
    state.refiner = params.refiner != null
    for (const item of params.loras ?? []) state.loras[item.id] = { on: true, weight: item.weight ?? 1 }
    const batch = params.batch_size ?? 1
    state.batch = (BATCH_CHOICES as readonly number[]).includes(batch) ? (batch as BatchSize) : 1
    const outline = params.controlnets?.[0]
    if (outline) {
      state.outline.on = true
      state.outline.weight = outline.weight ?? 1
      state.outline.source = outline.image_id === photoId.value ? 'photo' : 'drawing'
      if (state.outline.source === 'drawing') {
        state.outline.drawing = {
          status: 'success',
          image_id: outline.image_id,
          url: `/api/media/uploads/${outline.image_id}`,
          original_size: [0, 0],
          resized_size: [0, 0],
          file_size_bytes: 0,
        }
      }
    }
  }

  /** A copy of the choices for the draft. */
  function snapshot(): EnhancementState {
    return JSON.parse(JSON.stringify(state)) as EnhancementState
  }

  return {
    state,
    addons,
    inpainting,
    refiner,
    loras,
    controlnet,
    outlineImageId,
    uploading,
    uploadProblem,
    lora,
    uploadDrawing,
    parameters,
    apply,
    snapshot,
  }
}

/** A mode's enhanced settings (useEnhancements' result). */
export type EnhancementsControl = ReturnType<typeof useEnhancements>
