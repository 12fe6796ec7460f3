/**
 * The enhanced generation's helpers for the studio: what fits the chosen model, the edge map of an
 * upload ("Umriss übernehmen"), and making a finished image larger ("Vergrößern").
 */
import { requestJson } from './client'
import type { AddonsResponse, UpscaleResponse } from './types'

/** GET /api/schema/output-configs/<id>/addons: refiners, VAEs, LoRAs, ControlNets and upscalers that fit. */
export function getAddons(outputConfig: string): Promise<AddonsResponse> {
  return requestJson<AddonsResponse>(`/api/schema/output-configs/${encodeURIComponent(outputConfig)}/addons`)
}

/** URL of the Canny edge map of an upload (what a canny ControlNet gets), as a PNG. */
export function edgeMapUrl(imageId: string): string {
  return `/api/media/uploads/${encodeURIComponent(imageId)}/edges`
}

/**
 * POST /api/media/upscale: image `index` of run `runId`, `factor` times larger (a new image of the run).
 *
 * @throws ApiError 404 (no such image), 422 (too large, unknown upscaler).
 */
export function upscaleImage(runId: string, index: number, factor: 2 | 4): Promise<UpscaleResponse> {
  return requestJson<UpscaleResponse>('/api/media/upscale', { json: { run_id: runId, index, factor } })
}
