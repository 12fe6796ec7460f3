import { describe, expect, it } from 'vitest'

import { FIRST_SEED, SEED_MAX, useSeed } from '../useSeed'

/** A random source that returns `values` in turn (each in [0, 1)). */
function sequence(...values: number[]): () => number {
  let i = 0
  return () => {
    const value = values[i % values.length]
    i += 1
    return value ?? 0
  }
}

const HALF = Math.floor(0.5 * (SEED_MAX + 1))
const QUARTER = Math.floor(0.25 * (SEED_MAX + 1))

type Step = { prompt: string; locked?: boolean; retry?: boolean; fails?: boolean; expected: number }

describe('useSeed', () => {
  it.each<{ name: string; random: () => number; steps: Step[] }>([
    {
      name: 'first generation uses the fixed first seed',
      random: sequence(0.5),
      steps: [{ prompt: 'a fox', expected: FIRST_SEED }],
    },
    {
      name: 'same prompt again draws a new seed',
      random: sequence(0.5, 0.25),
      steps: [
        { prompt: 'a fox', expected: FIRST_SEED },
        { prompt: 'a fox', expected: HALF },
        { prompt: 'a fox', expected: QUARTER },
      ],
    },
    {
      name: 'changed prompt keeps the seed',
      random: sequence(0.5),
      steps: [
        { prompt: 'a fox', expected: FIRST_SEED },
        { prompt: 'a fox', expected: HALF },
        { prompt: 'a red fox', expected: HALF },
        { prompt: 'a blue fox', expected: HALF },
      ],
    },
    {
      name: 'locked seed is reused for the same prompt',
      random: sequence(0.5),
      steps: [
        { prompt: 'a fox', expected: FIRST_SEED },
        { prompt: 'a fox', locked: true, expected: FIRST_SEED },
        { prompt: 'a fox', locked: true, expected: FIRST_SEED },
        { prompt: 'a fox', locked: false, expected: HALF },
      ],
    },
    {
      name: 'retry draws a new seed even when locked, and the lock keeps the new one',
      random: sequence(0.25),
      steps: [
        { prompt: 'a fox', locked: true, expected: FIRST_SEED },
        { prompt: 'a fox', locked: true, retry: true, expected: QUARTER },
        { prompt: 'a fox', locked: true, expected: QUARTER },
      ],
    },
    {
      name: 'a failed generation does not count: the same prompt keeps its seed',
      random: sequence(0.5),
      steps: [
        { prompt: 'a fox', fails: true, expected: FIRST_SEED },
        { prompt: 'a fox', expected: FIRST_SEED },
        { prompt: 'a fox', expected: HALF },
      ],
    },
    {
      name: 'a new seed always differs from the current one',
      random: sequence(FIRST_SEED / (SEED_MAX + 1)),
      steps: [
        { prompt: 'a fox', expected: FIRST_SEED },
        { prompt: 'a fox', expected: FIRST_SEED + 1 },
      ],
    },
    {
      name: 'seeds stay within 0..SEED_MAX',
      random: sequence(0.9999999999),
      steps: [
        { prompt: 'a fox', expected: FIRST_SEED },
        { prompt: 'a fox', expected: SEED_MAX },
      ],
    },
  ])('$name', ({ random, steps }) => {
    const seed = useSeed(random)
    for (const step of steps) {
      if (step.locked !== undefined) seed.locked.value = step.locked
      const used = step.retry ? seed.fresh() : seed.next(step.prompt)
      expect(used, JSON.stringify(step)).toBe(step.expected)
      if (!step.fails) seed.remember(step.prompt, used)
      expect(seed.seed.value).toBe(step.fails ? FIRST_SEED : used)
    }
  })

  it('uses Math.random by default and returns integers', () => {
    const seed = useSeed()
    seed.remember('x', seed.next('x'))
    const drawn = seed.next('x')
    expect(Number.isInteger(drawn)).toBe(true)
    expect(drawn).toBeGreaterThanOrEqual(0)
    expect(drawn).toBeLessThanOrEqual(SEED_MAX)
    expect(drawn).not.toBe(FIRST_SEED)
  })
})
