import { ref } from 'vue'

/** The seed of a learner's first image (a fixed, friendly start so classes can compare results). */
export const FIRST_SEED = 123456789

/** Largest seed the server accepts (devserver.contracts.common.SEED_MAX, 32-bit like most UIs). */
export const SEED_MAX = 2 ** 32 - 1

/**
 * The studio's seed rule, in one place.
 *
 * Not locked: the first generation uses {@link FIRST_SEED}; generating again with an unchanged
 * prompt draws a new seed (the learner wants another image); a changed prompt keeps the seed, so
 * the learner sees what the words did. Locked: the current seed is reused until unlocked.
 * Retry always draws a new seed (the learner asked for one), locked or not.
 *
 * Usage: `const seed = next(prompt)` before a request; `remember(prompt, usedSeed)` after it
 * succeeded (a failed or blocked request does not count as "generated").
 *
 * @param random uniform source in [0, 1) (inject a fake in tests).
 */
export function useSeed(random: () => number = Math.random) {
  /** The current seed: the one of the last image, or the one the next image will start from. */
  const seed = ref(FIRST_SEED)
  /** When true, every generation reuses `seed`. */
  const locked = ref(false)
  let lastPrompt: string | null = null

  function draw(): number {
    const drawn = Math.floor(random() * (SEED_MAX + 1)) % (SEED_MAX + 1)
    // A "new" seed must differ from the current one, whatever the random source returns.
    return drawn === seed.value ? (drawn + 1) % (SEED_MAX + 1) : drawn
  }

  /** The seed to generate `prompt` with now, following the rule above. */
  function next(prompt: string): number {
    if (locked.value || lastPrompt === null || prompt !== lastPrompt) return seed.value
    return draw()
  }

  /** A new random seed for Retry (same prompt, new image). */
  function fresh(): number {
    return draw()
  }

  /** Record a finished generation of `prompt` with `usedSeed` (the seed the server reports). */
  function remember(prompt: string, usedSeed: number): void {
    lastPrompt = prompt
    seed.value = usedSeed
  }

  /**
   * The learner typed a seed (e.g. a classmate's, to make the same image): use it from now on,
   * locked, until they unlock it. Values outside 0..SEED_MAX are refused (returns false).
   */
  function set(value: number): boolean {
    if (!Number.isInteger(value) || value < 0 || value > SEED_MAX) return false
    seed.value = value
    locked.value = true
    return true
  }

  return { seed, locked, next, fresh, remember, set }
}

export type SeedControl = ReturnType<typeof useSeed>
