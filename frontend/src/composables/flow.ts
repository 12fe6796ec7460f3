/** Shared vocabulary of the view state machines (useTextFlow, useImageFlow) and their runs (useRun). */
import type { Ref } from 'vue'

import { ApiError, BlockedError } from '@/api/client'
import type { BlockedResponse, ErrorEvent, MediaOutput, SafetyStage, Stages } from '@/api/types'

import type { ImageFlowState } from './useImageFlow'
import type { RunOutcome } from './useRun'
import type { SeedControl } from './useSeed'
import type { TextFlowState } from './useTextFlow'

/** A safety stage stopped the run (i18n/serverText `blockedText` words it for learners). */
export interface BlockedProblem {
  kind: 'blocked'
  /** 1 and 3: a text check; 4: the image check (stage 4b) refused the generated picture. */
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
    return { kind: 'error', code: cause.code, message: cause.message, details: cause.details }
  }
  const message = cause instanceof Error ? cause.message : String(cause)
  return { kind: 'error', code: 'unexpected', message, details: {} }
}

/**
 * The problem of a block (a BlockedError's fields, or the `blocked` event or status of a queued run).
 *
 * @param stages the reports of the run, with the blocking stage's (stage1, or stage3's safety).
 */
export function blockedProblem(
  block: Pick<BlockedResponse, 'stage' | 'reason' | 'found_terms'>,
  stages: Stages,
): BlockedProblem {
  const report =
    (block.stage === 1 ? stages.stage1 : block.stage === 3 ? stages.stage3?.safety : stages.stage4?.output_check) ??
    null
  return { kind: 'blocked', stage: block.stage, reason: block.reason, foundTerms: block.found_terms, report }
}

/** The problem of a queued run that ended in error (the `error` of its event or status). */
export function errorProblem(error: ErrorEvent['error']): ErrorProblem {
  return { kind: 'error', code: error.code, message: error.message, details: error.details ?? {} }
}

/** The pipeline's stages, as numbered in DESIGN.md. */
export type StageNumber = 1 | 2 | 3 | 4

/** How far a stage is, as a stage card shows it. */
export type StageStatus = 'waiting' | 'running' | 'done' | 'blocked' | 'skipped'

/** The blocked stage of `problem`, or null. */
export function blockedStage(problem: FlowProblem | null): 1 | 3 | 4 | null {
  return problem?.kind === 'blocked' ? problem.stage : null
}

/** What the progress display shows while a request runs (StageProgress's props). */
export interface ProgressView {
  /** The stage running now (while queued: the first stage the run will start). */
  stage: StageNumber
  /** Diffusion steps done and in total (stage 4 of a queued run); absent: the bar is indeterminate. */
  step?: number
  totalSteps?: number
  /** Place in the queue (1 = next) while the run waits; null or absent once it runs. */
  position?: number | null
  /** A queued run that can be canceled (synchronous steps cannot). */
  cancelable?: boolean
  /** A cancel was sent; the run ends at its next step. */
  canceling?: boolean
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

/** The state a flow enters when a generation run has ended. */
export type GenerationEnd = 'done' | 'canceled' | FlowProblem['kind']

/**
 * Take a generation run's outcome into a flow: on success the seed rule learns the seed the
 * server used for `prompt` and `media` shows the image; a problem goes to `problem`; a problem or
 * a cancel leaves the last image as it was.
 *
 * @returns the state the flow enters.
 */
export function settleGeneration(
  outcome: RunOutcome,
  prompt: string,
  seed: Pick<SeedControl, 'remember'>,
  target: { media: Ref<MediaOutput | null>; problem: Ref<FlowProblem | null> },
): GenerationEnd {
  switch (outcome.status) {
    case 'success':
      seed.remember(prompt, outcome.media.seed)
      target.media.value = outcome.media
      return 'done'
    case 'canceled':
      return 'canceled'
    default:
      target.problem.value = outcome.problem
      return outcome.status
  }
}

/** States both view flows share (useTextFlow's are a superset of useImageFlow's). */
export type FlowState = TextFlowState | ImageFlowState

/** What the studio layout shows of a view's flow (useTextFlow and useImageFlow both provide it). */
export interface FlowView {
  state: Readonly<Ref<FlowState>>
  problem: Readonly<Ref<FlowProblem | null>>
  media: Readonly<Ref<MediaOutput | null>>
  busy: Readonly<Ref<boolean>>
  progress: Readonly<Ref<ProgressView | null>>
  stageStatus: Readonly<Ref<Record<StageNumber, StageStatus>>>
  stages: Readonly<Ref<Stages>>
  cancel: () => Promise<void>
}
