import { computed, reactive, watch, type Ref } from 'vue'

import type { GenerationParameters, OutputConfigSummary } from '@/api/types'

/** Image sides offered in the settings (multiples of 64, so of 8 as diffusers requires). */
export const SIZE_CHOICES = [256, 384, 512, 640, 768, 1024] as const

export interface GenerationSettings {
  steps: number
  width: number
  height: number
  strength: number
}

/**
 * The learner-adjustable generation parameters, reset to the chosen model's defaults whenever
 * the model changes.
 *
 * @param outputConfig the chosen output config (null while none is chosen).
 */
export function useGenerationSettings(outputConfig: Ref<OutputConfigSummary | null>) {
  const settings = reactive<GenerationSettings>({ steps: 20, width: 512, height: 512, strength: 0.75 })

  watch(
    outputConfig,
    (config) => {
      if (config === null) return
      settings.steps = config.defaults.steps
      settings.width = config.defaults.width
      settings.height = config.defaults.height
      settings.strength = config.defaults.strength
    },
    { immediate: true },
  )

  /** The chosen model's limits for the settings form, or null. */
  const limits = computed(() =>
    outputConfig.value === null
      ? null
      : { maxSteps: outputConfig.value.max_steps, maxSidePx: outputConfig.value.max_side_px },
  )

  /** The request's `parameters`: size and steps for text mode, steps and strength for image mode. */
  function parameters(mode: 'txt2img' | 'img2img'): GenerationParameters {
    return mode === 'txt2img'
      ? { steps: settings.steps, width: settings.width, height: settings.height }
      : { steps: settings.steps, strength: settings.strength }
  }

  return { settings, limits, parameters }
}
