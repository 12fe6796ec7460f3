/* Generated from schemas/json/CanceledEvent.schema.json by `npm run gen:types` (json-schema-to-typescript). Do not edit. */

/**
 * SSE ``canceled`` (terminal): canceled on request; no image was written.
 */
export interface CanceledEvent {
  /**
   * Whether the run was still queued or already running.
   */
  while_status: 'queued' | 'running'
}
