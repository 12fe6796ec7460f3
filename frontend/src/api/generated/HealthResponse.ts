/* Generated from schemas/json/HealthResponse.schema.json by `npm run gen:types` (json-schema-to-typescript). Do not edit. */

/**
 * 200 of GET /api/health.
 */
export interface HealthResponse {
  /**
   * Torch device generation runs on (cuda, mps, cpu).
   */
  device: string
  limits: HealthLimits
  /**
   * Text backend: template, ollama or openai.
   */
  llm_backend: string
  /**
   * Server-wide safety level.
   */
  safety_level: 'kids' | 'youth' | 'adult' | 'research'
  /**
   * Outcome.
   */
  status: 'success'
  /**
   * devserver version.
   */
  version: string
}
/**
 * Limits clients should validate against before sending.
 */
export interface HealthLimits {
  /**
   * Accepted upload MIME types.
   */
  accepted_types: string[]
  /**
   * Largest upload, in bytes.
   */
  upload_max_bytes: number
  /**
   * Uploads are downscaled to this longest side, in pixels.
   */
  upload_max_side_px: number
}
