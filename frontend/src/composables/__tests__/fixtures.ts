/** Realistic API payloads (shapes of schemas/json) for the composables' tests. */
import type { MediaOutput, SafetyStage, Stages } from '@/api/types'

export const RUN_A = '11111111-1111-4111-8111-111111111111'
export const RUN_B = '22222222-2222-4222-8222-222222222222'
export const IMAGE_ID = '33333333-3333-4333-8333-333333333333'

export function passedStage1(): SafetyStage {
  return { status: 'passed', level: 'youth', checks: [{ name: 'term_filter', passed: true, found_terms: [] }] }
}

export function blockedStages(stage: 1 | 3): Stages {
  const blocked: SafetyStage = {
    status: 'blocked',
    level: 'youth',
    checks: [{ name: 'term_filter', passed: false, found_terms: ['gore'] }],
    found_terms: ['gore'],
    reason: 'the text contains terms not allowed at safety level youth: gore',
  }
  return stage === 1 ? { stage1: blocked } : { stage3: { prompt: 'gore', safety: blocked } }
}

export function media(runId: string, index: number, seed: number): MediaOutput {
  return {
    media_type: 'image',
    url: `/api/media/image/${runId}/${index}`,
    run_id: runId,
    index,
    seed,
    width: 256,
    height: 256,
    mime_type: 'image/png',
    output_config: 'tiny_sd',
  }
}

/** A promise whose settling the test controls, to observe the running state. */
export function deferred<T>() {
  let resolve: (value: T) => void = () => {}
  let reject: (reason: unknown) => void = () => {}
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}
