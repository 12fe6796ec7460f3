/* Generated from schemas/json/WsGenerationBlocked.schema.json by `npm run gen:types` (json-schema-to-typescript). Do not edit. */

/**
 * Server -> client: a safety stage blocked the run.
 */
export interface WsGenerationBlocked {
  /**
   * The run_id.
   */
  job_id: string
  /**
   * Human sentence naming why.
   */
  reason: string
  /**
   * The stage that blocked.
   */
  stage: 1 | 3
  /**
   * ISO 8601 UTC time of the event.
   */
  timestamp: string
  /**
   * Message type.
   */
  type: 'generation_blocked'
}
