/* Generated from schemas/json/StartedEvent.schema.json by `npm run gen:types` (json-schema-to-typescript). Do not edit. */

/**
 * SSE ``started``: a worker picked the run up; stage events follow.
 */
export interface StartedEvent {
  /**
   * Time spent in the queue, in milliseconds.
   */
  waited_ms: number
}
