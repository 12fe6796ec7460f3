/** The catalogue: interception configs (the HOW) and output configs (the models). */
import { requestJson } from './client'
import type { ConfigDetailResponse, ConfigListResponse, OutputConfigListResponse } from './types'

/** GET /api/schema/configs: all interception configs and their categories. */
export function getConfigs(): Promise<ConfigListResponse> {
  return requestJson<ConfigListResponse>('/api/schema/configs')
}

/** GET /api/schema/configs/<id>: one config with its context (the rules text) per language. */
export function getConfig(id: string): Promise<ConfigDetailResponse> {
  return requestJson<ConfigDetailResponse>(`/api/schema/configs/${encodeURIComponent(id)}`)
}

/** GET /api/schema/output-configs: the models, with `available` and the `reason` when not. */
export function getOutputConfigs(): Promise<OutputConfigListResponse> {
  return requestJson<OutputConfigListResponse>('/api/schema/output-configs')
}
