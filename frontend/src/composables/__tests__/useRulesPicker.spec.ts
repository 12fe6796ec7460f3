import { describe, expect, it } from 'vitest'
import { nextTick, ref } from 'vue'

import { ApiError } from '@/api/client'
import type { ConfigDetailResponse, Language } from '@/api/types'

import { USER_DEFINED, useRulesPicker } from '../useRulesPicker'
import { deferred } from './fixtures'

/** A config whose learner summary is short and whose LLM context is longer (as the shipped ones). */
function detail(id: string, de: string, en: string): ConfigDetailResponse {
  return {
    status: 'success',
    config: {
      id,
      name: { de: id, en: id },
      description: { de: '', en: '' },
      category: 'art_movements',
      pipeline: 'text_transformation',
      display: { order: 10, color: '#123456', icon: '' },
      context: { de: de && `${de} Mit allen Einzelheiten für das Sprachmodell.`, en: en && `${en} In full detail.` },
      summary: { de, en },
    },
  }
}

const CONFIGS: Record<string, ConfigDetailResponse> = {
  dada: detail('dada', 'Verwandle die Idee in Dada.', 'Transform the idea into Dada.'),
  bauhaus: detail('bauhaus', 'Verwandle die Idee ins Bauhaus.', 'Transform the idea into Bauhaus.'),
  user_defined: detail('user_defined', '', ''),
}

const getConfig = (id: string) =>
  CONFIGS[id] ? Promise.resolve(CONFIGS[id]) : Promise.reject(new ApiError(404, 'config_not_found', `no config ${id}`))

describe('useRulesPicker', () => {
  it("without a pick the rules are the learner's, sent with user_defined", () => {
    const picker = useRulesPicker(getConfig, ref<Language>('de'))
    picker.rules.value = 'Alles in Grün.'
    expect(picker.schemaId.value).toBe(USER_DEFINED)
    expect(picker.contextPrompt.value).toBe('Alles in Grün.')
  })

  it.each([
    {
      id: 'picked_unchanged',
      edit: null,
      language: 'de',
      rules: 'Verwandle die Idee in Dada.',
      contextPrompt: undefined,
    },
    {
      id: 'picked_edited',
      edit: 'Dada, aber leise.',
      language: 'de',
      rules: 'Dada, aber leise.',
      contextPrompt: 'Dada, aber leise.',
    },
    {
      id: 'language_switch_follows_unchanged_rules',
      edit: null,
      language: 'en',
      rules: 'Transform the idea into Dada.',
      contextPrompt: undefined,
    },
    {
      id: 'language_switch_keeps_edited_rules',
      edit: 'Dada, aber leise.',
      language: 'en',
      rules: 'Dada, aber leise.',
      contextPrompt: 'Dada, aber leise.',
    },
  ])('$id', async ({ edit, language, rules, contextPrompt }) => {
    const lang = ref<Language>('de')
    const picker = useRulesPicker(getConfig, lang)
    await picker.pick('dada')
    if (edit !== null) picker.rules.value = edit
    lang.value = language as Language
    await nextTick()
    expect(picker.schemaId.value).toBe('dada')
    expect(picker.rules.value).toBe(rules)
    expect(picker.contextPrompt.value).toBe(contextPrompt)
  })

  it('shows the summary for learners, not the long context the LLM gets', async () => {
    const picker = useRulesPicker(getConfig, ref<Language>('de'))
    await picker.pick('dada')
    expect(picker.rules.value).toBe('Verwandle die Idee in Dada.')
    expect(picker.picked.value?.context.de).toContain('Einzelheiten')
    expect(picker.contextPrompt.value).toBeUndefined()
  })

  it('a card click over rules the learner wrote offers undo, which brings them (and the perspective) back', async () => {
    const picker = useRulesPicker(getConfig, ref<Language>('de'))
    await picker.pick('dada')
    picker.rules.value = 'Alles aus Papier, bitte.'
    await nextTick()
    await picker.pick('bauhaus')
    expect(picker.rules.value).toBe('Verwandle die Idee ins Bauhaus.')
    expect(picker.undo.value).toEqual(
      expect.objectContaining({ selectedId: 'dada', rules: 'Alles aus Papier, bitte.' }),
    )
    picker.undoPick()
    expect(picker.selectedId.value).toBe('dada')
    expect(picker.rules.value).toBe('Alles aus Papier, bitte.')
    expect(picker.contextPrompt.value).toBe('Alles aus Papier, bitte.')
    expect(picker.undo.value).toBeNull()
  })

  it('switching between unchanged perspectives offers no undo; typing after a switch drops the offer', async () => {
    const picker = useRulesPicker(getConfig, ref<Language>('de'))
    await picker.pick('dada')
    await picker.pick('bauhaus')
    expect(picker.undo.value).toBeNull()
    picker.rules.value = 'Eigene Regeln.'
    await nextTick()
    await picker.pick('dada')
    expect(picker.undo.value).not.toBeNull()
    picker.rules.value = 'Dada, etwas anders.'
    await nextTick()
    expect(picker.undo.value).toBeNull()
  })

  it.each([
    {
      id: 'config_rules',
      source: 'config',
      text: 'Full LLM context.',
      rules: 'Transform the idea into Dada.',
      own: undefined,
    },
    { id: 'learner_rules', source: 'learner', text: 'My own rules.', rules: 'My own rules.', own: 'My own rules.' },
  ])('restore: $id', async ({ source, text, rules, own }) => {
    const picker = useRulesPicker(getConfig, ref<Language>('en'))
    await picker.restore('dada', text, source)
    expect(picker.selectedId.value).toBe('dada')
    expect(picker.rules.value).toBe(rules)
    expect(picker.contextPrompt.value).toBe(own)
  })

  it('a slower earlier pick does not overwrite a later one', async () => {
    const slow = deferred<ConfigDetailResponse>()
    const picker = useRulesPicker((id) => (id === 'dada' ? slow.promise : getConfig(id)), ref<Language>('en'))
    const first = picker.pick('dada')
    await picker.pick('bauhaus')
    slow.resolve(CONFIGS.dada!)
    await first
    expect(picker.selectedId.value).toBe('bauhaus')
    expect(picker.rules.value).toBe('Transform the idea into Bauhaus.')
    expect(picker.loading.value).toBe(false)
  })

  it('a failed load reports the problem', async () => {
    const picker = useRulesPicker(getConfig, ref<Language>('en'))
    await picker.pick('nope')
    expect(picker.problem.value).toMatchObject({
      kind: 'error',
      code: 'config_not_found',
      message: 'no config nope',
      details: {},
    })
    expect(picker.loading.value).toBe(false)
  })
})
