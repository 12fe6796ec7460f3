import { describe, expect, it } from 'vitest'

import { ApiError, BlockedError } from '@/api/client'
import type { Stages } from '@/api/types'

import { blockedProblem, errorOf, milestone, toFlowProblem, type FlowProblem, type ProgressView } from '../flow'
import { blockedBody, blockedProblemAt, blockedReport, blockedStages } from './fixtures'

describe('milestone', () => {
  it.each([
    { id: 'queued', progress: { stage: 3, position: 2 }, expected: { stage: 3, position: 2, percent: null } },
    { id: 'stage_started', progress: { stage: 4 }, expected: { stage: 4, position: null, percent: null } },
    {
      id: 'below_a_quarter',
      progress: { stage: 4, step: 2, totalSteps: 10 },
      expected: { stage: 4, position: null, percent: null },
    },
    {
      id: 'a_quarter',
      progress: { stage: 4, step: 3, totalSteps: 12 },
      expected: { stage: 4, position: null, percent: 25 },
    },
    {
      id: 'just_below_half',
      progress: { stage: 4, step: 49, totalSteps: 100 },
      expected: { stage: 4, position: null, percent: 25 },
    },
    {
      id: 'half',
      progress: { stage: 4, step: 5, totalSteps: 10 },
      expected: { stage: 4, position: null, percent: 50 },
    },
    {
      id: 'all',
      progress: { stage: 4, step: 10, totalSteps: 10 },
      expected: { stage: 4, position: null, percent: 100 },
    },
    {
      id: 'running_has_no_place',
      progress: { stage: 4, step: 1, totalSteps: 2, position: null, cancelable: true, canceling: true },
      expected: { stage: 4, position: null, percent: 50 },
    },
  ] satisfies { id: string; progress: ProgressView; expected: unknown }[])('$id', ({ progress, expected }) => {
    expect(milestone(progress)).toEqual(expected)
  })

  it('changes five times in a 50-step generation, not at every step', () => {
    const seen = Array.from({ length: 51 }, (_, step) => JSON.stringify(milestone({ stage: 4, step, totalSteps: 50 })))
    const changes = seen.filter((value, index) => index === 0 || value !== seen[index - 1])
    expect(changes.map((value) => JSON.parse(value).percent)).toEqual([null, 25, 50, 75, 100])
  })
})

describe('blockedProblem', () => {
  const BLOCK = { reason: 'gore is not allowed', found_terms: ['gore'] }

  it.each([
    { id: 'stage1_report', stage: 1, stages: blockedStages(1), report: blockedReport() },
    { id: 'stage3_safety_report', stage: 3, stages: blockedStages(3), report: blockedReport() },
    { id: 'stage3_without_its_report', stage: 3, stages: blockedStages(1), report: null },
    { id: 'no_reports', stage: 1, stages: {}, report: null },
  ] satisfies { id: string; stage: 1 | 3; stages: Stages; report: unknown }[])(
    '$id: carries the blocking stage report',
    ({ stage, stages, report }) => {
      expect(blockedProblem({ stage, ...BLOCK }, stages)).toEqual({
        kind: 'blocked',
        stage,
        reason: BLOCK.reason,
        foundTerms: BLOCK.found_terms,
        report,
      })
    },
  )
})

describe('toFlowProblem', () => {
  it.each([
    {
      id: 'blocked',
      cause: new BlockedError(blockedBody(3)),
      problem: blockedProblemAt(3),
    },
    {
      id: 'api_error_with_details',
      cause: new ApiError(413, 'upload_too_large', 'too large', { limit_bytes: 10 }),
      problem: {
        kind: 'error',
        code: 'upload_too_large',
        message: 'too large',
        details: { limit_bytes: 10 },
        httpStatus: 413,
        retryAfterS: null,
      },
    },
    {
      id: 'other_error',
      cause: new TypeError('x is undefined'),
      problem: { kind: 'error', code: 'unexpected', message: 'x is undefined', details: {} },
    },
    {
      id: 'not_an_error',
      cause: 'boom',
      problem: { kind: 'error', code: 'unexpected', message: 'boom', details: {} },
    },
  ] satisfies { id: string; cause: unknown; problem: FlowProblem }[])('$id', ({ cause, problem }) => {
    expect(toFlowProblem(cause)).toEqual(problem)
    if (problem.kind === 'error') expect(errorOf(cause)).toEqual(problem)
  })
})
