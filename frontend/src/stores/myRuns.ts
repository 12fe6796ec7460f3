/**
 * "Meine Bilder": the runs this browser made, newest first, kept in localStorage (no login: knowing
 * a run's unguessable id is what lets a browser list it, GET /api/runs?ids=...).
 */
import { ref } from 'vue'

import { MAX_LISTED_IDS } from '@/api/runs'

/** localStorage key of the list. */
export const MY_RUNS_KEY = 'devserver.myRuns'

/** One remembered run: its id, the studio mode it was made in, when (ms since epoch). */
export interface MyRun {
  runId: string
  mode: 'text' | 'image'
  at: number
}

function isMyRun(value: unknown): value is MyRun {
  if (typeof value !== 'object' || value === null) return false
  const entry = value as Partial<MyRun>
  return (
    typeof entry.runId === 'string' && (entry.mode === 'text' || entry.mode === 'image') && typeof entry.at === 'number'
  )
}

function read(storage: Pick<Storage, 'getItem'>): MyRun[] {
  try {
    const parsed: unknown = JSON.parse(storage.getItem(MY_RUNS_KEY) ?? '[]')
    return Array.isArray(parsed) ? parsed.filter(isMyRun) : []
  } catch {
    return []
  }
}

/**
 * The remembered runs (at most MAX_LISTED_IDS, what one list request may name; older ones drop out).
 *
 * @param storage localStorage in the studio; a fake in tests.
 */
export function createMyRuns(storage: Pick<Storage, 'getItem' | 'setItem'>) {
  const runs = ref<MyRun[]>(read(storage))

  function save(next: MyRun[]): void {
    runs.value = next.slice(0, MAX_LISTED_IDS)
    storage.setItem(MY_RUNS_KEY, JSON.stringify(runs.value))
  }

  /** Remember a run (moved to the front if already known). */
  function add(runId: string, mode: MyRun['mode'], at: number = Date.now()): void {
    save([{ runId, mode, at }, ...runs.value.filter((entry) => entry.runId !== runId)])
  }

  /** Forget runs the server no longer has (the list's `missing`). */
  function forget(runIds: readonly string[]): void {
    if (runIds.length === 0) return
    const gone = new Set(runIds)
    save(runs.value.filter((entry) => !gone.has(entry.runId)))
  }

  /** Whether this browser made the run. */
  function has(runId: string): boolean {
    return runs.value.some((entry) => entry.runId === runId)
  }

  return { runs, add, forget, has }
}

let shared: ReturnType<typeof createMyRuns> | null = null

/** The studio's list (one per page, over localStorage). */
export function useMyRuns(): ReturnType<typeof createMyRuns> {
  shared ??= createMyRuns(localStorage)
  return shared
}
