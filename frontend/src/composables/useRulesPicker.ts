import { computed, ref, shallowRef, watch, type Ref } from 'vue'

import type { ConfigDetail, ConfigDetailResponse, Language } from '@/api/types'

import { toFlowProblem, type FlowProblem } from './flow'

/** The interception config whose rules the learner writes (its context is empty). */
export const USER_DEFINED = 'user_defined'

/** What a card click replaced, so the learner can take it back. */
export interface RulesUndo {
  selectedId: string | null
  picked: ConfigDetail | null
  rules: string
}

/**
 * The rules box (HOW) and the perspective (config) it came from.
 *
 * Picking a config loads it (GET /api/schema/configs/<id>) and puts its `summary` (the rules in
 * words a 12-year-old reads) into `rules` in the current language; the learner may then edit them.
 * While the rules are the picked config's summary, requests send no `context_prompt` and the
 * server uses the config's full `context`; once edited (or written without a config) they are the
 * learner's own rules and are sent. A language switch swaps an unedited summary for the other
 * language's. Picking a card over rules the learner wrote keeps what they wrote in `undo`, so
 * `undoPick()` brings them back.
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
  /** The rules a card click replaced (null: nothing to undo). */
  const undo = shallowRef<RulesUndo | null>(null)
  let attempt = 0

  /** The config id a request names: the picked one, else `user_defined`. */
  const schemaId = computed(() => selectedId.value ?? USER_DEFINED)
  /** The picked config's learner summary in the current language ('' for none). */
  const summary = computed(() => picked.value?.summary[language.value] ?? '')
  /** The rules are the learner's own: edited, or written without a config. */
  const own = computed(() => rules.value.trim() !== '' && (picked.value === null || rules.value !== summary.value))
  /** The learner's own rules (`context_prompt`), or undefined while they are the picked config's. */
  const contextPrompt = computed(() => (own.value ? rules.value : undefined))

  async function load(id: string, keepRules: string | null): Promise<void> {
    const current = ++attempt
    selectedId.value = id
    picked.value = null
    loading.value = true
    problem.value = null
    try {
      const { config } = await getConfig(id)
      if (current !== attempt) return
      picked.value = config
      rules.value = keepRules ?? config.summary[language.value]
    } catch (cause) {
      if (current !== attempt) return
      problem.value = toFlowProblem(cause)
    } finally {
      if (current === attempt) loading.value = false
    }
  }

  /** A card click: take the config's rules; rules the learner wrote are kept in `undo`. */
  async function pick(id: string): Promise<void> {
    undo.value = own.value ? { selectedId: selectedId.value, picked: picked.value, rules: rules.value } : null
    await load(id, null)
  }

  /** Bring back the rules (and perspective) a card click replaced. */
  function undoPick(): void {
    const previous = undo.value
    if (previous === null) return
    attempt++
    loading.value = false
    selectedId.value = previous.selectedId
    picked.value = previous.picked
    rules.value = previous.rules
    undo.value = null
  }

  /**
   * Set perspective and rules as a run had them (reload, "Weiterarbeiten").
   *
   * @param rulesSource `learner`: `ruleText` are the learner's own; `config` (or null): the config's summary.
   */
  async function restore(id: string | null, ruleText: string | null, rulesSource: string | null): Promise<void> {
    undo.value = null
    if (id === null || id === USER_DEFINED) {
      attempt++
      selectedId.value = id
      picked.value = null
      rules.value = ruleText ?? ''
      if (id !== null) await load(id, ruleText ?? '')
      return
    }
    await load(id, rulesSource === 'learner' ? (ruleText ?? '') : null)
  }

  // Typing after a card click means the learner has moved on: the undo offer goes away.
  watch(rules, (next) => {
    if (undo.value !== null && !loading.value && next !== summary.value) undo.value = null
  })

  watch(language, (next, previous) => {
    const text = picked.value?.summary
    if (text !== undefined && rules.value === text[previous]) rules.value = text[next]
  })

  return {
    selectedId,
    picked,
    rules,
    loading,
    problem,
    undo,
    schemaId,
    summary,
    own,
    contextPrompt,
    pick,
    undoPick,
    restore,
  }
}

/** The rules box's state (useRulesPicker's result). */
export type RulesPicker = ReturnType<typeof useRulesPicker>
