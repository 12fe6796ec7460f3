/* Generated from schemas/json/WsSubscribed.schema.json by `npm run gen:types` (json-schema-to-typescript). Do not edit. */

/**
 * Server -> client: the subscription was changed.
 */
export interface WsSubscribed {
  /**
   * The run_ids of the request (null: all runs).
   */
  job_ids: string[] | null
  /**
   * ISO 8601 UTC time of the event.
   */
  timestamp: string
  /**
   * Acknowledges subscribe or unsubscribe.
   */
  type: 'subscribed' | 'unsubscribed'
}
