/* Generated from schemas/json/ProgressEvent.schema.json by `npm run gen:types` (json-schema-to-typescript). Do not edit. */

/**
 * SSE ``progress``: one per diffusion step (from diffusers' ``callback_on_step_end``).
 */
export interface ProgressEvent {
  /**
   * 100 * step / total_steps, never decreasing within a run.
   */
  percent: number
  /**
   * Steps finished.
   */
  step: number
  /**
   * Steps the diffusion loop runs in total.
   */
  total_steps: number
  /**
   * Server time of the step callback, Unix seconds (time.time()).
   */
  ts: number
}
