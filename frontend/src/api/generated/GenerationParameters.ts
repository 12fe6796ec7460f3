/* Generated from schemas/json/GenerationParameters.schema.json by `npm run gen:types` (json-schema-to-typescript). Do not edit. */

/**
 * Optional overrides of the output config's defaults; omitted fields keep the defaults.
 */
export interface GenerationParameters {
  /**
   * guidance_scale (classifier-free guidance).
   */
  cfg?: number | null
  /**
   * Image height in pixels; a multiple of 8.
   */
  height?: number | null
  /**
   * What the image should avoid.
   */
  negative_prompt?: string | null
  /**
   * Scheduler: diffusers class name without 'Scheduler' (e.g. DDIM, EulerDiscrete).
   */
  scheduler?: string | null
  /**
   * num_inference_steps (denoising steps).
   */
  steps?: number | null
  /**
   * img2img only: how strongly the input image is changed (0..1]; default 0.75.
   */
  strength?: number | null
  /**
   * Image width in pixels; a multiple of 8.
   */
  width?: number | null
}
