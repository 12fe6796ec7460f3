/* Generated from schemas/json/WsUnsubscribe.schema.json by `npm run gen:types` (json-schema-to-typescript). Do not edit. */

/**
 * Client -> server: stop receiving the events of these runs (null: of every run).
 */
export interface WsUnsubscribe {
  /**
   * run_ids to stop following, or null for all.
   */
  job_ids: string[] | null
  /**
   * Message type.
   */
  type: 'unsubscribe'
}
