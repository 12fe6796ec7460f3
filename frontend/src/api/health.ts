/** GET /api/health: server facts the studio needs (upload limits, safety level). */
import { requestJson } from './client'
import type { HealthResponse } from './types'

/** The server's version, device, safety level and upload limits. */
export function getHealth(signal?: AbortSignal): Promise<HealthResponse> {
  return requestJson<HealthResponse>('/api/health', { signal })
}
