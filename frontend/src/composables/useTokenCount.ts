import { onScopeDispose, shallowRef, watch, type Ref } from 'vue'

import type { PromptTokensResponse } from '@/api/types'

/** Wait this long after the last keystroke before counting again, in milliseconds. */
export const TOKEN_COUNT_DEBOUNCE_MS = 250

/** What the truncation marker shows: the part the model reads and the part it ignores (split by code points). */
export interface TokenView {
  countable: boolean
  tokenCount: number | null
  maxTokens: number | null
  truncated: boolean
  /** The start of the prompt every text encoder reads. */
  read: string
  /** The end no encoder reads ('' when none). */
  ignored: string
  /** A middle part only some encoders read (SD 3's T5 reads further than its CLIPs); '' for most models. */
  partly: string
}

/**
 * Split `prompt` at the server's offsets, which count characters as Python does (code points);
 * JavaScript strings count UTF-16 units, so the split goes through `Array.from`.
 */
export function tokenView(prompt: string, counted: PromptTokensResponse): TokenView {
  const chars = Array.from(prompt)
  const readEnd = counted.read_chars ?? chars.length
  const ignoredFrom = counted.ignored_from ?? chars.length
  return {
    countable: counted.countable,
    tokenCount: counted.token_count ?? null,
    maxTokens: counted.max_tokens ?? null,
    truncated: counted.truncated ?? false,
    read: chars.slice(0, readEnd).join(''),
    partly: chars.slice(readEnd, ignoredFrom).join(''),
    ignored: chars.slice(ignoredFrom).join(''),
  }
}

/**
 * How much of `prompt` the chosen model reads, counted by the server with the model's own
 * tokenizer (POST /api/schema/prompt-tokens), again after each pause in typing. Only the latest
 * answer counts; a failed count shows nothing (the marker is a help, not a gate).
 *
 * @param count api/schema `countPromptTokens`.
 */
export function useTokenCount(
  count: (prompt: string, outputConfig: string, signal?: AbortSignal) => Promise<PromptTokensResponse>,
  prompt: Ref<string>,
  outputConfig: Ref<string | null>,
) {
  const view = shallowRef<TokenView | null>(null)
  let timer: ReturnType<typeof setTimeout> | null = null
  let controller: AbortController | null = null

  async function measure(text: string, model: string): Promise<void> {
    controller?.abort()
    const mine = new AbortController()
    controller = mine
    try {
      const counted = await count(text, model, mine.signal)
      if (controller === mine) view.value = tokenView(text, counted)
    } catch {
      if (controller === mine) view.value = null
    }
  }

  watch(
    [prompt, outputConfig],
    ([text, model]) => {
      if (timer !== null) clearTimeout(timer)
      if (model === null || text.trim() === '') {
        controller?.abort()
        view.value = null
        return
      }
      timer = setTimeout(() => void measure(text, model), TOKEN_COUNT_DEBOUNCE_MS)
    },
    { immediate: true },
  )

  onScopeDispose(() => {
    if (timer !== null) clearTimeout(timer)
    controller?.abort()
  })

  return { view }
}
