/** Shared vocabulary of the view state machines (useTextFlow, useImageFlow). */
import { ApiError, BlockedError } from '@/api/client'

/** What stopped a step: a safety block (with its reason) or an error (code + server sentence). */
export type FlowProblem =
  | { kind: 'blocked'; stage: 1 | 3; reason: string; foundTerms: string[] }
  | { kind: 'error'; code: string; message: string }

/** Turn what a pipeline call threw into a FlowProblem (unknown throwables become `unexpected`). */
export function toFlowProblem(cause: unknown): FlowProblem {
  if (cause instanceof BlockedError) {
    return { kind: 'blocked', stage: cause.stage, reason: cause.reason, foundTerms: cause.foundTerms }
  }
  if (cause instanceof ApiError) return { kind: 'error', code: cause.code, message: cause.message }
  return { kind: 'error', code: 'unexpected', message: cause instanceof Error ? cause.message : String(cause) }
}

/** The pipeline's stages, as numbered in DESIGN.md. */
export type StageNumber = 1 | 2 | 3 | 4

/** How far a stage is, as a stage card shows it. */
export type StageStatus = 'waiting' | 'running' | 'done' | 'blocked' | 'skipped'

/** The blocked stage of `problem`, or null. */
export function blockedStage(problem: FlowProblem | null): 1 | 3 | null {
  return problem?.kind === 'blocked' ? problem.stage : null
}
