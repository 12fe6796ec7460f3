/* Generated from schemas/json/WsGenerationStarted.schema.json by `npm run gen:types` (json-schema-to-typescript). Do not edit. */

/**
 * Server -> client: a worker started the run.
 */
export interface WsGenerationStarted {
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
  type: 'generation_started'
}
