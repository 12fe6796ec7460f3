import { useI18n } from 'vue-i18n'

import type { Language } from '@/api/types'
import type { ServerTextI18n } from '@/i18n/serverText'

/**
 * The studio's i18n as i18n/serverText's mappings take it, following the current language
 * (call the mappings inside a computed or a template, so they follow a switch).
 */
export function useServerText(): ServerTextI18n {
  const { t, locale } = useI18n()
  return {
    t,
    get language() {
      return locale.value as Language
    },
  }
}
