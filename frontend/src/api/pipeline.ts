/**
 * The pipeline endpoints. Each throws BlockedError when a safety stage stops the run and
 * ApiError for any other failure (see ./client). Generation is queued (`"async": true`) and
 * followed with ./runs; the synchronous forms of /generation and /execute are for other clients.
 */
import { requestJson } from './client'
import type {
  ExecuteRequest,
  GenerationRequest,
  OptimizeRequest,
  OptimizeResponse,
  QueuedResponse,
  Stage2Request,
  Stage2Response,
} from './types'

/** POST /api/schema/pipeline/stage2: stages 1-2 (safety check of the idea, interception). */
export function runStage2(request: Stage2Request): Promise<Stage2Response> {
  return requestJson<Stage2Response>('/api/schema/pipeline/stage2', { json: request })
}

/** POST /api/schema/pipeline/optimize: stage 3a, the prompt rewritten for the chosen model. */
export function optimizePrompt(request: OptimizeRequest): Promise<OptimizeResponse> {
  return requestJson<OptimizeResponse>('/api/schema/pipeline/optimize', { json: request })
}

/**
 * POST /api/schema/pipeline/generation with `"async": true`: stages 3c-4 queued (202); with
 * `run_id` the image joins that run. The request is validated first (ApiError 4xx, nothing queued).
 */
export function submitGeneration(request: GenerationRequest): Promise<QueuedResponse> {
  return requestJson<QueuedResponse>('/api/schema/pipeline/generation', { json: { ...request, async: true } })
}

/** POST /api/schema/pipeline/execute with `"async": true`: stages 1-4 queued (202), as submitGeneration. */
export function submitExecute(request: ExecuteRequest): Promise<QueuedResponse> {
  return requestJson<QueuedResponse>('/api/schema/pipeline/execute', { json: { ...request, async: true } })
}
