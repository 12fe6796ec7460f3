/* Generated from schemas/json/ConfigListResponse.schema.json by `npm run gen:types` (json-schema-to-typescript). Do not edit. */

/**
 * 200 of GET /api/schema/configs.
 */
export interface ConfigListResponse {
  /**
   * Categories in display order.
   */
  categories: CategoryOut[]
  /**
   * Configs in display order.
   */
  configs: ConfigSummary[]
  /**
   * Outcome.
   */
  status: 'success'
}
/**
 * A picker category.
 */
export interface CategoryOut {
  /**
   * Category id.
   */
  id: string
  name: LocalizedTextOut
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
 * An interception config in the picker list.
 */
export interface ConfigSummary {
  /**
   * Category id.
   */
  category: string
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
