import { describe, expect, it } from 'vitest'
import { nextTick, ref } from 'vue'

import type { OutputConfigListResponse, OutputConfigSummary } from '@/api/types'

import { useModelChoice } from '../useModelChoice'

function model(id: string, available: boolean): OutputConfigSummary {
  return {
    id,
    media_type: 'image',
    name: { de: id, en: id },
    description: { de: '', en: '' },
    defaults: { width: 512, height: 512, steps: 20, cfg: 7.5, scheduler: null, negative_prompt: '', strength: 0.75 },
    max_side_px: 1024,
    max_steps: 60,
    available,
    reason: available ? null : 'weights not on disk',
    estimated_duration_s: 5,
  }
}

describe('useModelChoice', () => {
  it.each([
    {
      id: 'default_available',
      default: 'tiny_sd',
      models: [model('sd15', true), model('tiny_sd', true)],
      expected: 'tiny_sd',
    },
    {
      id: 'default_unavailable',
      default: 'sd15',
      models: [model('sd15', false), model('tiny_sd', true)],
      expected: 'tiny_sd',
    },
    { id: 'nothing_available', default: 'sd15', models: [model('sd15', false)], expected: null },
  ])('$id', async ({ default: preferred, models, expected }) => {
    const list = ref<OutputConfigListResponse | null>(null)
    const { selectedModelId, selectedModel } = useModelChoice(list)
    expect(selectedModelId.value).toBeNull()
    list.value = { status: 'success', default: preferred, output_configs: models }
    await nextTick()
    expect(selectedModelId.value).toBe(expected)
    expect(selectedModel.value?.id ?? null).toBe(expected)
  })
})
