import { describe, expect, it, vi } from 'vitest'

import { ApiError } from '@/api/client'
import type { ListModelsResponse } from '@/api/types'

import { useModels, type ModelsApi } from '../useModels'

const EMPTY_LIST: ListModelsResponse = {
  status: 'success',
  models: [],
  total_count: 0,
  page: 1,
  page_size: 200,
  total_pages: 0,
  type_distribution: {},
  status_distribution: {},
}

function fakeApi(overrides: Partial<ModelsApi> = {}): ModelsApi {
  return {
    listModels: vi.fn(async () => EMPTY_LIST),
    getModel: vi.fn(),
    ...overrides,
  } as unknown as ModelsApi
}

describe('useModels', () => {
  it('offers a forced unload when a running job uses the model', async () => {
    const unloadModel = vi.fn(async () => {
      throw new ApiError(409, 'model_in_use', 'Model is used by 1 running job(s)')
    })
    const page = useModels(() => 'tok', fakeApi({ unloadModel } as Partial<ModelsApi>))
    await page.act('tiny-sd', 'unload')
    expect(page.notice.value?.key).toBe('models.errors.model_in_use')
    expect(page.notice.value?.forceUnload).toBe('tiny-sd')

    unloadModel.mockResolvedValueOnce({ memory_freed_bytes: 5 } as never)
    await page.act('tiny-sd', 'unload', true)
    expect(unloadModel).toHaveBeenLastCalledWith('tiny-sd', 'tok', true)
    expect(page.notice.value?.key).toBe('models.notice.unloaded')
  })

  it('asks for the admin token on a 401 and forgets the request afterwards', async () => {
    const loadModel = vi.fn(async () => {
      throw new ApiError(401, 'admin_token_required', 'This operation needs the admin token')
    })
    const page = useModels(() => null, fakeApi({ loadModel } as Partial<ModelsApi>))
    await page.act('tiny-sd', 'load')
    expect(page.needsToken.value).toBe(true)
    expect(page.busy['tiny-sd']).toBeUndefined()
  })

  it('searches with the fuzzy endpoint when there is a query, lists otherwise', async () => {
    const searchModels = vi.fn(async () => ({ results: [] }))
    const api = fakeApi({ searchModels } as unknown as Partial<ModelsApi>)
    const page = useModels(() => null, api)
    page.filters.search = 'tyni'
    page.filters.type = 'lora'
    await page.reload()
    expect(searchModels).toHaveBeenCalledWith('tyni', { model_types: 'lora', page_size: 200 })
    page.filters.search = ''
    await page.reload()
    expect(api.listModels).toHaveBeenCalledWith(expect.objectContaining({ model_type: 'lora', include_metrics: true }))
  })
})
