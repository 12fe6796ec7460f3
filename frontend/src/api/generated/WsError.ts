/* Generated from schemas/json/WsError.schema.json by `npm run gen:types` (json-schema-to-typescript). Do not edit. */

/**
 * Server -> client: the last client message was not understood (the socket stays open).
 */
export interface WsError {
  /**
   * What was wrong with the message.
   */
  message: string
  /**
   * ISO 8601 UTC time of the event.
   */
  timestamp: string
  /**
   * Message type.
   */
  type: 'error'
}
