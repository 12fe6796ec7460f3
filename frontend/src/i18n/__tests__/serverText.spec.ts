import { describe, expect, it } from 'vitest'
import { createI18n } from 'vue-i18n'

import type { FilterCheck, Language, SafetyStage } from '@/api/types'
import type { BlockedProblem } from '@/composables/flow'

import { LANGUAGES } from '..'
import de from '../locales/de'
import en from '../locales/en'
import {
  blockedText,
  errorText,
  levelLabel,
  safetyCheckText,
  textStepText,
  unavailableModelText,
  type SafetyLevel,
  type ServerText,
  type ServerTextI18n,
} from '../serverText'

/** The studio's messages in `language`; a missing key fails the test instead of showing the key. */
function i18nIn(language: Language): ServerTextI18n {
  const i18n = createI18n({
    legacy: false,
    locale: language,
    messages: { de, en },
    missing: (locale, key) => {
      throw new Error(`no message ${key} in ${locale}`)
    },
  })
  return { t: i18n.global.t, language }
}

function said(text: string, detail: string | null = null, note: string | null = null): ServerText {
  return { text, note, detail }
}

/** A mapping run in both languages, with what each must say. */
interface Case {
  id: string
  run: (i18n: ServerTextI18n) => ServerText | null
  de: ServerText | null
  en: ServerText | null
}

/** Each case once per language, for `it.each`. */
function inBothLanguages(cases: Case[]) {
  return cases.flatMap(({ id, run, ...expected }) =>
    LANGUAGES.map((language) => ({ id: `${id} (${language})`, run, language, expected: expected[language] })),
  )
}

function stage(level: SafetyLevel, status: SafetyStage['status'], foundTerms: string[] = []): SafetyStage {
  return { level, status, found_terms: foundTerms, checks: [] }
}

const LISTS = '8 term lists for level youth'
type Verdict = NonNullable<FilterCheck['verdict']>
const LLM_DOWN = 'LLM safety check failed: the Ollama server at http://127.0.0.1:11434 cannot be reached'
const LLM_NONSENSE = "unparseable LLM answer: 'maybe'"

describe('levelLabel', () => {
  it.each(
    inBothLanguages(
      (
        [
          ['kids', 'Kinder (8-12)', 'Kids (8-12)'],
          ['youth', 'Jugendliche (13-17)', 'Youth (13-17)'],
          ['adult', 'Erwachsene', 'Adults'],
          ['research', 'Forschung', 'Research'],
        ] as const
      ).map(([level, deText, enText]) => ({
        id: level,
        run: (i18n: ServerTextI18n) => said(levelLabel(i18n, level)),
        de: said(deText),
        en: said(enText),
      })),
    ),
  )('$id', ({ run, language, expected }) => {
    expect(run(i18nIn(language))).toEqual(expected)
  })
})

describe('safetyCheckText', () => {
  const termFilter = (passed: boolean, terms: string[]): FilterCheck => ({
    name: 'term_filter',
    passed,
    found_terms: terms,
    detail: LISTS,
  })
  const llmCheck = (verdict: Verdict, detail: string): FilterCheck => ({
    name: 'llm_check',
    passed: verdict === 'safe',
    verdict,
    detail,
  })

  it.each(
    inBothLanguages([
      {
        id: 'term_filter_passed',
        run: (i18n) => safetyCheckText(i18n, termFilter(true, []), stage('youth', 'passed')),
        de: said('Keine verbotenen Wörter gefunden (Sicherheitsstufe Jugendliche (13-17)).', LISTS),
        en: said('No forbidden words found (safety level Youth (13-17)).', LISTS),
      },
      {
        id: 'term_filter_blocked',
        run: (i18n) =>
          safetyCheckText(i18n, termFilter(false, ['gore', 'Blut']), stage('kids', 'blocked', ['gore', 'Blut'])),
        de: said('Auf der Sicherheitsstufe Kinder (8-12) nicht erlaubt: gore, Blut', LISTS),
        en: said('Not allowed at safety level Kids (8-12): gore, Blut', LISTS),
      },
      {
        id: 'llm_suitable',
        run: (i18n) =>
          safetyCheckText(i18n, llmCheck('safe', 'LLM cleared the fuzzy filter matches'), stage('adult', 'passed')),
        de: said('Das Prüfmodell hält den Text für passend.', 'LLM cleared the fuzzy filter matches'),
        en: said('The checking model finds the text suitable.', 'LLM cleared the fuzzy filter matches'),
      },
      {
        id: 'llm_unsuitable_quotes_its_reason',
        run: (i18n) => safetyCheckText(i18n, llmCheck('unsafe', 'zu brutal für Kinder'), stage('kids', 'blocked')),
        de: said(
          'Das Prüfmodell hält den Text für nicht passend.',
          null,
          'Begründung des Prüfmodells: „zu brutal für Kinder“',
        ),
        en: said(
          'The checking model finds the text unsuitable.',
          null,
          'The checking model’s reason: “zu brutal für Kinder”',
        ),
      },
      {
        id: 'llm_unsuitable_without_reason',
        run: (i18n) => safetyCheckText(i18n, llmCheck('unsafe', ''), stage('youth', 'blocked')),
        de: said('Das Prüfmodell hält den Text für nicht passend.'),
        en: said('The checking model finds the text unsuitable.'),
      },
      {
        id: 'llm_failed_fails_closed',
        run: (i18n) => safetyCheckText(i18n, llmCheck('undecided', LLM_DOWN), stage('youth', 'blocked')),
        de: said('Das Prüfmodell konnte den Text nicht prüfen – zur Sicherheit wurde angehalten.', LLM_DOWN),
        en: said('The checking model could not check the text – the run was stopped to be safe.', LLM_DOWN),
      },
      {
        id: 'llm_unparseable_at_adult_passes',
        run: (i18n) => safetyCheckText(i18n, llmCheck('undecided', LLM_NONSENSE), stage('adult', 'passed')),
        de: said('Das Prüfmodell konnte den Text nicht prüfen.', LLM_NONSENSE),
        en: said('The checking model could not check the text.', LLM_NONSENSE),
      },
      {
        id: 'llm_failed_while_the_terms_blocked',
        run: (i18n) => safetyCheckText(i18n, llmCheck('undecided', LLM_DOWN), stage('research', 'blocked', ['gore'])),
        de: said('Das Prüfmodell konnte den Text nicht prüfen.', LLM_DOWN),
        en: said('The checking model could not check the text.', LLM_DOWN),
      },
    ]),
  )('$id', ({ run, language, expected }) => {
    expect(run(i18nIn(language))).toEqual(expected)
  })
})

describe('blockedText', () => {
  const TERMS_REASON = "Stage 1: the text contains terms that are not allowed at safety level 'youth': gore"
  const block = (stageNumber: 1 | 3 | 4, foundTerms: string[], report: SafetyStage | null): BlockedProblem => ({
    kind: 'blocked',
    stage: stageNumber,
    reason: TERMS_REASON,
    foundTerms,
    report,
  })
  const judged = (verdict: Verdict, detail: string): SafetyStage => ({
    ...stage('youth', 'blocked'),
    checks: [
      { name: 'term_filter', passed: true, found_terms: [] },
      { name: 'llm_check', passed: false, verdict, detail },
    ],
  })

  it.each(
    inBothLanguages([
      {
        id: 'image_check_at_stage4',
        run: (i18n) => blockedText(i18n, block(4, [], stage('kids', 'blocked'))),
        de: said(
          'Stufe 4 hat angehalten: Das Bild, das herauskam, passt nicht zur Sicherheitsstufe. Es wurde nicht ' +
            'gespeichert. Versuch es mit anderen Wörtern oder einem anderen Seed.',
          TERMS_REASON,
        ),
        en: said(
          'Stage 4 stopped: The picture that came out does not fit the safety level. It was not kept. Try other ' +
            'words or another seed.',
          TERMS_REASON,
        ),
      },
      {
        id: 'terms_at_stage1',
        run: (i18n) => blockedText(i18n, block(1, ['gore'], stage('youth', 'blocked', ['gore']))),
        de: said(
          'Stufe 1 hat angehalten: Diese Wörter sind auf der Sicherheitsstufe Jugendliche nicht erlaubt: gore. ' +
            'Ändere den Text, in dem das Wort steht (Idee, Regeln oder deine Texte in Stufe 2 und 3), und versuch es noch einmal.',
          TERMS_REASON,
        ),
        en: said(
          'Stage 1 stopped: These words are not allowed at safety level youth: gore. Change the text the word is in (idea, rules, or your texts in stages 2 and 3) and try again.',
          TERMS_REASON,
        ),
      },
      {
        id: 'terms_at_stage3',
        run: (i18n) => blockedText(i18n, block(3, ['gore', 'blood'], stage('kids', 'blocked', ['gore', 'blood']))),
        de: said(
          'Stufe 3 hat angehalten: Der fertige Prompt enthält Wörter, die auf der Sicherheitsstufe Kinder nicht ' +
            'erlaubt sind: gore, blood. Ändere deinen Text oder den Prompt und versuch es noch einmal.',
          TERMS_REASON,
        ),
        en: said(
          'Stage 3 stopped: The final prompt contains words that are not allowed at safety level kids: gore, blood. ' +
            'Change your text or the prompt and try again.',
          TERMS_REASON,
        ),
      },
      {
        id: 'terms_without_a_report',
        run: (i18n) => blockedText(i18n, block(1, ['gore'], null)),
        de: said(
          'Stufe 1 hat angehalten: Diese Wörter sind hier nicht erlaubt: gore. Ändere den Text, in dem das Wort steht (Idee, Regeln oder deine Texte in Stufe 2 und 3), und versuch es noch einmal.',
          TERMS_REASON,
        ),
        en: said(
          'Stage 1 stopped: These words are not allowed here: gore. Change the text the word is in (idea, rules, or your texts in stages 2 and 3) and try again.',
          TERMS_REASON,
        ),
      },
      {
        id: 'llm_verdict',
        run: (i18n) => blockedText(i18n, block(1, [], judged('unsafe', 'violent content'))),
        de: said(
          'Stufe 1 hat angehalten: Das Prüfmodell hält deinen Text für nicht passend. ' +
            'Ändere den Text, in dem das Wort steht (Idee, Regeln oder deine Texte in Stufe 2 und 3), und versuch es noch einmal.',
          TERMS_REASON,
          'Begründung des Prüfmodells: „violent content“',
        ),
        en: said(
          'Stage 1 stopped: The checking model finds your text unsuitable. Change the text the word is in (idea, rules, or your texts in stages 2 and 3) and try again.',
          TERMS_REASON,
          'The checking model’s reason: “violent content”',
        ),
      },
      {
        id: 'llm_failed_closed',
        run: (i18n) => blockedText(i18n, block(3, [], judged('undecided', LLM_DOWN))),
        de: said(
          'Stufe 3 hat angehalten: Die Sicherheitsprüfung konnte nicht abgeschlossen werden, darum wurde zur ' +
            'Sicherheit angehalten. Ändere deinen Text oder den Prompt und versuch es noch einmal.',
          TERMS_REASON,
        ),
        en: said(
          'Stage 3 stopped: The safety check could not be completed, so the run was stopped to be safe. ' +
            'Change your text or the prompt and try again.',
          TERMS_REASON,
        ),
      },
      {
        id: 'image_mode_names_rules_and_note',
        run: (i18n) => blockedText(i18n, block(1, ['gore'], stage('youth', 'blocked', ['gore'])), 'image'),
        de: said(
          'Stufe 1 hat angehalten: Diese Wörter sind auf der Sicherheitsstufe Jugendliche nicht erlaubt: gore. ' +
            'Ändere deine Regeln oder deine Notiz und versuch es noch einmal.',
          TERMS_REASON,
        ),
        en: said(
          'Stage 1 stopped: These words are not allowed at safety level youth: gore. Change your rules or your note and try again.',
          TERMS_REASON,
        ),
      },
      {
        id: 'output_image_check_at_stage4',
        run: (i18n) => blockedText(i18n, { stage: 4, reason: TERMS_REASON, foundTerms: [], report: null }),
        de: said(
          'Stufe 4 hat angehalten: Das Bild, das herauskam, passt nicht zur Sicherheitsstufe. Es wurde nicht ' +
            'gespeichert. Versuch es mit anderen Wörtern oder einem anderen Seed.',
          TERMS_REASON,
        ),
        en: said(
          'Stage 4 stopped: The picture that came out does not fit the safety level. It was not kept. Try other ' +
            'words or another seed.',
          TERMS_REASON,
        ),
      },
      {
        id: 'no_terms_no_llm_check',
        run: (i18n) => blockedText(i18n, block(1, [], null)),
        de: said(
          'Stufe 1 hat angehalten: Die Sicherheitsprüfung hat deinen Text nicht durchgelassen. ' +
            'Ändere den Text, in dem das Wort steht (Idee, Regeln oder deine Texte in Stufe 2 und 3), und versuch es noch einmal.',
          TERMS_REASON,
        ),
        en: said(
          'Stage 1 stopped: The safety check did not let your text through. Change the text the word is in (idea, rules, or your texts in stages 2 and 3) and try again.',
          TERMS_REASON,
        ),
      },
    ]),
  )('$id', ({ run, language, expected }) => {
    expect(run(i18nIn(language))).toEqual(expected)
  })
})

describe('textStepText', () => {
  it.each(
    inBothLanguages([
      {
        id: 'interception_skipped',
        run: (i18n) =>
          textStepText(i18n, 'interception', {
            status: 'skipped',
            detail: "pipeline 'image_transformation' skips stage 2: the rules go to stage 3",
          }),
        de: said(
          'Übersprungen: Hier gehen deine Regeln direkt weiter zu Stufe 3.',
          "pipeline 'image_transformation' skips stage 2: the rules go to stage 3",
        ),
        en: said(
          'Skipped: here your rules go straight on to stage 3.',
          "pipeline 'image_transformation' skips stage 2: the rules go to stage 3",
        ),
      },
      {
        id: 'interception_edited',
        run: (i18n) =>
          textStepText(i18n, 'interception', {
            status: 'edited',
            detail: "the learner's edited interception result was used",
          }),
        de: said(
          'Verwendet wurde dein Text aus Stufe 2, so wie er im Feld steht.',
          "the learner's edited interception result was used",
        ),
        en: said(
          'Your text from stage 2 was used as it stands in the box.',
          "the learner's edited interception result was used",
        ),
      },
      {
        id: 'interception_done_says_nothing',
        run: (i18n) => textStepText(i18n, 'interception', { status: 'done', backend: 'template' }),
        de: null,
        en: null,
      },
      {
        id: 'optimization_edited',
        run: (i18n) => textStepText(i18n, 'optimization', { status: 'edited', detail: 'prompt given to /generation' }),
        de: said('Verwendet wurde dein Prompt, so wie er im Feld steht.', 'prompt given to /generation'),
        en: said('Your prompt was used as it stands in the box.', 'prompt given to /generation'),
      },
      {
        id: 'optimization_done_says_nothing',
        run: (i18n) => textStepText(i18n, 'optimization', { status: 'done', backend: 'ollama' }),
        de: null,
        en: null,
      },
      {
        id: 'translation_done',
        run: (i18n) => textStepText(i18n, 'translation', { status: 'done', backend: 'ollama' }),
        de: said('Der Prompt wurde ins Englische übersetzt.'),
        en: said('The prompt was translated into English.'),
      },
      {
        id: 'translation_skipped_already_english',
        run: (i18n) =>
          textStepText(i18n, 'translation', { status: 'skipped', detail: 'the prompt is already in English' }),
        de: said('Der Prompt ist schon auf Englisch, er wird nicht übersetzt.', 'the prompt is already in English'),
        en: said('The prompt is already in English, so it is not translated.', 'the prompt is already in English'),
      },
      {
        id: 'translation_skipped_without_llm',
        run: (i18n) =>
          textStepText(i18n, 'translation', {
            status: 'skipped',
            backend: 'template',
            detail: 'no LLM configured: the prompt was not translated to English',
          }),
        de: said(
          'Es ist kein Sprachmodell eingerichtet: Der Prompt bleibt auf Deutsch und wird nicht übersetzt.',
          'no LLM configured: the prompt was not translated to English',
        ),
        en: said(
          'No language model is set up: the prompt stays in German and is not translated.',
          'no LLM configured: the prompt was not translated to English',
        ),
      },
    ]),
  )('$id', ({ run, language, expected }) => {
    expect(run(i18nIn(language))).toEqual(expected)
  })
})

describe('unavailableModelText', () => {
  const REASON = 'folder /models/stable-diffusion-v1-5 not found; not in the local Hugging Face cache'

  it.each(
    inBothLanguages([
      {
        id: 'with_reason',
        run: (i18n) => unavailableModelText(i18n, REASON),
        de: said('Nicht installiert: die Modelldateien fehlen auf diesem Computer.', REASON),
        en: said('Not installed: the model files are missing on this computer.', REASON),
      },
      {
        id: 'without_reason',
        run: (i18n) => unavailableModelText(i18n, null),
        de: said('Nicht installiert: die Modelldateien fehlen auf diesem Computer.'),
        en: said('Not installed: the model files are missing on this computer.'),
      },
    ]),
  )('$id', ({ run, language, expected }) => {
    expect(run(i18nIn(language))).toEqual(expected)
  })
})

describe('errorText', () => {
  const MESSAGE = 'the server says why, in English'
  /** The sentence of `code` with `details`; the server's message is always the detail. */
  const error = (id: string, code: string, details: Record<string, unknown>, deText: string, enText: string): Case => ({
    id,
    run: (i18n) => errorText(i18n, { code, message: MESSAGE, details }),
    de: said(deText, MESSAGE),
    en: said(enText, MESSAGE),
  })

  it.each(
    inBothLanguages([
      error(
        'validation_error',
        'validation_error',
        {},
        'Eine Eingabe passt nicht. Prüfe deine Eingaben und versuch es noch einmal.',
        'One of the inputs is not right. Check your inputs and try again.',
      ),
      error(
        'validation_error_pydantic_width',
        'validation_error',
        { errors: [{ field: 'parameters.width', message: 'width must be a multiple of 8, got 500', input: 500 }] },
        'Die Eingabe „Breite“ passt nicht. Prüfe sie und versuch es noch einmal.',
        'The input “Width” is not right. Check it and try again.',
      ),
      error(
        'validation_error_height',
        'validation_error',
        { field: 'height', value: 500 },
        'Die Eingabe „Höhe“ passt nicht. Prüfe sie und versuch es noch einmal.',
        'The input “Height” is not right. Check it and try again.',
      ),
      error(
        'validation_error_steps',
        'validation_error',
        { field: 'parameters.steps', value: 500, max: 50 },
        'Die Eingabe „Schritte“ passt nicht. Prüfe sie und versuch es noch einmal.',
        'The input “Steps” is not right. Check it and try again.',
      ),
      error(
        'validation_error_input_text',
        'validation_error',
        { field: 'input_text' },
        'Die Eingabe „Deine Idee“ passt nicht. Prüfe sie und versuch es noch einmal.',
        'The input “Your idea” is not right. Check it and try again.',
      ),
      error(
        'validation_error_context_prompt',
        'validation_error',
        { field: 'context_prompt' },
        'Die Eingabe „Regeln“ passt nicht. Prüfe sie und versuch es noch einmal.',
        'The input “Rules” is not right. Check it and try again.',
      ),
      error(
        'validation_error_list_position',
        'validation_error',
        { errors: [{ field: 'parameters.scheduler.0', message: 'bad' }] },
        'Die Eingabe „Sampler“ passt nicht. Prüfe sie und versuch es noch einmal.',
        'The input “Sampler” is not right. Check it and try again.',
      ),
      error(
        'validation_error_unknown_field',
        'validation_error',
        { field: 'Last-Event-ID' },
        'Eine Eingabe passt nicht. Prüfe deine Eingaben und versuch es noch einmal.',
        'One of the inputs is not right. Check your inputs and try again.',
      ),
      error(
        'upload_too_large',
        'upload_too_large',
        { limit_bytes: 10 * 1024 * 1024, filename: 'riesig.png' },
        'Die Datei ist zu groß: Erlaubt sind höchstens 10 MB.',
        'The file is too large: at most 10 MB is allowed.',
      ),
      error(
        'upload_too_large_without_limit',
        'upload_too_large',
        {},
        'Die Datei ist zu groß.',
        'The file is too large.',
      ),
      error(
        'upload_invalid',
        'upload_invalid',
        { accepted_formats: ['PNG', 'JPEG', 'WEBP'] },
        'Die Datei ist kein lesbares Bild: Sie ist beschädigt, unvollständig oder gar kein Bild.',
        'The file is not a readable image: it is damaged, incomplete or not an image at all.',
      ),
      error(
        'image_too_large',
        'image_too_large',
        { width: 20000, height: 20000, pixels: 400_000_000, limit_pixels: 50_000_000 },
        'Das Bild hat 20000 × 20000 Pixel, erlaubt sind höchstens 50.000.000 Pixel.',
        'The image has 20000 × 20000 pixels, at most 50,000,000 pixels are allowed.',
      ),
      error(
        'image_too_large_without_sizes',
        'image_too_large',
        {},
        'Das Bild hat zu viele Pixel, um es sicher zu öffnen.',
        'The image has too many pixels to open safely.',
      ),
      error(
        'unsupported_media_type',
        'unsupported_media_type',
        { accepted_formats: ['PNG', 'JPEG', 'WEBP'], detected_format: 'GIF' },
        'Die Datei ist ein GIF-Bild. Erlaubt sind PNG, JPEG und WebP.',
        'The file is a GIF image. PNG, JPEG and WebP are allowed.',
      ),
      error(
        'unsupported_media_type_unknown_format',
        'unsupported_media_type',
        { detected_format: null },
        'Dieses Dateiformat geht hier nicht. Erlaubt sind PNG, JPEG und WebP.',
        'This file format does not work here. PNG, JPEG and WebP are allowed.',
      ),
      error(
        'upload_not_found',
        'upload_not_found',
        {},
        'Das hochgeladene Foto ist nicht mehr da. Lade es bitte noch einmal hoch.',
        'The uploaded photo is gone. Please upload it again.',
      ),
      error(
        'run_not_found',
        'run_not_found',
        {},
        'Diesen Lauf gibt es auf dem Server nicht mehr. Fang bitte noch einmal an.',
        'This run no longer exists on the server. Please start again.',
      ),
      error(
        'config_not_found',
        'config_not_found',
        { config_id: 'nope', suggestions: [] },
        'Diese Perspektive gibt es auf dem Server nicht. Wähle bitte eine andere.',
        'This perspective does not exist on the server. Please pick another one.',
      ),
      error(
        'output_config_not_found',
        'output_config_not_found',
        {},
        'Dieses Modell gibt es auf dem Server nicht. Wähle bitte ein anderes.',
        'This model does not exist on the server. Please pick another one.',
      ),
      error(
        'output_config_unavailable',
        'output_config_unavailable',
        { output_config: 'sd15' },
        'Dieses Modell ist nicht installiert: die Modelldateien fehlen auf diesem Computer. Wähle bitte ein anderes.',
        'This model is not installed: the model files are missing on this computer. Please pick another one.',
      ),
      error(
        'llm_unavailable',
        'llm_unavailable',
        {},
        'Das Sprachmodell ist gerade nicht erreichbar. Sag bitte deiner Lehrkraft Bescheid.',
        'The language model cannot be reached right now. Please tell your teacher.',
      ),
      error(
        'llm_timeout',
        'llm_timeout',
        {},
        'Das Sprachmodell hat zu lange gebraucht. Versuch es noch einmal.',
        'The language model took too long. Try again.',
      ),
      error(
        'llm_bad_response',
        'llm_bad_response',
        {},
        'Das Sprachmodell hat eine unbrauchbare Antwort gegeben. Versuch es noch einmal.',
        'The language model gave an answer that cannot be used. Try again.',
      ),
      error(
        'generation_failed',
        'generation_failed',
        {},
        'Das Bild konnte nicht erzeugt werden. Versuch es noch einmal, vielleicht mit weniger Schritten oder kleiner.',
        'The image could not be made. Try again, maybe with fewer steps or a smaller size.',
      ),
      error(
        'canceled',
        'canceled',
        { stage: 4 },
        'Der Lauf wurde abgebrochen, es ist kein Bild entstanden.',
        'The run was canceled, no image was made.',
      ),
      error(
        'conflict',
        'conflict',
        { status: 'success' },
        'Das geht gerade nicht: Der Lauf ist schon zu Ende oder es läuft schon einer.',
        'That is not possible right now: the run has already ended or another one is running.',
      ),
      error(
        'internal_error',
        'internal_error',
        {},
        'Auf dem Server ist ein unerwarteter Fehler passiert. Versuch es noch einmal.',
        'An unexpected error happened on the server. Try again.',
      ),
      error(
        'network_error',
        'network_error',
        {},
        'Der Server antwortet gerade nicht. Frag deine Lehrkraft.',
        'The server is not answering right now. Ask your teacher.',
      ),
      error(
        'validation_error_names_the_range',
        'validation_error',
        { field: 'parameters.steps', value: 80, min: 1, max: 50 },
        '„Schritte“ passt nicht: Erlaubt sind 1 bis 50.',
        '“Steps” is not right: allowed are 1 to 50.',
      ),
      error(
        'origin_refused',
        'origin_not_allowed',
        { origin: 'http://evil.example' },
        'Diese Seite darf den Server nicht benutzen. Frag deine Lehrkraft.',
        'This page may not use the server. Ask your teacher.',
      ),
      {
        id: 'queue_full_429_with_retry_after',
        run: (i18n) =>
          errorText(i18n, { code: 'queue_full', message: MESSAGE, details: {}, httpStatus: 429, retryAfterS: 20 }),
        de: said(
          'Gerade wollen sehr viele gleichzeitig Bilder machen. Warte etwa 20 s und versuch es dann noch einmal.',
          MESSAGE,
        ),
        en: said(
          'Very many people want to make images at the same time right now. Wait about 20 s and try again.',
          MESSAGE,
        ),
      },
      {
        id: 'queue_full_429_without_retry_after',
        run: (i18n) => errorText(i18n, { code: 'too_many_requests', message: MESSAGE, details: {}, httpStatus: 429 }),
        de: said(
          'Gerade wollen sehr viele gleichzeitig Bilder machen. Warte kurz und versuch es dann noch einmal.',
          MESSAGE,
        ),
        en: said(
          'Very many people want to make images at the same time right now. Wait a moment and try again.',
          MESSAGE,
        ),
      },
      error(
        'interrupted',
        'interrupted',
        {},
        'Der Lauf wurde unterbrochen, weil der Server neu gestartet wurde. Starte ihn bitte noch einmal.',
        'The run was interrupted because the server restarted. Please start it again.',
      ),
      error(
        'unknown_code',
        'http_502',
        {},
        'Das hat nicht geklappt. Versuch es noch einmal.',
        'That did not work. Try again.',
      ),
      error(
        'unexpected',
        'unexpected',
        {},
        'Das hat nicht geklappt. Versuch es noch einmal.',
        'That did not work. Try again.',
      ),
      {
        id: 'no_message_no_detail',
        run: (i18n) => errorText(i18n, { code: 'internal_error', message: '', details: {} }),
        de: said('Auf dem Server ist ein unerwarteter Fehler passiert. Versuch es noch einmal.'),
        en: said('An unexpected error happened on the server. Try again.'),
      },
    ]),
  )('$id', ({ run, language, expected }) => {
    expect(run(i18nIn(language))).toEqual(expected)
  })
})
