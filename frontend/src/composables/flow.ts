/** Shared vocabulary of the studio's flow (usePipelineFlow) and its runs (useRun). */
import { ApiError, BlockedError } from '@/api/client'
import type { BlockedResponse, ErrorEvent, SafetyStage, Stages } from '@/api/types'

/** The pipeline's stages, as numbered in DESIGN.md. */
export type StageNumber = 1 | 2 | 3 | 4

/** A safety stage stopped the run (i18n/serverText `blockedText` words it for learners). */
export interface BlockedProblem {
  kind: 'blocked'
  /** 1 (the idea and rules), 3 (the final prompt) or 4 (the output image check). */
  stage: 1 | 3 | 4
  /** The server's sentence (English, for teachers). */
  reason: string
  foundTerms: string[]
  /** The blocking stage's report (its level and checks); null when the server sent none. */
  report: SafetyStage | null
}

/** A request or run failed (i18n/serverText `errorText` words it for learners). */
export interface ErrorProblem {
  kind: 'error'
  /** The server's snake_case code, or the studio's own (`network_error`, `unexpected`). */
  code: string
  /** The server's sentence (English, for teachers). */
  message: string
  /** The server's extra facts (offending field, limit, ...). */
  details: Record<string, unknown>
  /** HTTP status (0: no answer); absent for a queued run's `error` event. */
  httpStatus?: number
  /** Seconds the server asks to wait (429), or null. */
  retryAfterS?: number | null
}

/** What stopped a step: a safety block or an error. */
export type FlowProblem = BlockedProblem | ErrorProblem

/** Turn what a pipeline call threw into a FlowProblem (see {@link errorOf} for everything but a block). */
export function toFlowProblem(cause: unknown): FlowProblem {
  if (cause instanceof BlockedError) {
    return blockedProblem({ stage: cause.stage, reason: cause.reason, found_terms: cause.foundTerms }, cause.stages)
  }
  return errorOf(cause)
}

/** An ApiError's code, message and details; any other throwable becomes code `unexpected`. */
export function errorOf(cause: unknown): ErrorProblem {
  if (cause instanceof ApiError) {
    return {
      kind: 'error',
      code: cause.code,
      message: cause.message,
      details: cause.details,
      httpStatus: cause.httpStatus,
      retryAfterS: cause.retryAfterS,
    }
  }
  const message = cause instanceof Error ? cause.message : String(cause)
  return { kind: 'error', code: 'unexpected', message, details: {} }
}

/**
 * The problem of a block (a BlockedError's fields, or the `blocked` event or status of a queued run).
 *
 * @param stages the reports of the run, with the blocking stage's (stage1, stage3's safety, or stage4).
 */
export function blockedProblem(
  block: Pick<BlockedResponse, 'reason' | 'found_terms'> & { stage: number },
  stages: Stages,
): BlockedProblem {
  const stage = (block.stage === 1 || block.stage === 3 ? block.stage : 4) as 1 | 3 | 4
  const report =
    (stage === 1 ? stages.stage1 : stage === 3 ? stages.stage3?.safety : stages.stage4?.output_check) ?? null
  return { kind: 'blocked', stage, reason: block.reason, foundTerms: block.found_terms ?? [], report }
}

/** The problem of a queued run that ended in error (the `error` of its event or status). */
export function errorProblem(error: ErrorEvent['error']): ErrorProblem {
  return { kind: 'error', code: error.code, message: error.message, details: error.details ?? {} }
}

/** The request field an error names (`details.errors[0].field` of pydantic, or `details.field`), or null. */
export function problemField(problem: FlowProblem | null): string | null {
  if (problem?.kind !== 'error') return null
  const { details } = problem
  const first = Array.isArray(details.errors) ? (details.errors[0] as unknown) : undefined
  const field =
    typeof first === 'object' && first !== null && typeof (first as { field?: unknown }).field === 'string'
      ? (first as { field: string }).field
      : details.field
  return typeof field === 'string' ? field : null
}

/**
 * How far a stage is, as its card shows it: `stale` = done, but made from texts or settings that
 * have changed since (the next run redoes it); `halted` = not run because an earlier stage stopped;
 * `failed` = it ran into an error.
 */
export type StageStatus = 'waiting' | 'running' | 'done' | 'stale' | 'blocked' | 'failed' | 'halted' | 'skipped'

/** What the progress display shows while something runs (StageProgress's props). */
export interface ProgressView {
  /** The stage running now (while queued: the first stage the run will start). */
  stage: StageNumber
  /** Diffusion steps done and in total (stage 4 of a queued run); absent: the bar is indeterminate. */
  step?: number
  totalSteps?: number
  /** Place in the queue (1 = next) while the run waits; null or absent once it runs. */
  position?: number | null
  /** While waiting: rough seconds until the run starts; null when unknown. */
  waitS?: number | null
  /** A queued run that can be canceled (synchronous steps cannot). */
  cancelable?: boolean
  /** A cancel was sent; the run ends at its next step. */
  canceling?: boolean
  /** Stage 4 before its first step while the model is still loading: rough seconds until it is ready. */
  modelWaitS?: number | null
  /** The steps the learner set, when they differ from `totalSteps` (shown with the reason). */
  requestedSteps?: number
  /** img2img strength, to explain why fewer steps run than set. */
  strength?: number | null
}

/** What the live region says about a running request; see {@link milestone}. */
export interface Milestone {
  stage: StageNumber
  /** Place in the queue while waiting, else null. */
  position: number | null
  /** Diffusion progress in whole quarters (25, 50, 75, 100), null below the first quarter. */
  percent: number | null
}

/**
 * The part of `progress` worth announcing: it changes with the stage, the queue place and each
 * quarter of the diffusion steps, not with every step (a screen reader would read every change).
 */
export function milestone(progress: ProgressView): Milestone {
  const { stage, step, totalSteps } = progress
  const quarters = step !== undefined && totalSteps ? Math.floor((4 * step) / totalSteps) : 0
  return { stage, position: progress.position ?? null, percent: quarters > 0 ? Math.min(quarters, 4) * 25 : null }
}

/**
 * Why the diffusion runs a different number of steps than set ("Schritt k von N"), or null when N
 * is the setting: img2img denoises only `int(steps * strength)` steps (diffusers' `get_timesteps`:
 * the rest of the noise schedule is skipped because the photo is the start); PNDM, SD 1.5's own
 * scheduler, runs one timestep more than set; second-order schedulers count each model call.
 */
export function stepsReason(
  requested: number,
  total: number,
  strength: number | null | undefined,
): 'strength' | 'strengthExtra' | 'extra' | 'other' | null {
  if (total === requested) return null
  const img2img = strength !== null && strength !== undefined
  const denoised = img2img ? Math.floor(requested * strength) : requested
  if (img2img && total === denoised) return 'strength'
  if (img2img && total === denoised + 1) return 'strengthExtra'
  if (total === requested + 1) return 'extra'
  return 'other'
}
