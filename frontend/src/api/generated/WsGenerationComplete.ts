/* Generated from schemas/json/WsGenerationComplete.schema.json by `npm run gen:types` (json-schema-to-typescript). Do not edit. */

/**
 * Server -> client: the run succeeded.
 */
export interface WsGenerationComplete {
  /**
   * The run_id.
   */
  job_id: string
  media_output: MediaOutput
  /**
   * ISO 8601 UTC time of the event.
   */
  timestamp: string
  /**
   * Message type.
   */
  type: 'generation_complete'
}
/**
 * A generated image, addressable by run_id and index (DESIGN.md, media_output).
 */
export interface MediaOutput {
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
