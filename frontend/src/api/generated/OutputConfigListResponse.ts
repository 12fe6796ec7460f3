/* Generated from schemas/json/OutputConfigListResponse.schema.json by `npm run gen:types` (json-schema-to-typescript). Do not edit. */

/**
 * 200 of GET /api/schema/output-configs.
 */
export interface OutputConfigListResponse {
  /**
   * Id of the default output config.
   */
  default: string
  /**
   * All output configs in display order.
   */
  output_configs: OutputConfigOut[]
  /**
   * Outcome.
   */
  status: 'success'
}
/**
 * A target model in the picker.
 */
export interface OutputConfigOut {
  /**
   * Whether the weights are on disk (or builtin).
   */
  available: boolean
  defaults: OutputDefaultsOut
  description: LocalizedTextOut
  /**
   * Rough seconds per image on the reference machine.
   */
  estimated_duration_s: number
  /**
   * Output config id.
   */
  id: string
  /**
   * Largest width/height allowed.
   */
  max_side_px: number
  /**
   * Most steps allowed.
   */
  max_steps: number
  /**
   * Kind of media.
   */
  media_type: 'image'
  name: LocalizedTextOut
  /**
   * Why not available (None when available).
   */
  reason: string | null
}
/**
 * Default generation parameters of an output config.
 */
export interface OutputDefaultsOut {
  /**
   * guidance_scale.
   */
  cfg: number
  /**
   * Height, pixels.
   */
  height: number
  /**
   * Default negative prompt.
   */
  negative_prompt: string
  /**
   * Scheduler name or null (the model's own).
   */
  scheduler: string | null
  /**
   * num_inference_steps.
   */
  steps: number
  /**
   * Default img2img strength.
   */
  strength: number
  /**
   * Width, pixels.
   */
  width: number
}
/**
 * A text per language.
 */
export interface LocalizedTextOut {
  /**
   * German.
   */
  de: string
  /**
   * English.
   */
  en: string
}
