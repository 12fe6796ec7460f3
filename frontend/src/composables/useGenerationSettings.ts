import { computed, reactive, watch, type Ref } from 'vue'

import type { GenerationParameters, OutputConfigSummary } from '@/api/types'

/** Image sides offered in the settings (multiples of 64, so of 8 as diffusers requires). */
export const SIZE_CHOICES = [256, 384, 512, 640, 768, 1024] as const

/** Smallest image side the server accepts, in pixels (devserver.generation.backend.MIN_SIDE_PX). */
export const MIN_SIDE_PX = 64

/** Strength range of the img2img slider (the server takes (0, 1]). */
export const STRENGTH_RANGE = { min: 0.05, max: 1 } as const

export interface GenerationSettings {
  steps: number
  width: number
  height: number
  strength: number
}

/** A setting outside what the chosen model allows: which field, and the range to name next to it. */
export interface SettingProblem {
  field: keyof GenerationSettings
  min: number
  max: number
}

/**
 * The learner-adjustable generation parameters, reset to the chosen model's defaults whenever the
 * model changes (synchronously, so `apply` right after choosing a model keeps a run's settings),
 * and checked against the model's limits: `problems` names each setting out of range with the
 * allowed range, so the form shows it next to the field before anything is sent.
 *
 * @param outputConfig the chosen output config (null while none is chosen).
 */
export function useGenerationSettings(outputConfig: Ref<OutputConfigSummary | null>) {
  const settings = reactive<GenerationSettings>({ steps: 20, width: 512, height: 512, strength: 0.75 })

  watch(
    outputConfig,
    (config, previous) => {
      if (config === null || config.id === previous?.id) return
      settings.steps = config.defaults.steps
      settings.width = config.defaults.width
      settings.height = config.defaults.height
      settings.strength = config.defaults.strength
    },
    { immediate: true, flush: 'sync' },
  )

  /** The chosen model's limits for the settings form, or null. */
  const limits = computed(() =>
    outputConfig.value === null
      ? null
      : { maxSteps: outputConfig.value.max_steps, maxSidePx: outputConfig.value.max_side_px },
  )

  /** The settings out of range for `mode` (empty: all fine). */
  function problemsFor(mode: 'txt2img' | 'img2img'): SettingProblem[] {
    const found: SettingProblem[] = []
    const maxSteps = limits.value?.maxSteps ?? 150
    if (!Number.isInteger(settings.steps) || settings.steps < 1 || settings.steps > maxSteps) {
      found.push({ field: 'steps', min: 1, max: maxSteps })
    }
    if (mode === 'txt2img') {
      const maxSide = limits.value?.maxSidePx ?? 2048
      for (const field of ['width', 'height'] as const) {
        const value = settings[field]
        if (!Number.isInteger(value) || value < MIN_SIDE_PX || value > maxSide || value % 8 !== 0) {
          found.push({ field, min: MIN_SIDE_PX, max: maxSide })
        }
      }
    } else if (!(settings.strength >= STRENGTH_RANGE.min && settings.strength <= STRENGTH_RANGE.max)) {
      found.push({ field: 'strength', min: STRENGTH_RANGE.min, max: STRENGTH_RANGE.max })
    }
    return found
  }

  /** The request's `parameters`: size and steps for text mode, steps and strength for image mode. */
  function parameters(mode: 'txt2img' | 'img2img'): GenerationParameters {
    return mode === 'txt2img'
      ? { steps: settings.steps, width: settings.width, height: settings.height }
      : { steps: settings.steps, strength: settings.strength }
  }

  /** Take the settings a run was made with (its `parameters`; missing ones keep the model's defaults). */
  function apply(params: Partial<GenerationParameters>): void {
    if (typeof params.steps === 'number') settings.steps = params.steps
    if (typeof params.width === 'number') settings.width = params.width
    if (typeof params.height === 'number') settings.height = params.height
    if (typeof params.strength === 'number') settings.strength = params.strength
  }

  return { settings, limits, problemsFor, parameters, apply }
}

/** A mode's generation settings (useGenerationSettings' result). */
export type GenerationSettingsControl = ReturnType<typeof useGenerationSettings>
