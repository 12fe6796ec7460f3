import { describe, expect, it } from 'vitest'
import { nextTick, ref } from 'vue'

import type { AddonsResponse, UploadResponse } from '@/api/types'

import { useEnhancements, type EnhancementsApi } from '../useEnhancements'

const addon = (id: string, family = 'sd1') => ({ id, name: id, family, trigger_words: [], scale: null })

const SD: AddonsResponse = {
  status: 'success',
  output_config: 'tiny_sd',
  base_model: 'tiny-sd',
  families: ['sd1'],
  refiners: [],
  vaes: [],
  loras: [addon('loras:a.safetensors'), addon('loras:b.safetensors')],
  controlnets: [addon('controlnet:depth'), addon('controlnet:canny-sd')],
  upscalers: [],
}
const XL: AddonsResponse = {
  ...SD,
  output_config: 'sdxl',
  families: ['sdxl'],
  refiners: [addon('refiner', 'sdxl')],
  loras: [],
  controlnets: [],
}

const upload = (id: string): UploadResponse => ({
  status: 'success',
  image_id: id,
  url: `/api/media/uploads/${id}`,
  original_size: [10, 10],
  resized_size: [10, 10],
  file_size_bytes: 1,
})

function fakeApi(): EnhancementsApi & { asked: string[] } {
  const asked: string[] = []
  return {
    asked,
    getAddons: async (id: string) => {
      asked.push(id)
      return id === 'sdxl' ? XL : SD
    },
    uploadImage: async () => upload('d-1'),
  }
}

async function settle(): Promise<void> {
  await nextTick()
  await Promise.resolve()
  await nextTick()
}

describe('useEnhancements', () => {
  it('sends only what is on and fits the chosen model', async () => {
    const model = ref<string | null>('tiny_sd')
    const photo = ref<string | null>('p-1')
    const enhance = useEnhancements(fakeApi(), model, photo)
    await settle()
    expect(enhance.parameters()).toEqual({})

    enhance.lora('loras:b.safetensors').on = true
    enhance.lora('loras:b.safetensors').weight = 1.23456
    enhance.state.batch = 4
    enhance.state.refiner = true // no refiner fits tiny_sd: not sent
    enhance.state.outline.on = true // no drawing yet: not sent
    expect(enhance.parameters()).toEqual({ loras: [{ id: 'loras:b.safetensors', weight: 1.23 }], batch_size: 4 })

    expect(await enhance.uploadDrawing(new File(['x'], 'd.png'))).toBe(true)
    expect(enhance.controlnet.value?.id).toBe('controlnet:canny-sd') // a canny ControlNet is preferred
    expect(enhance.parameters().controlnets).toEqual([
      { id: 'controlnet:canny-sd', image_id: 'd-1', weight: 1, preprocessor: 'canny' },
    ])
    enhance.state.outline.source = 'photo'
    expect(enhance.parameters().controlnets?.[0]?.image_id).toBe('p-1')

    model.value = 'sdxl'
    await settle()
    // the SD LoRA and ControlNet do not fit SDXL: left out; the refiner now fits
    expect(enhance.parameters()).toEqual({ refiner: { id: 'refiner' }, batch_size: 4 })
  })

  it('takes the choices of a run again', async () => {
    const enhance = useEnhancements(fakeApi(), ref('tiny_sd'), ref<string | null>(null))
    await settle()
    enhance.apply({
      loras: [{ id: 'loras:a.safetensors', weight: -0.5 }],
      batch_size: 2,
      controlnets: [{ id: 'controlnet:canny-sd', image_id: 'd-9', weight: 0.7, preprocessor: 'canny' }],
    })
    expect(enhance.parameters()).toEqual({
      loras: [{ id: 'loras:a.safetensors', weight: -0.5 }],
      controlnets: [{ id: 'controlnet:canny-sd', image_id: 'd-9', weight: 0.7, preprocessor: 'canny' }],
      batch_size: 2,
    })
    const saved = enhance.snapshot()
    enhance.apply({})
    expect(enhance.parameters()).toEqual({})
    enhance.apply(saved)
    expect(enhance.parameters().batch_size).toBe(2)
  })
  it('leaves the refiner and the outline out while an area is painted over (inpainting), and keeps them', async () => {
    const model = ref<string | null>('sdxl')
    const painted = ref(false)
    const enhance = useEnhancements(fakeApi(), model, ref<string | null>('p-1'), painted)
    await settle()
    enhance.state.refiner = true
    enhance.state.batch = 2
    expect(enhance.parameters()).toEqual({ refiner: { id: 'refiner' }, batch_size: 2 })
    painted.value = true
    expect(enhance.inpainting.value).toBe(true)
    expect(enhance.parameters()).toEqual({ batch_size: 2 }) // the server refuses a refiner for inpainting
    model.value = 'tiny_sd'
    await settle()
    enhance.state.outline.on = true
    enhance.state.outline.source = 'photo'
    expect(enhance.parameters().controlnets).toBeUndefined()
    painted.value = false // the choices were kept, only not sent
    expect(enhance.parameters().controlnets?.[0]?.image_id).toBe('p-1')
  })
})
