/* Generated from schemas/json/BlockedResponse.schema.json by `npm run gen:types` (json-schema-to-typescript). Do not edit. */

/**
 * 403: a safety stage blocked the run; nothing later ran, nothing was generated.
 */
export interface BlockedResponse {
  /**
   * Terms found (may be empty for an LLM verdict).
   */
  found_terms: string[]
  /**
   * Human sentence naming why.
   */
  reason: string
  /**
   * The run's id; its folder records the block.
   */
  run_id: string
  /**
   * The stage that blocked.
   */
  stage: 1 | 3
  stages: Stages
  /**
   * Outcome.
   */
  status: 'blocked'
}
/**
 * Reports of the stages that ran (absent keys did not run in this call).
 */
export interface Stages {
  /**
   * Pre-interception safety.
   */
  stage1?: SafetyStage | null
  /**
   * Interception.
   */
  stage2?: Stage2Report | null
  /**
   * Pre-output: optimization, translation, safety.
   */
  stage3?: Stage3Report | null
  /**
   * Generation.
   */
  stage4?: Stage4Report | null
}
/**
 * Stage 1 (on the raw input) or stage 3c (on the final prompt).
 */
export interface SafetyStage {
  /**
   * The checks in the order they ran.
   */
  checks: FilterCheck[]
  /**
   * Stage time, in milliseconds.
   */
  duration_ms?: number
  /**
   * All terms found, in order.
   */
  found_terms?: string[]
  /**
   * Server safety level the checks used.
   */
  level: 'kids' | 'youth' | 'adult' | 'research'
  /**
   * Why it blocked (None when passed).
   */
  reason?: string | null
  /**
   * Outcome.
   */
  status: 'passed' | 'blocked'
}
/**
 * One safety check of a stage (term filter or LLM judgement).
 */
export interface FilterCheck {
  /**
   * LLM backend used by llm_check.
   */
  backend?: string | null
  /**
   * Human note (LLM reason, 'skipped: no LLM configured', ...).
   */
  detail?: string
  /**
   * Time taken, in milliseconds.
   */
  duration_ms?: number
  /**
   * Listed terms found in the text.
   */
  found_terms?: string[]
  /**
   * Which check ran.
   */
  name: 'term_filter' | 'llm_check'
  /**
   * False when this check blocks.
   */
  passed: boolean
}
/**
 * Stage 2: the idea rewritten through the config's perspective.
 */
export interface Stage2Report {
  /**
   * Text backend: template, ollama or openai.
   */
  backend?: string | null
  /**
   * Interception config id.
   */
  config: string
  /**
   * Why skipped, or other notes.
   */
  detail?: string
  /**
   * Time taken, in milliseconds.
   */
  duration_ms?: number
  /**
   * Model name used by the backend.
   */
  model?: string | null
  /**
   * The resulting text.
   */
  output: string
  /**
   * Pipeline of the config.
   */
  pipeline: string
  /**
   * done: the backend ran; skipped: not needed/possible (see detail); edited: learner's text used.
   */
  status: 'done' | 'skipped' | 'edited'
}
/**
 * Stage 3: optimization, translation, safety re-check; `prompt` is the final prompt.
 */
export interface Stage3Report {
  /**
   * 3a: prompt optimized for the target model.
   */
  optimization?: TextStep | null
  /**
   * The prompt after stage 3 (what stage 4 receives).
   */
  prompt: string
  /**
   * 3c: safety re-check of the final prompt.
   */
  safety?: SafetyStage | null
  /**
   * 3b: translation to English.
   */
  translation?: TextStep | null
}
/**
 * A text-producing step (stage 2 interception, 3a optimization, 3b translation).
 */
export interface TextStep {
  /**
   * Text backend: template, ollama or openai.
   */
  backend?: string | null
  /**
   * Why skipped, or other notes.
   */
  detail?: string
  /**
   * Time taken, in milliseconds.
   */
  duration_ms?: number
  /**
   * Model name used by the backend.
   */
  model?: string | null
  /**
   * The resulting text.
   */
  output: string
  /**
   * done: the backend ran; skipped: not needed/possible (see detail); edited: learner's text used.
   */
  status: 'done' | 'skipped' | 'edited'
}
/**
 * Stage 4: generation facts.
 */
export interface Stage4Report {
  /**
   * guidance_scale.
   */
  cfg: number
  /**
   * Torch device.
   */
  device: string
  /**
   * Generation time, in milliseconds.
   */
  duration_ms: number
  /**
   * Image height, pixels.
   */
  height: number
  /**
   * txt2img or img2img.
   */
  mode: 'txt2img' | 'img2img'
  /**
   * Model source (builtin:tiny_sd, local path or hub id).
   */
  model: string
  /**
   * Negative prompt used.
   */
  negative_prompt?: string
  /**
   * Output config id.
   */
  output_config: string
  /**
   * Scheduler class name without 'Scheduler'.
   */
  scheduler: string
  /**
   * Seed used.
   */
  seed: number
  /**
   * Outcome.
   */
  status: 'done'
  /**
   * num_inference_steps.
   */
  steps: number
  /**
   * img2img strength.
   */
  strength?: number | null
  /**
   * Image width, pixels.
   */
  width: number
}
