/* Generated from schemas/json/UploadResponse.schema.json by `npm run gen:types` (json-schema-to-typescript). Do not edit. */

/**
 * 200 of POST /api/media/upload/image.
 */
export interface UploadResponse {
  /**
   * Size of the stored PNG, in bytes.
   */
  file_size_bytes: number
  /**
   * UUID4 of the stored upload; send it as input_image.
   */
  image_id: string
  /**
   * [width, height] as uploaded (after EXIF orientation).
   *
   * @minItems 2
   * @maxItems 2
   */
  original_size: [number, number]
  /**
   * [width, height] as stored.
   *
   * @minItems 2
   * @maxItems 2
   */
  resized_size: [number, number]
  /**
   * Outcome.
   */
  status: 'success'
  /**
   * Relative URL of the stored PNG.
   */
  url: string
}
