/**
 * vue-i18n setup: German by default, English second; the choice persists in localStorage
 * (App.vue mirrors the current language into <html lang> and the document title).
 */
import { createI18n } from 'vue-i18n'

import type { Language } from '@/api/types'

import de from './locales/de'
import en from './locales/en'

export const LANGUAGES: readonly Language[] = ['de', 'en']
/** localStorage key of the learner's language choice. */
export const LANGUAGE_STORAGE_KEY = 'devserver.language'

function isLanguage(value: unknown): value is Language {
  return LANGUAGES.includes(value as Language)
}

/** The stored choice, else German. */
export function initialLanguage(storage: Pick<Storage, 'getItem'> = localStorage): Language {
  const stored = storage.getItem(LANGUAGE_STORAGE_KEY)
  return isLanguage(stored) ? stored : 'de'
}

export const i18n = createI18n({
  legacy: false,
  locale: initialLanguage(),
  fallbackLocale: 'de',
  messages: { de, en },
})

/** Switch the studio's language and remember the choice. */
export function setLanguage(language: Language): void {
  i18n.global.locale.value = language
  localStorage.setItem(LANGUAGE_STORAGE_KEY, language)
}

/** Byte counts for learners: "850 KB", "10 MB" (binary units, as the server's limit is set). */
export function formatBytes(bytes: number, language: Language): string {
  const format = (value: number) => new Intl.NumberFormat(language, { maximumFractionDigits: 1 }).format(value)
  if (bytes >= 1024 * 1024) return `${format(bytes / (1024 * 1024))} MB`
  if (bytes >= 1024) return `${format(bytes / 1024)} KB`
  return `${format(bytes)} B`
}
