/* Generated from schemas/json/ExecuteRequest.schema.json by `npm run gen:types` (json-schema-to-typescript). Do not edit. */

/**
 * POST /api/schema/pipeline/execute: stages 1-4 in one call.
 */
export interface ExecuteRequest {
  /**
   * True: queue the run and answer 202 with events_url/status_url instead of waiting.
   */
  async?: boolean
  /**
   * The learner's (edited) rules (HOW); default: the config's rules.
   */
  context_prompt?: string | null
  /**
   * image_id of an upload: present => img2img.
   */
  input_image?: string | null
  /**
   * The learner's idea (WHAT).
   */
  input_text?: string
  /**
   * Learner-edited stage 2 text: stage 2 is not re-run (the text is still checked).
   */
  interception_result?: string | null
  /**
   * Language of the learner's texts and of the answers: de or en.
   */
  language?: 'de' | 'en'
  /**
   * Learner-edited stage 3a text: optimization is not re-run.
   */
  optimized_prompt?: string | null
  /**
   * Output config id; default: server default.
   */
  output_config?: string | null
  /**
   * Generation parameter overrides.
   */
  parameters?: GenerationParameters | null
  /**
   * Interception config id (text mode) or 'image_transformation' (image mode).
   */
  schema: string
  /**
   * Seed; omitted: the server draws one and returns it.
   */
  seed?: number | null
}
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
