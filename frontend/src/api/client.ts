/**
 * The one place that calls `fetch`: relative /api URLs, JSON in and out, and DESIGN.md's error
 * shapes turned into typed errors.
 *
 * - HTTP 403 with `{"status": "blocked", ...}` -> {@link BlockedError} (a safety stage stopped the run).
 * - Any other non-2xx with `{"status": "error", "error": {code, message, details}}` -> {@link ApiError}.
 * - A failed connection or a body that is not the JSON error shape -> {@link ApiError} with code
 *   `network_error` or `http_<status>`.
 */
import type { BlockedResponse, ErrorResponse, Stages } from './types'

/** A request the server refused or could not finish (4xx/5xx with the JSON error shape). */
export class ApiError extends Error {
  /** HTTP status; 0 when the server could not be reached. */
  readonly httpStatus: number
  /** Stable snake_case code, e.g. `validation_error`, `upload_too_large`, `network_error`. */
  readonly code: string
  /** Extra facts from the server (offending field, limit, ...). */
  readonly details: Record<string, unknown>

  constructor(httpStatus: number, code: string, message: string, details: Record<string, unknown> = {}) {
    super(message)
    this.name = 'ApiError'
    this.httpStatus = httpStatus
    this.code = code
    this.details = details
  }
}

/** A safety stage (1 or 3: texts, 4: the image check) stopped the run; nothing later ran (HTTP 403, status "blocked"). */
export class BlockedError extends Error {
  readonly stage: 1 | 3 | 4
  readonly reason: string
  readonly foundTerms: string[]
  readonly runId: string | null
  readonly stages: Stages

  constructor(body: BlockedResponse) {
    super(body.reason)
    this.name = 'BlockedError'
    this.stage = body.stage
    this.reason = body.reason
    this.foundTerms = body.found_terms ?? []
    this.runId = body.run_id ?? null
    this.stages = body.stages ?? {}
  }
}

export interface RequestOptions {
  method?: 'GET' | 'POST'
  /** Sent as a JSON body (Content-Type: application/json). */
  json?: unknown
  /** Sent as multipart/form-data (the browser sets the boundary). */
  form?: FormData
  signal?: AbortSignal
}

function isBlockedResponse(body: unknown): body is BlockedResponse {
  return typeof body === 'object' && body !== null && (body as { status?: unknown }).status === 'blocked'
}

function isErrorResponse(body: unknown): body is ErrorResponse {
  if (typeof body !== 'object' || body === null) return false
  const error = (body as { error?: unknown }).error
  return typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string'
}

/**
 * Call a JSON endpoint and return its parsed body.
 *
 * @param path relative URL starting with `/api/` (never a host: Vite proxies /api in development).
 * @returns the parsed JSON body of a 2xx response.
 * @throws BlockedError on a 403 blocked body; ApiError on any other failure.
 */
export async function requestJson<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' }
  let body: BodyInit | undefined
  if (options.json !== undefined) {
    headers['Content-Type'] = 'application/json'
    body = JSON.stringify(options.json)
  } else if (options.form !== undefined) {
    body = options.form
  }

  let response: Response
  try {
    response = await fetch(path, {
      method: options.method ?? (body === undefined ? 'GET' : 'POST'),
      headers,
      body,
      signal: options.signal,
    })
  } catch (cause) {
    if (cause instanceof DOMException && cause.name === 'AbortError') throw cause
    throw new ApiError(0, 'network_error', cause instanceof Error ? cause.message : String(cause))
  }

  let parsed: unknown = null
  const text = await response.text()
  if (text !== '') {
    try {
      parsed = JSON.parse(text)
    } catch {
      parsed = null
    }
  }

  if (response.ok && parsed !== null) return parsed as T
  if (isBlockedResponse(parsed)) throw new BlockedError(parsed)
  if (isErrorResponse(parsed)) {
    const { code, message, details } = parsed.error
    throw new ApiError(response.status, code, message, details ?? {})
  }
  throw new ApiError(response.status, `http_${response.status}`, response.statusText || 'Unexpected response')
}
