import type { ConfigSummary, Language, RunSummary } from '@/api/types'

/** The perspective's name of a run in the current language (the catalogue's), else as the run recorded it. */
export function perspectiveOf(
  run: Pick<RunSummary, 'config' | 'config_name'>,
  configs: readonly ConfigSummary[],
  language: Language,
): string {
  const config = configs.find((entry) => entry.id === run.config)
  return config?.name[language] ?? run.config_name ?? run.config ?? ''
}

/** A run's creation time for learners ("29.11.2026, 16:42"). */
export function runDate(run: Pick<RunSummary, 'created_at'>, language: Language): string {
  return new Intl.DateTimeFormat(language, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(run.created_at))
}
