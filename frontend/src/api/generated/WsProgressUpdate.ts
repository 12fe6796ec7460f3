/* Generated from schemas/json/WsProgressUpdate.schema.json by `npm run gen:types` (json-schema-to-typescript). Do not edit. */

/**
 * Server -> client: one diffusion step finished.
 */
export interface WsProgressUpdate {
  /**
   * The run_id.
   */
  job_id: string
  /**
   * Fraction done, 0..1, never decreasing.
   */
  progress: number
  /**
   * The run's state.
   */
  status: 'running'
  /**
   * Steps finished.
   */
  step: number
  /**
   * ISO 8601 UTC time of the event.
   */
  timestamp: string
  /**
   * Steps in total.
   */
  total_steps: number
  /**
   * Message type.
   */
  type: 'progress_update'
}
