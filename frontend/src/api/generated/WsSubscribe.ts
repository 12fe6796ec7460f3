/* Generated from schemas/json/WsSubscribe.schema.json by `npm run gen:types` (json-schema-to-typescript). Do not edit. */

/**
 * Client -> server: receive the events of these runs (null: of every run).
 */
export interface WsSubscribe {
  /**
   * run_ids to follow, or null for all runs.
   */
  job_ids: string[] | null
  /**
   * Message type.
   */
  type: 'subscribe'
}
