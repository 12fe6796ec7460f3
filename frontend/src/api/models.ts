/**
 * Model management (/api/models, seed 001's operations): list, search, details, validate (open to all) and
 * load, unload, benchmark, metadata, refresh (admin: `Authorization: Bearer <token>`, or nothing from the
 * server machine itself while no token is configured).
 *
 * A benchmark runs as a queued job; its events are read with the browser's EventSource (like api/runs).
 */
import { requestJson } from './client'
import type {
  BenchmarkModelResponse,
  GetModelResponse,
  ListModelsResponse,
  LoadModelResponse,
  MetadataUpdate,
  ModelJobAccepted,
  RefreshModelsResponse,
  SearchModelsResponse,
  UnloadModelResponse,
  UpdateModelMetadataResponse,
  ValidateModelResponse,
} from './types'

/** Query parameters of GET /api/models (ListModelsRequest). */
export interface ModelListQuery {
  model_type?: string
  status?: string
  search_query?: string
  sort_by?: 'name' | 'type' | 'size' | 'rating' | 'performance'
  sort_direction?: 'asc' | 'desc'
  include_details?: boolean
  include_metrics?: boolean
  page?: number
  page_size?: number
}

function query(params: object): string {
  const search = new URLSearchParams()
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value))
  }
  const text = search.toString()
  return text ? `?${text}` : ''
}

function auth(token: string | null): Record<string, string> {
  return token ? { Authorization: `Bearer ${token}` } : {}
}

const path = (id: string, action = ''): string => `/api/models/${encodeURIComponent(id)}${action}`

/** GET /api/models: filtered, sorted, paged list with type and status distributions. */
export function listModels(params: ModelListQuery = {}): Promise<ListModelsResponse> {
  return requestJson<ListModelsResponse>(`/api/models${query(params)}`)
}

/** GET /api/models/search: fuzzy search with relevance, highlights and facets. */
export function searchModels(text: string, params: { model_types?: string; page_size?: number } = {}) {
  return requestJson<SearchModelsResponse>(`/api/models/search${query({ query: text, ...params })}`)
}

/** GET /api/models/<id>: details, compatibility, requirements, usage, benchmarks. */
export function getModel(id: string): Promise<GetModelResponse> {
  return requestJson<GetModelResponse>(path(id))
}

/** POST /api/models/<id>/validate: file, format, family, dtype and memory checks (loads nothing). */
export function validateModel(id: string): Promise<ValidateModelResponse> {
  return requestJson<ValidateModelResponse>(path(id, '/validate'), { method: 'POST', json: {} })
}

/** POST /api/models/<id>/load (admin). */
export function loadModel(id: string, token: string | null): Promise<LoadModelResponse> {
  return requestJson<LoadModelResponse>(path(id, '/load'), { method: 'POST', json: {}, headers: auth(token) })
}

/** POST /api/models/<id>/unload (admin); 409 `model_in_use` while a job uses it, unless `force`. */
export function unloadModel(id: string, token: string | null, force = false): Promise<UnloadModelResponse> {
  return requestJson<UnloadModelResponse>(path(id, '/unload'), {
    method: 'POST',
    json: { force },
    headers: auth(token),
  })
}

/** POST /api/models/<id>/benchmark (admin): queues the job (202). */
export function benchmarkModel(
  id: string,
  token: string | null,
  body: { resolutions: string[]; inference_steps: number; benchmark_runs: number; warmup_runs: number },
): Promise<ModelJobAccepted> {
  return requestJson<ModelJobAccepted>(path(id, '/benchmark'), { method: 'POST', json: body, headers: auth(token) })
}

/** PATCH /api/models/<id>/metadata (admin). */
export function updateModelMetadata(
  id: string,
  token: string | null,
  metadata: MetadataUpdate,
): Promise<UpdateModelMetadataResponse> {
  return requestJson<UpdateModelMetadataResponse>(path(id, '/metadata'), {
    method: 'PATCH',
    json: { metadata },
    headers: auth(token),
  })
}

/** POST /api/models/refresh (admin): scan the models folder again. */
export function refreshModels(token: string | null): Promise<RefreshModelsResponse> {
  return requestJson<RefreshModelsResponse>('/api/models/refresh', { method: 'POST', headers: auth(token) })
}

/** What {@link followModelJob} reports. */
export interface ModelJobHandlers {
  onProgress(step: number, totalSteps: number): void
  onDone(result: BenchmarkModelResponse): void
  onFailed(code: string, message: string): void
}

/** Follow a model job's SSE stream (events_url) until its terminal event; returns a function that stops. */
export function followModelJob(eventsUrl: string, handlers: ModelJobHandlers): () => void {
  const source = new EventSource(eventsUrl)
  const close = (): void => source.close()
  source.addEventListener('progress', (event) => {
    const data = JSON.parse((event as MessageEvent).data as string) as { step: number; total_steps: number }
    handlers.onProgress(data.step, data.total_steps)
  })
  source.addEventListener('complete', (event) => {
    close()
    handlers.onDone((JSON.parse((event as MessageEvent).data as string) as { result: BenchmarkModelResponse }).result)
  })
  source.addEventListener('canceled', () => {
    close()
    handlers.onFailed('canceled', 'The job was canceled.')
  })
  source.addEventListener('error', (event) => {
    if (event instanceof MessageEvent) {
      close()
      const error = (JSON.parse(event.data as string) as { error: { code: string; message: string } }).error
      handlers.onFailed(error.code, error.message)
    } else if (source.readyState === EventSource.CLOSED) {
      handlers.onFailed('network_error', 'The connection to the server was lost.')
    }
  })
  return close
}
