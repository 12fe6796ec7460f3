import { reactive, ref, shallowRef } from 'vue'

import { ApiError } from '@/api/client'
import * as modelsApi from '@/api/models'
import type { BenchmarkResult, GetModelResponse, ModelInfo, ValidateModelResponse } from '@/api/types'

/** The model API calls the page uses (a fake in unit tests). */
export type ModelsApi = typeof modelsApi

/** What the teacher last did and how it went, for the page's live region. */
export interface ModelsNotice {
  kind: 'ok' | 'error'
  /** i18n key under `models.notice` / `models.errors`, with its parameters. */
  key: string
  params: Record<string, string | number>
  /** The server's own sentence (English), for "Technische Details". */
  detail?: string
  /** A model that a running job uses: the page offers to unload it anyway (the job stops at its step). */
  forceUnload?: string
}

/** A benchmark job followed by the page. */
export interface BenchmarkState {
  modelId: string
  step: number
  total: number
  results: BenchmarkResult[] | null
  running: boolean
}

export const BENCHMARK_RESOLUTIONS = ['64x64', '128x128', '256x256']

/**
 * State and actions of the /models page: the list (with search and filters), one model's details,
 * validation, load/unload, benchmark (a queued job followed over SSE) and metadata editing.
 *
 * @param api the API functions; @param token returns the admin token to send (or null).
 */
export function useModels(token: () => string | null, api: ModelsApi = modelsApi) {
  const models = shallowRef<ModelInfo[]>([])
  const total = ref(0)
  const loading = ref(false)
  const filters = reactive({ search: '', type: '', status: '' })
  const busy = reactive<Record<string, string>>({})
  const notice = shallowRef<ModelsNotice | null>(null)
  const needsToken = ref(false)
  const selectedId = ref<string | null>(null)
  const details = shallowRef<GetModelResponse | null>(null)
  const validation = shallowRef<ValidateModelResponse | null>(null)
  const benchmark = shallowRef<BenchmarkState | null>(null)
  const highlights = shallowRef<Record<string, number>>({})
  let stopFollowing: (() => void) | null = null

  function fail(cause: unknown, action: string, id: string): void {
    const error = cause instanceof ApiError ? cause : new ApiError(0, 'unexpected', String(cause))
    if (error.code === 'admin_token_required') needsToken.value = true
    const known = [
      'admin_token_required',
      'admin_only_from_this_machine',
      'model_in_use',
      'model_unavailable',
      'model_load_failed',
      'model_memory_budget_exceeded',
      'network_error',
    ]
    notice.value = {
      kind: 'error',
      key: known.includes(error.code) ? `models.errors.${error.code}` : 'models.errors.other',
      params: { action, model: id },
      detail: error.message,
      forceUnload: error.code === 'model_in_use' && action === 'unload' ? id : undefined,
    }
  }

  async function reload(): Promise<void> {
    loading.value = true
    try {
      if (filters.search.trim()) {
        const found = await api.searchModels(filters.search.trim(), {
          model_types: filters.type || undefined,
          page_size: 200,
        })
        const hits = found.results.filter((hit) => !filters.status || hit.model.status === filters.status)
        models.value = hits.map((hit) => hit.model)
        highlights.value = Object.fromEntries(hits.map((hit) => [hit.model.id, hit.relevance_score]))
        total.value = hits.length
      } else {
        const listed = await api.listModels({
          model_type: filters.type || undefined,
          status: filters.status || undefined,
          include_metrics: true,
          page_size: 200,
        })
        models.value = listed.models
        highlights.value = {}
        total.value = listed.total_count
      }
    } catch (cause) {
      fail(cause, 'list', '')
    } finally {
      loading.value = false
    }
  }

  async function select(id: string): Promise<void> {
    selectedId.value = id
    validation.value = null
    try {
      details.value = await api.getModel(id)
    } catch (cause) {
      fail(cause, 'details', id)
    }
  }

  async function act(id: string, action: 'load' | 'unload' | 'validate', force = false): Promise<void> {
    busy[id] = action
    try {
      if (action === 'validate') {
        validation.value = await api.validateModel(id)
        selectedId.value = id
        details.value = await api.getModel(id)
        const failed = validation.value.validation_results.filter((check) => check.status === 'fail').length
        notice.value = {
          kind: 'ok',
          key: failed ? 'models.notice.validatedProblems' : 'models.notice.validated',
          params: { model: id, failed },
        }
      } else if (action === 'load') {
        const done = await api.loadModel(id, token())
        notice.value = {
          kind: 'ok',
          key: 'models.notice.loaded',
          params: { model: id, ms: done.load_time_ms },
          detail: done.warnings.join(' ') || undefined,
        }
      } else {
        const done = await api.unloadModel(id, token(), force)
        notice.value = {
          kind: 'ok',
          key: 'models.notice.unloaded',
          params: { model: id, bytes: done.memory_freed_bytes },
        }
      }
      needsToken.value = false
      await reload()
      if (selectedId.value === id && action !== 'validate') details.value = await api.getModel(id)
    } catch (cause) {
      fail(cause, action, id)
    } finally {
      delete busy[id]
    }
  }

  async function runBenchmark(id: string, resolutions: string[] = BENCHMARK_RESOLUTIONS): Promise<void> {
    stopFollowing?.()
    busy[id] = 'benchmark'
    try {
      const job = await api.benchmarkModel(id, token(), {
        resolutions,
        inference_steps: 4,
        benchmark_runs: 1,
        warmup_runs: 1,
      })
      needsToken.value = false
      benchmark.value = { modelId: id, step: 0, total: 0, results: null, running: true }
      notice.value = { kind: 'ok', key: 'models.notice.benchmarkQueued', params: { model: id, position: job.position } }
      stopFollowing = api.followModelJob(job.events_url, {
        onProgress(step, totalSteps) {
          benchmark.value = { modelId: id, step, total: totalSteps, results: null, running: true }
        },
        onDone(result) {
          benchmark.value = { modelId: id, step: 1, total: 1, results: result.results, running: false }
          notice.value = { kind: 'ok', key: 'models.notice.benchmarked', params: { model: id } }
          delete busy[id]
          void reload()
          if (selectedId.value === id) void select(id)
        },
        onFailed(code, message) {
          benchmark.value = null
          delete busy[id]
          fail(new ApiError(0, code, message), 'benchmark', id)
        },
      })
    } catch (cause) {
      delete busy[id]
      fail(cause, 'benchmark', id)
    }
  }

  async function saveMetadata(id: string, metadata: Parameters<ModelsApi['updateModelMetadata']>[2]): Promise<boolean> {
    busy[id] = 'metadata'
    try {
      const done = await api.updateModelMetadata(id, token(), metadata)
      needsToken.value = false
      notice.value = {
        kind: 'ok',
        key: 'models.notice.saved',
        params: { model: id, count: done.updated_fields.length },
      }
      await reload()
      details.value = await api.getModel(id)
      return true
    } catch (cause) {
      fail(cause, 'metadata', id)
      return false
    } finally {
      delete busy[id]
    }
  }

  function dispose(): void {
    stopFollowing?.()
  }

  return {
    models,
    total,
    loading,
    filters,
    busy,
    notice,
    needsToken,
    selectedId,
    details,
    validation,
    benchmark,
    highlights,
    reload,
    select,
    act,
    runBenchmark,
    saveMetadata,
    dispose,
  }
}
