import { computed, ref, shallowRef, watch, type Ref } from 'vue'

import type { ConfigDetail, ConfigDetailResponse, Language } from '@/api/types'

import { toFlowProblem, type FlowProblem } from './flow'

/** The interception config whose rules the learner writes (its context is empty). */
export const USER_DEFINED = 'user_defined'

/**
 * The rules box (HOW) and the config it came from.
 *
 * Picking a config loads its context (GET /api/schema/configs/<id>) into `rules` in the current
 * language; the learner may then edit it. When the language changes and the rules are still the
 * picked config's text, they switch to the other language's text; edited rules stay as written.
 * Requests send the rules as `context_prompt` only when they are the learner's (edited, or
 * written without a config), so the run records where its rules came from.
 *
 * @param getConfig api/schema `getConfig`.
 * @param language the studio's current language.
 */
export function useRulesPicker(getConfig: (id: string) => Promise<ConfigDetailResponse>, language: Ref<Language>) {
  /** The picked config's id, or null while none is picked (rules written from scratch). */
  const selectedId = ref<string | null>(null)
  const picked = shallowRef<ConfigDetail | null>(null)
  const rules = ref('')
  const loading = ref(false)
  const problem = shallowRef<FlowProblem | null>(null)
  let attempt = 0

  /** The config id a request names: the picked one, else `user_defined`. */
  const schemaId = computed(() => selectedId.value ?? USER_DEFINED)
  /** The learner's own rules (`context_prompt`), or undefined while they are the picked config's. */
  const contextPrompt = computed(() => {
    const own = picked.value === null || rules.value !== picked.value.context[language.value]
    return own && rules.value.trim() !== '' ? rules.value : undefined
  })

  async function pick(id: string): Promise<void> {
    const current = ++attempt
    selectedId.value = id
    picked.value = null
    loading.value = true
    problem.value = null
    try {
      const { config } = await getConfig(id)
      if (current !== attempt) return
      picked.value = config
      rules.value = config.context[language.value]
    } catch (cause) {
      if (current !== attempt) return
      problem.value = toFlowProblem(cause)
    } finally {
      if (current === attempt) loading.value = false
    }
  }

  watch(language, (next, previous) => {
    const context = picked.value?.context
    if (context !== undefined && rules.value === context[previous]) rules.value = context[next]
  })

  return { selectedId, picked, rules, loading, problem, schemaId, contextPrompt, pick }
}
