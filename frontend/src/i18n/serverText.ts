/**
 * What the server reports, said in the learner's language: the one place that turns the server's
 * structured fields into sentences from the locale messages (`server.*` in locales/de.ts).
 *
 * The server writes English (`reason`, `detail`, error `message`) for logs and teachers. Learners
 * (8-17, German by default) read sentences built from the fields sent with it: the safety level
 * and found terms of a safety stage, a text step's `status`, an error's `code` and `details`. The
 * server's own words stay available as {@link ServerText.detail}, which ServerMessage.vue folds
 * away under "Technische Details" / "Technical details".
 */
import type { FilterCheck, Language, SafetyStage, TextStep } from '@/api/types'
import type { BlockedProblem, ErrorProblem } from '@/composables/flow'
import { formatBytes } from '@/i18n'

import de from './locales/de'

/** vue-i18n's `t` as used here (a Composer's `t`, or `i18n.global.t`). */
export type Translate = (key: string, named?: Record<string, unknown>) => string

/** What the mappings need of the studio's i18n: messages, and the language for numbers. */
export interface ServerTextI18n {
  t: Translate
  language: Language
}

/** A server outcome for learners. */
export interface ServerText {
  /** The sentence learners read, from the locale messages. */
  text: string
  /** Free text the server produced for learners (the safety model's reason), quoted in a localized frame; null when none. */
  note: string | null
  /** The server's own (English) words, for teachers under "Technical details"; null when it sent none. */
  detail: string | null
}

function serverText(text: string, detail: string | null | undefined, note: string | null = null): ServerText {
  return { text, note, detail: detail?.trim() ? detail : null }
}

/** A server safety level (SafetyStage `level`). */
export type SafetyLevel = SafetyStage['level']

/** The level as stage cards name it: "Jugendliche (13-17)". */
export function levelLabel({ t }: ServerTextI18n, level: SafetyLevel): string {
  return t(`server.level.${level}`)
}

/** How an `llm_check` ended: the safety model found the text suitable, unsuitable, or gave no verdict. */
type LlmVerdict = 'suitable' | 'unsuitable' | 'undecided'

/** The verdict of an `llm_check`, from the server's `verdict` field (undecided when it has none). */
function llmVerdict(check: Pick<FilterCheck, 'verdict'>): LlmVerdict {
  if (check.verdict === 'safe') return 'suitable'
  if (check.verdict === 'unsafe') return 'unsuitable'
  return 'undecided'
}

/** "Begründung des Prüfmodells: „…“", or null when the model gave no reason. */
function reasonNote({ t }: ServerTextI18n, reason: string | undefined): string | null {
  return reason?.trim() ? t('server.check.llmReason', { reason: reason.trim() }) : null
}

/**
 * One check of a safety stage (stage 1, or 3c) as its card lists it.
 *
 * @param stage the stage the check belongs to: its level, and whether it blocked (an llm_check
 *   without a verdict blocks only when the terms passed: kids/youth fail closed).
 */
export function safetyCheckText(
  i18n: ServerTextI18n,
  check: FilterCheck,
  stage: Pick<SafetyStage, 'level' | 'status' | 'found_terms'>,
): ServerText {
  const { t } = i18n
  if (check.name === 'term_filter') {
    const level = levelLabel(i18n, stage.level)
    const terms = check.found_terms ?? []
    const text = check.passed
      ? t('server.check.termsPassed', { level })
      : t('server.check.termsFound', { level, terms: terms.join(', ') })
    return serverText(text, check.detail)
  }
  switch (llmVerdict(check)) {
    case 'suitable':
      return serverText(t('server.check.llmSuitable'), check.detail)
    case 'unsuitable':
      // The detail is the model's reason: shown to learners, not repeated as a technical detail.
      return serverText(t('server.check.llmUnsuitable'), null, reasonNote(i18n, check.detail))
    case 'undecided': {
      const closed = stage.status === 'blocked' && (stage.found_terms ?? []).length === 0
      return serverText(t(closed ? 'server.check.llmUndecidedClosed' : 'server.check.llmUndecided'), check.detail)
    }
  }
}

/**
 * A blocked run (HTTP 403 or a queued run's `blocked`): which stage stopped, why (the found terms at
 * the server's level, or the safety model's verdict), and what to do now; `detail` is the server's reason.
 */
export function blockedText(i18n: ServerTextI18n, block: Omit<BlockedProblem, 'kind'>): ServerText {
  const { t } = i18n
  const { stage, report } = block
  let why: string
  let note: string | null = null
  if (stage === 4) {
    why = t('server.blocked.image')
  } else if (block.foundTerms.length > 0) {
    const terms = block.foundTerms.join(', ')
    why =
      report === null
        ? t('server.blocked.termsHere', { terms })
        : t(`server.blocked.terms${stage}`, { level: t(`server.levelName.${report.level}`), terms })
  } else {
    const llm = report?.checks.find((check) => check.name === 'llm_check')
    const verdict = llm === undefined ? null : llmVerdict(llm)
    if (verdict === 'unsuitable') note = reasonNote(i18n, llm?.detail)
    why = t(`server.blocked.${verdict ?? 'other'}`)
  }
  const text = t('server.blocked.stopped', { stage, why, hint: t(`server.blocked.hint${stage}`) })
  return serverText(text, block.reason, note)
}

/** The text steps a stage card reports: stage 2's interception, stage 3's optimization (3a) and translation (3b). */
export type TextStepName = keyof typeof de.server.step

/**
 * What a text step did, when there is something to say (`server.step.<step>.<status>`): skipped or
 * taken from the learner's edit; a translation skipped with a backend named was skipped because no
 * LLM is configured (the prompt stays in the learner's language), without one because it is English.
 *
 * @returns null when the step just ran (`done`, except a translation).
 */
export function textStepText(
  { t }: ServerTextI18n,
  step: TextStepName,
  report: Pick<TextStep, 'status' | 'backend' | 'detail'>,
): ServerText | null {
  const noLlm = step === 'translation' && report.status === 'skipped' && report.backend != null
  const key = noLlm ? 'skippedNoLlm' : report.status
  if (!Object.hasOwn(de.server.step[step], key)) return null
  return serverText(t(`server.step.${step}.${key}`), report.detail)
}

/** An output config that cannot be used (`available: false`); `reason` is the server's, naming what is missing. */
export function unavailableModelText({ t }: ServerTextI18n, reason: string | null): ServerText {
  return serverText(t('server.notInstalled'), reason)
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** A request field the messages name (`server.field`). */
type FieldName = keyof typeof de.server.field

/**
 * The field a 422 names, as the learner knows it: `details.errors[0].field` (pydantic's path, e.g.
 * "parameters.width") or `details.field` (the server's own checks); its last named part counts.
 */
function invalidField({ t }: ServerTextI18n, details: Record<string, unknown>): string | null {
  const first = Array.isArray(details.errors) ? details.errors[0] : undefined
  const path = isRecord(first) && typeof first.field === 'string' ? first.field : details.field
  if (typeof path !== 'string') return null
  const name = path
    .split('.')
    .filter((part) => !/^\d+$/.test(part))
    .pop()
  return name !== undefined && Object.hasOwn(de.server.field, name) ? t(`server.field.${name as FieldName}`) : null
}

/** The named values of `server.errorWith.<code>`, or null when `details` lacks what the sentence needs. */
function errorValues(
  i18n: ServerTextI18n,
  code: string,
  details: Record<string, unknown>,
): Record<string, unknown> | null {
  const { language } = i18n
  switch (code) {
    case 'validation_error': {
      const field = invalidField(i18n, details)
      return field === null ? null : { field }
    }
    case 'upload_too_large':
      return typeof details.limit_bytes === 'number' ? { max: formatBytes(details.limit_bytes, language) } : null
    case 'image_too_large': {
      const { width, height, limit_pixels: limit } = details
      if (typeof width !== 'number' || typeof height !== 'number' || typeof limit !== 'number') return null
      return { width, height, limit: new Intl.NumberFormat(language).format(limit) }
    }
    case 'unsupported_media_type':
      return typeof details.detected_format === 'string' ? { format: details.detected_format } : null
    default:
      return null
  }
}

/**
 * An error (ApiError, a queued run's `error` event, a failed upload) by its `code`, with what
 * `details` tells (the field of a 422, the upload limit, the pixel count, the detected format).
 * Codes without a sentence of their own (`unexpected`, `http_502`, ...) get a general one;
 * the server's message is always the detail.
 */
export function errorText(i18n: ServerTextI18n, error: Omit<ErrorProblem, 'kind'>): ServerText {
  const { t } = i18n
  const { code, details } = error
  const values = errorValues(i18n, code, details)
  let text: string
  if (values !== null) text = t(`server.errorWith.${code}`, values)
  else if (Object.hasOwn(de.server.error, code)) text = t(`server.error.${code}`)
  else text = t('server.otherError')
  return serverText(text, error.message)
}
