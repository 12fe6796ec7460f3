import { describe, expect, it } from 'vitest'

import { milestone, type ProgressView } from '../flow'

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
