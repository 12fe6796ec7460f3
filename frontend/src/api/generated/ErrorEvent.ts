/* Generated from schemas/json/ErrorEvent.schema.json by `npm run gen:types` (json-schema-to-typescript). Do not edit. */

/**
 * SSE ``error`` (terminal): the run failed (or was interrupted by a restart).
 */
export interface ErrorEvent {
  error: ErrorBody
}
/**
 * The error object inside an error response.
 */
export interface ErrorBody {
  /**
   * snake_case code clients can switch on.
   */
  code: string
  /**
   * Extra facts (field, limit, ...).
   */
  details?: {
    [k: string]: unknown
  }
  /**
   * Human sentence naming the problem.
   */
  message: string
}
