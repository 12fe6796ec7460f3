import { computed } from 'vue'
import { useI18n } from 'vue-i18n'

import type { Language } from '@/api/types'
import { setLanguage } from '@/i18n'

/** The studio's current language as a typed ref, and the switch that persists it. */
export function useLanguage() {
  const { locale } = useI18n()
  const language = computed(() => locale.value as Language)
  return { language, setLanguage }
}
