/* Generated from schemas/json/WsGenerationCanceled.schema.json by `npm run gen:types` (json-schema-to-typescript). Do not edit. */

/**
 * Server -> client: the run was canceled.
 */
export interface WsGenerationCanceled {
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
  type: 'generation_canceled'
}
