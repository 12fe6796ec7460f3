import { computed, ref, watch, type Ref } from 'vue'

import type { OutputConfigListResponse } from '@/api/types'

/**
 * The chosen output config: the server's default when it is available, else the first available
 * one; null while the list is loading or when nothing is available.
 *
 * @param list GET /api/schema/output-configs' body (null until loaded).
 */
export function useModelChoice(list: Ref<OutputConfigListResponse | null>) {
  const selectedModelId = ref<string | null>(null)

  watch(
    list,
    (loaded) => {
      if (loaded === null) return
      const available = loaded.output_configs.filter((config) => config.available)
      const preferred = available.find((config) => config.id === loaded.default) ?? available[0]
      selectedModelId.value = preferred?.id ?? null
    },
    { immediate: true },
  )

  const selectedModel = computed(
    () => list.value?.output_configs.find((config) => config.id === selectedModelId.value) ?? null,
  )

  return { selectedModelId, selectedModel }
}
