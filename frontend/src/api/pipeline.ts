/**
 * The pipeline endpoints. Each throws BlockedError when a safety stage stops the run and
 * ApiError for any other failure (see ./client).
 */
import { requestJson } from './client'
import type {
  ExecuteRequest,
  ExecuteResponse,
  GenerationRequest,
  GenerationResponse,
  OptimizeRequest,
  OptimizeResponse,
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

/** POST /api/schema/pipeline/generation: stages 3c-4; with `run_id` the image joins that run. */
export function generateMedia(request: GenerationRequest): Promise<GenerationResponse> {
  return requestJson<GenerationResponse>('/api/schema/pipeline/generation', { json: request })
}

/** POST /api/schema/pipeline/execute: stages 1-4 in one request (image mode). */
export function executePipeline(request: ExecuteRequest): Promise<ExecuteResponse> {
  return requestJson<ExecuteResponse>('/api/schema/pipeline/execute', { json: request })
}
