/* Generated from schemas/json/QueuedEvent.schema.json by `npm run gen:types` (json-schema-to-typescript). Do not edit. */

/**
 * SSE ``queued``: the run entered the queue.
 */
export interface QueuedEvent {
  /**
   * Place in the queue when submitted: 1 = runs next.
   */
  position: number
}
