/* Generated from schemas/json/QueuedResponse.schema.json by `npm run gen:types` (json-schema-to-typescript). Do not edit. */

/**
 * 202 of /execute and /generation with ``"async": true``: the run is queued.
 */
export interface QueuedResponse {
  /**
   * Relative URL of the run's Server-Sent Events stream.
   */
  events_url: string
  /**
   * Place in the queue when submitted: 1 = runs next.
   */
  position: number
  /**
   * The run's id (UUID4); its folder appears when the run starts.
   */
  run_id: string
  /**
   * Outcome: the run waits in the queue.
   */
  status: 'queued'
  /**
   * Relative URL of the run's status (GET).
   */
  status_url: string
}
