/* Generated from schemas/json/QueueResponse.schema.json by `npm run gen:types` (json-schema-to-typescript). Do not edit. */

/**
 * 200 of GET /api/queue: running runs, then queued runs in the order they will run.
 */
export interface QueueResponse {
  /**
   * Runs the server works on at the same time.
   */
  concurrency: number
  /**
   * Running runs (position 0), then queued ones by position.
   */
  jobs: QueueEntry[]
  /**
   * How many runs wait.
   */
  queued: number
  /**
   * How many runs are running.
   */
  running: number
  /**
   * Outcome of this request.
   */
  status: 'success'
}
/**
 * A run in GET /api/queue (no prompts: learners see only their own texts).
 */
export interface QueueEntry {
  /**
   * A cancel was requested while running.
   */
  cancel_requested: boolean
  /**
   * ISO 8601 UTC time queued.
   */
  created_at: string
  /**
   * execute or generation.
   */
  kind: 'execute' | 'generation'
  /**
   * 0 = running, 1.. = place in the queue (1 = next).
   */
  position: number
  /**
   * The run's id.
   */
  run_id: string
  /**
   * ISO 8601 UTC time started (running only).
   */
  started_at: string | null
  /**
   * running or queued.
   */
  status: 'queued' | 'running'
}
