/* Generated from schemas/json/WsGenerationError.schema.json by `npm run gen:types` (json-schema-to-typescript). Do not edit. */

/**
 * Server -> client: the run failed.
 */
export interface WsGenerationError {
  error: ErrorBody
  /**
   * The run_id.
   */
  job_id: string
  /**
   * ISO 8601 UTC time of the event.
   */
  timestamp: string
  /**
   * Message type.
   */
  type: 'generation_error'
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
