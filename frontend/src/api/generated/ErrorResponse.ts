/* Generated from schemas/json/ErrorResponse.schema.json by `npm run gen:types` (json-schema-to-typescript). Do not edit. */

/**
 * Every 4xx/5xx error.
 */
export interface ErrorResponse {
  error: ErrorBody
  /**
   * Outcome.
   */
  status: 'error'
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
