/* Generated from schemas/json/ConfigDetailResponse.schema.json by `npm run gen:types` (json-schema-to-typescript). Do not edit. */

/**
 * 200 of GET /api/schema/configs/<id>.
 */
export interface ConfigDetailResponse {
  config: ConfigDetail
  /**
   * Outcome.
   */
  status: 'success'
}
/**
 * One interception config with its rules.
 */
export interface ConfigDetail {
  /**
   * Category id.
   */
  category: string
  context: LocalizedTextOut
  description: LocalizedTextOut
  display: DisplayOut
  /**
   * Config id (send as `schema`).
   */
  id: string
  name: LocalizedTextOut
  /**
   * text_transformation, image_transformation or direct.
   */
  pipeline: string
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
/**
 * Picker hints.
 */
export interface DisplayOut {
  /**
   * #rrggbb accent colour.
   */
  color: string
  /**
   * Emoji or symbol.
   */
  icon: string
  /**
   * Sort key.
   */
  order: number
}
