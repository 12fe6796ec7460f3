/* Generated from schemas/json/StageStartEvent.schema.json by `npm run gen:types` (json-schema-to-typescript). Do not edit. */

/**
 * SSE ``stage_start``.
 */
export interface StageStartEvent {
  /**
   * safety, interception, pre_output or generation.
   */
  name: string
  /**
   * Stage number 1-4.
   */
  stage: number
}
