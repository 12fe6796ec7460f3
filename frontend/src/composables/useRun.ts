import { computed, getCurrentScope, onScopeDispose, ref, shallowRef } from 'vue'

import { ApiError } from '@/api/client'
import type { FollowRun, RunEvent } from '@/api/runs'
import type { MediaOutput, QueuedResponse, RunStatusResponse, Stages } from '@/api/types'

import {
  blockedProblem,
  errorProblem,
  toFlowProblem,
  type FlowProblem,
  type ProgressView,
  type StageNumber,
} from './flow'

/** What useRun calls (api/runs' functions; fakes in tests). */
export interface RunApi {
  getRun(runId: string): Promise<RunStatusResponse>
  cancelRun(runId: string): Promise<RunStatusResponse>
  followRun: FollowRun
}

/**
 * How a run ended, with the reports of the stages that ran and the stage that was running when it
 * ended (null when it never started: refused, or lost before its first stage).
 */
export type RunOutcome =
  | {
      status: 'success'
      media: MediaOutput
      /** Every image of a batch (media is the first). */
      mediaList: MediaOutput[]
      stages: Stages
      atStage: StageNumber | null
      runId: string
    }
  | { status: 'canceled'; stages: Stages; atStage: StageNumber | null; runId: string | null }
  | {
      status: FlowProblem['kind']
      problem: FlowProblem
      stages: Stages
      atStage: StageNumber | null
      runId: string | null
    }

/** A submitted run as a view remembers it across a page reload. */
export interface RunRecord<S> {
  runId: string
  /** The seed rule's prompt of the request (useSeed's `remember` once the image is there). */
  prompt: string
  /** What else the view needs to show the run again (JSON-serialisable). */
  snapshot: S
}

/** The studio's views; each remembers its own run, so both may have one going. */
export type RunView = 'text' | 'image'

/** sessionStorage key prefix of the remembered runs (`devserver.run.text`, `devserver.run.image`). */
export const RUN_STORAGE_PREFIX = 'devserver.run.'

/** One view's remembered run. */
export interface RunMemory<S> {
  save(record: RunRecord<S>): void
  /** The remembered run, or null (nothing stored, or something that is not a record: it is dropped). */
  load(): RunRecord<S> | null
  clear(): void
}

/**
 * The remembered run of `view` in `storage` (localStorage in the studio: it survives reloads and a
 * closed tab), as JSON under {@link RUN_STORAGE_PREFIX}.
 *
 * @param isSnapshot checks the stored snapshot's shape.
 */
export function createRunMemory<S>(
  storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>,
  view: RunView,
  isSnapshot: (value: unknown) => value is S,
): RunMemory<S> {
  const key = RUN_STORAGE_PREFIX + view
  const isRecord = (value: unknown): value is RunRecord<S> => {
    if (typeof value !== 'object' || value === null) return false
    const record = value as Partial<RunRecord<unknown>>
    return typeof record.runId === 'string' && typeof record.prompt === 'string' && isSnapshot(record.snapshot)
  }
  return {
    save: (record) => storage.setItem(key, JSON.stringify(record)),
    load: () => {
      const stored = storage.getItem(key)
      if (stored === null) return null
      try {
        const record: unknown = JSON.parse(stored)
        if (isRecord(record)) return record
      } catch {
        // not JSON: dropped below
      }
      storage.removeItem(key)
      return null
    },
    clear: () => storage.removeItem(key),
  }
}

/** The stage after the last one with a report (the one running when a finished run ended), or null. */
function lastStage(stages: Stages): StageNumber | null {
  for (const n of [4, 3, 2, 1] as const) if (stages[`stage${n}`]) return n === 4 ? 4 : ((n + 1) as StageNumber)
  return null
}

/** Where a submitted run is: waiting in the queue or running; `idle` when none is followed. */
export type RunPhase = 'idle' | 'queued' | 'running'

const LOST: FlowProblem = {
  kind: 'error',
  code: 'network_error',
  message: 'The connection to the run was lost.',
  details: {},
}

/**
 * Queued runs (the job queue of issue 4): submit one, follow its events to the end, cancel it,
 * and pick it up again after a page reload.
 *
 * A submitted run is remembered (`memory`) until it ends, so a reloaded view can `recall()` it:
 * the run's status decides whether to follow it (its stream replays the history first) or to take
 * its result at once. When the connection is lost for good, the memory stays (a reload finds the
 * run again). Closing the view (its effect scope) closes the stream; the memory stays.
 *
 * @param api the run endpoints.
 * @param memory where the view remembers its run.
 * @param firstStage the stage the runs start with (shown while they wait): 1 for /execute, 3 for /generation.
 */
export function useRun<S>(api: RunApi, memory: RunMemory<S>, firstStage: StageNumber) {
  const runId = ref<string | null>(null)
  const phase = ref<RunPhase>('idle')
  /** Place in the queue while waiting (1 = next). */
  const position = ref<number | null>(null)
  /** The stage running now (from `stage_start`). */
  const stage = ref<StageNumber | null>(null)
  /** The latest diffusion step of the running stage; never goes back. */
  const steps = shallowRef<{ step: number; totalSteps: number } | null>(null)
  /** Reports of the stages that completed, live while the run goes and final after it. */
  const stages = shallowRef<Stages>({})
  const canceling = ref(false)
  let stop: (() => void) | null = null

  const active = computed(() => phase.value !== 'idle')
  const progress = computed<ProgressView | null>(() =>
    phase.value === 'idle'
      ? null
      : {
          stage: stage.value ?? firstStage,
          ...(steps.value === null ? {} : { step: steps.value.step, totalSteps: steps.value.totalSteps }),
          position: phase.value === 'queued' ? position.value : null,
          cancelable: runId.value !== null,
          canceling: canceling.value,
        },
  )

  /** Set every piece of run state: `reports` are the stages to show. */
  function reset(id: string | null, next: RunPhase, reports: Stages): void {
    stop = null
    runId.value = id
    phase.value = next
    position.value = null
    stage.value = null
    steps.value = null
    stages.value = reports
    canceling.value = false
  }

  /** Start following a run (`id` once known), leaving any previous stream. */
  function begin(id: string | null): void {
    stop?.()
    reset(id, 'queued', {})
  }

  /** Leave the run; `final`: it has ended on the server (forget it), else it may still go (remember it). */
  function end(outcome: RunOutcome, final: boolean): RunOutcome {
    if (final) memory.clear()
    reset(null, 'idle', outcome.stages)
    return outcome
  }

  function problemOutcome(problem: FlowProblem, reports: Stages): RunOutcome {
    return { status: problem.kind, problem, stages: reports, atStage: stage.value, runId: runId.value }
  }

  /** Take in one event; returns the outcome when it was the terminal one. */
  function apply(event: RunEvent): RunOutcome | null {
    switch (event.type) {
      case 'queued':
        position.value ??= event.data.position
        return null
      case 'started':
        phase.value = 'running'
        return null
      case 'stage_start':
        phase.value = 'running'
        stage.value = event.data.stage as StageNumber
        steps.value = null
        return null
      case 'progress': {
        const { step, total_steps: totalSteps } = event.data
        if (steps.value === null || step > steps.value.step) steps.value = { step, totalSteps }
        return null
      }
      case 'stage_complete':
        stages.value = { ...stages.value, [`stage${event.data.stage}`]: event.data.report }
        return null
      case 'complete':
        return {
          status: 'success',
          media: event.data.media_output,
          mediaList: event.data.media_outputs?.length ? event.data.media_outputs : [event.data.media_output],
          stages: stages.value,
          atStage: stage.value,
          runId: event.data.media_output.run_id,
        }
      case 'blocked': {
        const reports = { ...stages.value, ...event.data.stages }
        return problemOutcome(blockedProblem(event.data, reports), reports)
      }
      case 'error':
        return problemOutcome(errorProblem(event.data.error), stages.value)
      case 'canceled':
        return { status: 'canceled', stages: stages.value, atStage: stage.value, runId: runId.value }
    }
  }

  /** The outcome of a finished run's status. */
  function outcomeOf(status: RunStatusResponse): RunOutcome {
    const atStage = lastStage(status.stages)
    if (status.status === 'success' && status.media_output !== null) {
      return {
        status: 'success',
        media: status.media_output,
        mediaList: [status.media_output],
        stages: status.stages,
        atStage,
        runId: status.run_id,
      }
    }
    if (status.status === 'canceled') {
      return { status: 'canceled', stages: status.stages, atStage, runId: status.run_id }
    }
    stage.value = atStage
    if (status.blocked !== null) return problemOutcome(blockedProblem(status.blocked, status.stages), status.stages)
    const error = status.error ?? { code: 'unexpected', message: `The run ended with status ${status.status}.` }
    return problemOutcome(errorProblem(error), status.stages)
  }

  /** GET the run: a finished run ends here; an active one goes on with `whileActive`. */
  async function fromStatus(
    id: string,
    whileActive: (status: RunStatusResponse) => Promise<RunOutcome>,
  ): Promise<RunOutcome> {
    let status: RunStatusResponse
    try {
      status = await api.getRun(id)
    } catch (cause) {
      // 4xx: the run is not (or no longer) there; anything else may pass.
      const gone = cause instanceof ApiError && cause.httpStatus >= 400 && cause.httpStatus < 500
      return end(problemOutcome(toFlowProblem(cause), {}), gone)
    }
    if (status.status === 'queued' || status.status === 'running') return whileActive(status)
    return end(outcomeOf(status), true)
  }

  /** Follow the run's events to the terminal one (or, when the stream is lost, ask for its status). */
  function follow(id: string): Promise<RunOutcome> {
    return new Promise((resolve) => {
      stop = api.followRun(id, {
        onEvent: (event) => {
          const outcome = apply(event)
          if (outcome !== null) resolve(end(outcome, true))
        },
        onLost: () => {
          stop = null
          resolve(fromStatus(id, async () => end(problemOutcome(LOST, stages.value), false)))
        },
      })
    })
  }

  /**
   * Queue a run with `send` (api/pipeline's submitGeneration / submitExecute), remember it with
   * `note`, and follow it to its end.
   *
   * @returns how it ended; a refused submission (e.g. 422) is an `error` outcome, nothing queued.
   */
  async function submit(send: () => Promise<QueuedResponse>, note: Omit<RunRecord<S>, 'runId'>): Promise<RunOutcome> {
    begin(null)
    let queued: QueuedResponse
    try {
      queued = await send()
    } catch (cause) {
      return end(problemOutcome(toFlowProblem(cause), {}), false)
    }
    memory.save({ runId: queued.run_id, ...note })
    runId.value = queued.run_id
    position.value = queued.position
    return follow(queued.run_id)
  }

  /**
   * The remembered run, if any, and how it ends: when it is still queued or running it is followed
   * (the state above shows it going), else its result is taken from its status.
   */
  function recall(): { record: RunRecord<S>; outcome: Promise<RunOutcome> } | null {
    const record = memory.load()
    if (record === null) return null
    begin(record.runId)
    const outcome = fromStatus(record.runId, (status) => {
      phase.value = status.status === 'running' ? 'running' : 'queued'
      position.value = status.position || null
      return follow(record.runId)
    })
    return { record, outcome }
  }

  /**
   * Ask the server to cancel the run; its stream then ends with `canceled` (or `complete` when the
   * cancel came after the last step). A refused request (409: it has just ended) or a failed one
   * changes nothing, and the learner may press again.
   */
  async function cancel(): Promise<void> {
    const id = runId.value
    if (id === null || canceling.value) return
    canceling.value = true
    try {
      await api.cancelRun(id)
    } catch {
      canceling.value = false
    }
  }

  if (getCurrentScope()) onScopeDispose(() => stop?.())

  return { runId, phase, stage, stages, progress, active, canceling, submit, recall, cancel }
}

/** A view's run control (useRun's result). */
export type RunControl<S> = ReturnType<typeof useRun<S>>
