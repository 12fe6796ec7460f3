/* Generated from schemas/json/OptimizeRequest.schema.json by `npm run gen:types` (json-schema-to-typescript). Do not edit. */

/**
 * POST /api/schema/pipeline/optimize: stage 3a for a target model.
 */
export interface OptimizeRequest {
  /**
   * Language of the prompt: de or en.
   */
  language?: 'de' | 'en'
  /**
   * Output config id the prompt is for.
   */
  output_config: string
  /**
   * Text to optimize (stage 2's result).
   */
  prompt: string
  /**
   * Run to record into; omitted: a new run.
   */
  run_id?: string | null
}
