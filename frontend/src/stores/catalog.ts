/**
 * What every view shares, loaded once per page: the perspectives (interception configs), the
 * models (output configs) and the server's health (safety level, upload limits, whether the
 * default model is loaded yet: while it is not, health is asked again until it is).
 */
import { computed, effectScope } from 'vue'

import { getHealth } from '@/api/health'
import { getConfigs, getOutputConfigs } from '@/api/schema'
import type { HealthResponse, OutputConfigSummary } from '@/api/types'
import { useResource } from '@/composables/useResource'

/** Ask /api/health again after this long while the default model loads (ms); slower while nobody loads it. */
export const HEALTH_POLL_LOADING_MS = 2000
export const HEALTH_POLL_COLD_MS = 10000

function createCatalog() {
  const configs = useResource(getConfigs)
  const models = useResource(getOutputConfigs)
  let timer: ReturnType<typeof setTimeout> | null = null
  const health = useResource(async (): Promise<HealthResponse> => {
    const answer = await getHealth()
    if (timer !== null) clearTimeout(timer)
    timer = null
    if (!answer.default_model.ready) {
      const delay = answer.default_model.loading ? HEALTH_POLL_LOADING_MS : HEALTH_POLL_COLD_MS
      timer = setTimeout(() => void health.reload(), delay)
    }
    return answer
  })

  /** The default model's state: ready, loading (with seconds to wait), or cold (loads with the first image). */
  const modelState = computed(() => {
    const status = health.data.value?.default_model
    if (!status || status.ready) return null
    return { loading: status.loading, waitS: Math.round(status.estimated_wait_s ?? 0) }
  })

  /** Rough seconds one image takes with `model` and these settings (the config's estimate, scaled). */
  function runEstimateS(model: OutputConfigSummary | null, steps: number, width: number, height: number): number {
    if (model === null) return 1
    const { defaults } = model
    const scale = (steps / defaults.steps) * ((width * height) / (defaults.width * defaults.height))
    return Math.max(1, Math.round(model.estimated_duration_s * scale))
  }

  return { configs, models, health, modelState, runEstimateS }
}

let shared: ReturnType<typeof createCatalog> | null = null

/** The page's shared catalogue (created on first use, lives as long as the page). */
export function useCatalog(): ReturnType<typeof createCatalog> {
  shared ??= effectScope(true).run(createCatalog)!
  return shared
}
