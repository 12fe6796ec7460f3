/* Generated from schemas/json/GenerationRequestBody.schema.json by `npm run gen:types` (json-schema-to-typescript). Do not edit. */

/**
 * POST /api/schema/pipeline/generation: stage 3c (safety) and stage 4 on a given prompt.
 */
export interface GenerationRequestBody {
  /**
   * True: queue the run and answer 202 with events_url/status_url instead of waiting.
   */
  async?: boolean
  /**
   * image_id: present => img2img.
   */
  input_image?: string | null
  /**
   * Language of the learner's texts and of the answers: de or en.
   */
  language?: 'de' | 'en'
  /**
   * Output config id; default: server default.
   */
  output_config?: string | null
  /**
   * Generation parameter overrides.
   */
  parameters?: GenerationParameters | null
  /**
   * The final prompt.
   */
  prompt: string
  /**
   * Existing run to add the image to; omitted: a new run.
   */
  run_id?: string | null
  /**
   * Seed; omitted: the server draws one.
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
