/** The catalogue: interception configs (the HOW) and output configs (the models). */
import { requestJson } from './client'
import type { ConfigDetailResponse, ConfigListResponse, OutputConfigListResponse, PromptTokensResponse } from './types'

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

/**
 * POST /api/schema/prompt-tokens: how much of `prompt` the model of `outputConfig` reads, counted
 * with the model's own tokenizer (`ignored_from`: the character where the part it ignores begins).
 */
export function countPromptTokens(
  prompt: string,
  outputConfig: string,
  signal?: AbortSignal,
): Promise<PromptTokensResponse> {
  return requestJson<PromptTokensResponse>('/api/schema/prompt-tokens', {
    json: { prompt, output_config: outputConfig },
    signal,
  })
}
