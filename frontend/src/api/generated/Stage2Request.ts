/* Generated from schemas/json/Stage2Request.schema.json by `npm run gen:types` (json-schema-to-typescript). Do not edit. */

/**
 * POST /api/schema/pipeline/stage2: stages 1-2 (safety check, then interception).
 */
export interface Stage2Request {
  /**
   * The learner's (edited) rules (HOW); default: the config's rules.
   */
  context_prompt?: string | null
  /**
   * The learner's idea (WHAT).
   */
  input_text: string
  /**
   * Language of the texts: de or en.
   */
  language?: 'de' | 'en'
  /**
   * Interception config id.
   */
  schema: string
}
