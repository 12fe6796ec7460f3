/* Generated from schemas/json/RunInfoResponse.schema.json by `npm run gen:types` (json-schema-to-typescript). Do not edit. */

/**
 * 200 of GET /api/media/info/<run_id>: metadata.json plus status.
 */
export interface RunInfoResponse {
  run: RunMetadata
  /**
   * Outcome of this request.
   */
  status: 'success'
  [k: string]: unknown
}
/**
 * exports/json/<run_id>/metadata.json, served by GET /api/media/info/<run_id>.
 */
export interface RunMetadata {
  /**
   * Backend and model per stage.
   */
  backends?: {
    [k: string]: unknown
  }
  /**
   * Block record (stage, reason, found_terms) if blocked.
   */
  blocked?: {
    [k: string]: unknown
  } | null
  /**
   * Interception config id.
   */
  config?: string | null
  /**
   * ISO 8601 UTC creation time.
   */
  created_at: string
  /**
   * Files in order of creation.
   */
  entities?: RunEntity[]
  /**
   * Error record (code, message) if the run failed.
   */
  error?: {
    [k: string]: unknown
  } | null
  /**
   * Request language.
   */
  language?: ('de' | 'en') | null
  /**
   * Generated images in order.
   */
  media?: RunMedia[]
  /**
   * Output config id.
   */
  output_config?: string | null
  /**
   * The run's id.
   */
  run_id: string
  /**
   * Server safety level during the run.
   */
  safety_level: 'kids' | 'youth' | 'adult' | 'research'
  /**
   * Seed of the latest image.
   */
  seed?: number | null
  /**
   * Run outcome so far (in_progress between calls of the step-by-step flow).
   */
  status: 'success' | 'blocked' | 'error' | 'queued' | 'running' | 'canceled' | 'in_progress'
  /**
   * ISO 8601 UTC time of the last change.
   */
  updated_at: string
  [k: string]: unknown
}
/**
 * One file of a run folder.
 */
export interface RunEntity {
  /**
   * ISO 8601 UTC time the file was written.
   */
  created_at: string
  /**
   * File name inside the run folder.
   */
  file: string
  /**
   * Order of creation, 1-based (the NN in NN_<type>.<ext>).
   */
  seq: number
  /**
   * Entity type, e.g. input, interception, output_image.
   */
  type: string
}
/**
 * A media_output as recorded in metadata.json, with its file name in the run folder.
 */
export interface RunMedia {
  /**
   * File name inside the run folder, e.g. 08_output_image.png.
   */
  file: string
  /**
   * Height in pixels.
   */
  height: number
  /**
   * 0-based index of the image within its run.
   */
  index: number
  /**
   * Kind of media.
   */
  media_type: 'image'
  /**
   * MIME type of the file.
   */
  mime_type: 'image/png'
  /**
   * Output config id.
   */
  output_config: string
  /**
   * Run the image belongs to.
   */
  run_id: string
  /**
   * Seed that reproduces the image.
   */
  seed: number
  /**
   * Relative URL of the PNG: /api/media/image/<run_id>/<index>.
   */
  url: string
  /**
   * Width in pixels.
   */
  width: number
}
