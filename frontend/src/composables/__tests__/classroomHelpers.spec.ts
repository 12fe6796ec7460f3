import { describe, expect, it, vi } from 'vitest'
import { effectScope, nextTick, ref } from 'vue'

import { retryAfterSeconds } from '@/api/client'
import type { OutputConfigSummary, PromptTokensResponse } from '@/api/types'
import { createMyRuns, MY_RUNS_KEY } from '@/stores/myRuns'

import { downloadName, slug } from '../downloadName'
import { stepsReason } from '../flow'
import { useGenerationSettings } from '../useGenerationSettings'
import { SEED_MAX, useSeed } from '../useSeed'
import { TOKEN_COUNT_DEBOUNCE_MS, tokenView, useTokenCount } from '../useTokenCount'
import { RUN_A, RUN_B } from './fixtures'

function counted(extra: Partial<PromptTokensResponse>): PromptTokensResponse {
  return { status: 'success', output_config: 'tiny_sd', countable: true, prompt_chars: 0, encoders: [], ...extra }
}

describe('tokenView', () => {
  it('splits at the server offset, counting characters as code points (an emoji is one)', () => {
    const prompt = '🦊 fox in rain'
    const view = tokenView(
      prompt,
      counted({ truncated: true, read_chars: 6, ignored_from: 6, token_count: 90, max_tokens: 77 }),
    )
    expect(view.read).toBe('🦊 fox ')
    expect(view.ignored).toBe('in rain')
    expect(view.partly).toBe('')
  })

  it('a middle part only some encoders read (SD 3: CLIP cuts earlier than T5)', () => {
    const view = tokenView('abcdefghij', counted({ truncated: true, read_chars: 3, ignored_from: 7 }))
    expect([view.read, view.partly, view.ignored]).toEqual(['abc', 'defg', 'hij'])
  })

  it('the whole prompt is read when nothing is cut', () => {
    const view = tokenView('a fox', counted({ truncated: false, read_chars: 5, ignored_from: null }))
    expect([view.read, view.ignored]).toEqual(['a fox', ''])
  })
})

describe('useTokenCount', () => {
  it('counts after a pause in typing, only the latest text, and nothing for an empty prompt', async () => {
    vi.useFakeTimers()
    const count = vi.fn(async (prompt: string) => counted({ read_chars: prompt.length, token_count: prompt.length }))
    const prompt = ref('')
    const model = ref<string | null>('tiny_sd')
    const scope = effectScope()
    const { view } = scope.run(() => useTokenCount(count, prompt, model))!
    prompt.value = 'a'
    await nextTick()
    prompt.value = 'a fox'
    await nextTick()
    await vi.advanceTimersByTimeAsync(TOKEN_COUNT_DEBOUNCE_MS + 1)
    expect(count).toHaveBeenCalledTimes(1)
    expect(count.mock.calls[0]?.slice(0, 2)).toEqual(['a fox', 'tiny_sd'])
    expect(view.value?.tokenCount).toBe(5)
    prompt.value = ''
    await nextTick()
    expect(view.value).toBeNull()
    scope.stop()
    vi.useRealTimers()
  })
})

describe('downloadName', () => {
  it.each([
    ['Dada', 42, 'dada-42.png'],
    ['Pop Art', 7, 'pop-art-7.png'],
    ['Bilderbuch-Illustration', 1, 'bilderbuch-illustration-1.png'],
    ['Ukiyo-e (japanischer Holzschnitt)', 3, 'ukiyo-e-japanischer-holzschnitt-3.png'],
    ['Größe & Übermut', 9, 'groesse-uebermut-9.png'],
    [null, 5, 'bild-5.png'],
  ])('%s -> %s', (name, seed, expected) => {
    expect(downloadName(name, seed as number)).toBe(expected)
  })

  it('slug keeps only ASCII letters, digits and single dashes', () => {
    expect(slug('  Café -- Noir!! ')).toBe('cafe-noir')
  })
})

describe('stepsReason', () => {
  it.each([
    { requested: 12, total: 12, strength: null, reason: null },
    { requested: 12, total: 13, strength: null, reason: 'extra' },
    { requested: 12, total: 9, strength: 0.75, reason: 'strength' },
    { requested: 12, total: 10, strength: 0.75, reason: 'strengthExtra' },
    { requested: 12, total: 24, strength: null, reason: 'other' },
  ])('$requested set, $total ran, strength $strength -> $reason', ({ requested, total, strength, reason }) => {
    expect(stepsReason(requested, total, strength)).toBe(reason)
  })
})

const TINY: OutputConfigSummary = {
  id: 'tiny_sd',
  media_type: 'image',
  name: { de: 'Tiny', en: 'Tiny' },
  description: { de: '', en: '' },
  defaults: { width: 256, height: 256, steps: 12, cfg: 7.5, scheduler: null, negative_prompt: '', strength: 0.75 },
  max_side_px: 512,
  max_steps: 50,
  available: true,
  reason: null,
  estimated_duration_s: 1,
  family: 'sd',
  modes: {
    txt2img: { available: true, reason: null },
    img2img: { available: true, reason: null },
    inpaint: { available: true, reason: null },
  },
}

describe('useGenerationSettings', () => {
  it('names every setting out of range with the allowed range', () => {
    const { settings, problemsFor } = useGenerationSettings(ref(TINY))
    expect(problemsFor('txt2img')).toEqual([])
    settings.steps = 80
    settings.width = 1024
    expect(problemsFor('txt2img')).toEqual([
      { field: 'steps', min: 1, max: 50 },
      { field: 'width', min: 64, max: 512 },
    ])
    expect(problemsFor('img2img')).toEqual([{ field: 'steps', min: 1, max: 50 }])
  })

  it("resets to a newly chosen model's defaults at once, so a run's settings can be applied right after", () => {
    const model = ref<OutputConfigSummary | null>(null)
    const { settings, apply } = useGenerationSettings(model)
    model.value = TINY
    apply({ steps: 4, width: 64 })
    expect(settings).toMatchObject({ steps: 4, width: 64, height: 256 })
  })
})

describe('useSeed.set', () => {
  it("a typed seed (a classmate's) is used and locked; out-of-range values are refused", () => {
    const seed = useSeed(() => 0.3)
    expect(seed.set(4242)).toBe(true)
    expect(seed.locked.value).toBe(true)
    expect(seed.next('any prompt')).toBe(4242)
    expect(seed.set(SEED_MAX + 1)).toBe(false)
    expect(seed.set(-1)).toBe(false)
    expect(seed.seed.value).toBe(4242)
  })
})

describe('myRuns', () => {
  function storage(initial: string | null = null) {
    const data = new Map<string, string>(initial === null ? [] : [[MY_RUNS_KEY, initial]])
    return {
      getItem: (key: string) => data.get(key) ?? null,
      setItem: (key: string, value: string) => void data.set(key, value),
    }
  }

  it('keeps the newest first, once each, and forgets what the server no longer has', () => {
    const mine = createMyRuns(storage())
    mine.add(RUN_A, 'text', 1)
    mine.add(RUN_B, 'image', 2)
    mine.add(RUN_A, 'text', 3)
    expect(mine.runs.value.map((run) => run.runId)).toEqual([RUN_A, RUN_B])
    mine.forget([RUN_B])
    expect(mine.runs.value.map((run) => run.runId)).toEqual([RUN_A])
  })

  it('ignores what is not a list of runs', () => {
    expect(createMyRuns(storage('{"not": "a list"}')).runs.value).toEqual([])
    expect(createMyRuns(storage('[{"runId": 1}]')).runs.value).toEqual([])
  })
})

describe('retryAfterSeconds', () => {
  it.each([
    ['30', 30],
    ['0', 0],
    [null, null],
    ['', null],
    ['soon', null],
    ['Thu, 01 Jan 2026 00:01:00 GMT', 60],
  ])('%s -> %s', (header, expected) => {
    expect(retryAfterSeconds(header, Date.parse('2026-01-01T00:00:00Z'))).toBe(expected)
  })
})
