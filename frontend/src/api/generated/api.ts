/* Generated from schemas/json/*.schema.json by `npm run gen:types` (json-schema-to-typescript). Do not edit. */

/**
 * Every model of the API contract by name (the index of schemas/json/).
 */
export interface ApiModels {
  BlockedResponse: BlockedResponse
  CanceledEvent: CanceledEvent
  CompleteEvent: CompleteEvent
  ConfigDetailResponse: ConfigDetailResponse
  ConfigListResponse: ConfigListResponse
  ErrorEvent: ErrorEvent
  ErrorResponse: ErrorResponse
  ExecuteRequest: ExecuteRequest
  ExecuteResponse: ExecuteResponse
  GenerationParameters: GenerationParameters
  GenerationRequestBody: GenerationRequestBody
  GenerationResponse: GenerationResponse
  HealthResponse: HealthResponse
  MediaOutput: MediaOutput
  OptimizeRequest: OptimizeRequest
  OptimizeResponse: OptimizeResponse
  OutputConfigListResponse: OutputConfigListResponse
  ProgressEvent: ProgressEvent
  QueueResponse: QueueResponse
  QueuedEvent: QueuedEvent
  QueuedResponse: QueuedResponse
  RunInfoResponse: RunInfoResponse
  RunStatusResponse: RunStatusResponse
  Stage2Request: Stage2Request
  Stage2Response: Stage2Response
  StageCompleteEvent: StageCompleteEvent
  StageStartEvent: StageStartEvent
  StartedEvent: StartedEvent
  UploadResponse: UploadResponse
  WsError: WsError
  WsGenerationBlocked: WsGenerationBlocked
  WsGenerationCanceled: WsGenerationCanceled
  WsGenerationComplete: WsGenerationComplete
  WsGenerationError: WsGenerationError
  WsGenerationStarted: WsGenerationStarted
  WsProgressUpdate: WsProgressUpdate
  WsSubscribe: WsSubscribe
  WsSubscribed: WsSubscribed
  WsUnsubscribe: WsUnsubscribe
}
/**
 * 403: a safety stage blocked the run; nothing later ran, nothing was generated.
 */
export interface BlockedResponse {
  /**
   * Terms found (may be empty for an LLM or image verdict).
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
   * The stage that blocked: 1 and 3 the text checks, 4 the output image check (stage 4b; the image was neither kept nor served).
   */
  stage: 1 | 3 | 4
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
   * Request fields whose text contained found terms, e.g. input_text, context_prompt, interception_result, optimized_prompt, prompt, parameters.negative_prompt.
   */
  found_in?: string[]
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
   * Human note in English (the LLM's reason, counts, ...), for teachers.
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
   * Which check ran: term_filter and llm_check on texts (stages 1 and 3c); image_safety_checker (diffusers' StableDiffusionSafetyChecker) or vision_llm_check on the generated image (stage 4b).
   */
  name: 'term_filter' | 'llm_check' | 'image_safety_checker' | 'vision_llm_check'
  /**
   * False when this check blocks.
   */
  passed: boolean
  /**
   * llm_check and the image checks: the verdict; undecided = the check failed or answered neither SAFE nor UNSAFE (kids/youth then block). None for term_filter.
   */
  verdict?: ('safe' | 'unsafe' | 'undecided') | null
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
 * Stage 4: generation facts, and stage 4b's output image check.
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
   * Stage 4b, the output image check (None when no check is configured).
   */
  output_check?: SafetyStage | null
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
   * done; blocked when stage 4b found the image unsuitable (it was neither kept nor served).
   */
  status: 'done' | 'blocked'
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
/**
 * SSE ``canceled`` (terminal): canceled on request; no image was written.
 */
export interface CanceledEvent {
  /**
   * Whether the run was still queued or already running.
   */
  while_status: 'queued' | 'running'
}
/**
 * SSE ``complete`` (terminal): the run succeeded.
 */
export interface CompleteEvent {
  media_output: MediaOutput
}
/**
 * A generated image, addressable by run_id and index (DESIGN.md, media_output).
 */
export interface MediaOutput {
  /**
   * Height in pixels.
   */
  height: number
  /**
   * 0-based index of the image within its run.
   */
  index: number
  /**
   * Kind of media.
   */
  media_type: 'image'
  /**
   * MIME type of the file.
   */
  mime_type: 'image/png'
  /**
   * Output config id.
   */
  output_config: string
  /**
   * Run the image belongs to.
   */
  run_id: string
  /**
   * Seed that reproduces the image.
   */
  seed: number
  /**
   * Relative URL of the PNG: /api/media/image/<run_id>/<index>.
   */
  url: string
  /**
   * Width in pixels.
   */
  width: number
}
/**
 * 200 of GET /api/schema/configs/<id>.
 */
export interface ConfigDetailResponse {
  config: ConfigDetail
  /**
   * Outcome.
   */
  status: 'success'
}
/**
 * One interception config with its rules.
 */
export interface ConfigDetail {
  /**
   * Category id.
   */
  category: string
  context: LocalizedTextOut
  description: LocalizedTextOut
  display: DisplayOut
  /**
   * Config id (send as `schema`).
   */
  id: string
  name: LocalizedTextOut
  /**
   * text_transformation, image_transformation or direct.
   */
  pipeline: string
}
/**
 * A text per language.
 */
export interface LocalizedTextOut {
  /**
   * German.
   */
  de: string
  /**
   * English.
   */
  en: string
}
/**
 * Picker hints.
 */
export interface DisplayOut {
  /**
   * #rrggbb accent colour.
   */
  color: string
  /**
   * Emoji or symbol.
   */
  icon: string
  /**
   * Sort key.
   */
  order: number
}
/**
 * 200 of GET /api/schema/configs.
 */
export interface ConfigListResponse {
  /**
   * Categories in display order.
   */
  categories: CategoryOut[]
  /**
   * Configs in display order.
   */
  configs: ConfigSummary[]
  /**
   * Outcome.
   */
  status: 'success'
}
/**
 * A picker category.
 */
export interface CategoryOut {
  /**
   * Category id.
   */
  id: string
  name: LocalizedTextOut
}
/**
 * An interception config in the picker list.
 */
export interface ConfigSummary {
  /**
   * Category id.
   */
  category: string
  description: LocalizedTextOut
  display: DisplayOut
  /**
   * Config id (send as `schema`).
   */
  id: string
  name: LocalizedTextOut
  /**
   * text_transformation, image_transformation or direct.
   */
  pipeline: string
}
/**
 * SSE ``error`` (terminal): the run failed (or was interrupted by a restart).
 */
export interface ErrorEvent {
  error: ErrorBody
}
/**
 * The error object inside an error response.
 */
export interface ErrorBody {
  /**
   * snake_case code clients can switch on.
   */
  code: string
  /**
   * Extra facts (field, limit, ...).
   */
  details?: {
    [k: string]: unknown
  }
  /**
   * Human sentence naming the problem.
   */
  message: string
}
/**
 * Every 4xx/5xx error.
 */
export interface ErrorResponse {
  error: ErrorBody
  /**
   * Outcome.
   */
  status: 'error'
}
/**
 * POST /api/schema/pipeline/execute: stages 1-4 in one call.
 */
export interface ExecuteRequest {
  /**
   * True: queue the run and answer 202 with events_url/status_url instead of waiting.
   */
  async?: boolean
  /**
   * The learner's (edited) rules (HOW); default: the config's rules.
   */
  context_prompt?: string | null
  /**
   * image_id of an upload: present => img2img.
   */
  input_image?: string | null
  /**
   * The learner's idea (WHAT).
   */
  input_text?: string
  /**
   * Learner-edited stage 2 text: stage 2 is not re-run (the text is still checked).
   */
  interception_result?: string | null
  /**
   * Language of the learner's texts and of the answers: de or en.
   */
  language?: 'de' | 'en'
  /**
   * Learner-edited stage 3a text: optimization is not re-run.
   */
  optimized_prompt?: string | null
  /**
   * Output config id; default: server default.
   */
  output_config?: string | null
  /**
   * Generation parameter overrides.
   */
  parameters?: GenerationParameters | null
  /**
   * Interception config id (text mode) or 'image_transformation' (image mode).
   */
  schema: string
  /**
   * Seed; omitted: the server draws one and returns it.
   */
  seed?: number | null
}
/**
 * Optional overrides of the output config's defaults; omitted fields keep the defaults.
 */
export interface GenerationParameters {
  /**
   * guidance_scale (classifier-free guidance).
   */
  cfg?: number | null
  /**
   * Image height in pixels; a multiple of 8.
   */
  height?: number | null
  /**
   * What the image should avoid.
   */
  negative_prompt?: string | null
  /**
   * Scheduler: diffusers class name without 'Scheduler' (e.g. DDIM, EulerDiscrete).
   */
  scheduler?: string | null
  /**
   * num_inference_steps (denoising steps).
   */
  steps?: number | null
  /**
   * img2img only: how strongly the input image is changed (0..1]; default 0.75.
   */
  strength?: number | null
  /**
   * Image width in pixels; a multiple of 8.
   */
  width?: number | null
}
/**
 * 200 of /execute.
 */
export interface ExecuteResponse {
  /**
   * Total time, in milliseconds.
   */
  duration_ms: number
  media_output: MediaOutput
  /**
   * The run's id.
   */
  run_id: string
  stages: Stages
  /**
   * Outcome.
   */
  status: 'success'
}
/**
 * POST /api/schema/pipeline/generation: stage 3c (safety) and stage 4 on a given prompt.
 */
export interface GenerationRequestBody {
  /**
   * True: queue the run and answer 202 with events_url/status_url instead of waiting.
   */
  async?: boolean
  /**
   * image_id: present => img2img.
   */
  input_image?: string | null
  /**
   * Language of the learner's texts and of the answers: de or en.
   */
  language?: 'de' | 'en'
  /**
   * Output config id; default: server default.
   */
  output_config?: string | null
  /**
   * Generation parameter overrides.
   */
  parameters?: GenerationParameters | null
  /**
   * The final prompt.
   */
  prompt: string
  /**
   * Existing run to add the image to; omitted: a new run.
   */
  run_id?: string | null
  /**
   * Seed; omitted: the server draws one.
   */
  seed?: number | null
}
/**
 * 200 of /generation.
 */
export interface GenerationResponse {
  /**
   * Total time, in milliseconds.
   */
  duration_ms: number
  media_output: MediaOutput
  /**
   * The run's id.
   */
  run_id: string
  stages: Stages
  /**
   * Outcome.
   */
  status: 'success'
}
/**
 * 200 of GET /api/health.
 */
export interface HealthResponse {
  /**
   * Torch device generation runs on (cuda, mps, cpu).
   */
  device: string
  limits: HealthLimits
  /**
   * Text backend: template, ollama or openai.
   */
  llm_backend: string
  /**
   * The safety level's lists, the image check and how to change the level (for the studio header and the teacher view).
   */
  safety?: SafetyInfo | null
  /**
   * Server-wide safety level.
   */
  safety_level: 'kids' | 'youth' | 'adult' | 'research'
  /**
   * Outcome.
   */
  status: 'success'
  /**
   * devserver version.
   */
  version: string
}
/**
 * Limits clients should validate against before sending.
 */
export interface HealthLimits {
  /**
   * Accepted upload MIME types.
   */
  accepted_types: string[]
  /**
   * Largest upload, in bytes.
   */
  upload_max_bytes: number
  /**
   * Uploads are downscaled to this longest side, in pixels.
   */
  upload_max_side_px: number
}
/**
 * What the server's safety level means and how it is set (issue 7: teachers see the level).
 */
export interface SafetyInfo {
  /**
   * Server-wide safety level: kids (8-12), youth (13-17), adult, research.
   */
  level: 'kids' | 'youth' | 'adult' | 'research'
  /**
   * The term lists checked at this level (stages 1 and 3c).
   */
  lists: SafetyListOut[]
  /**
   * Stage 4b, the check of every generated image: none, safety_checker or llm.
   */
  output_check: 'none' | 'safety_checker' | 'llm'
  /**
   * How an admin changes the level: the environment variable and its values.
   */
  setting: string
}
/**
 * A term list that applies at the server's level (for the teacher view: what is blocked and why).
 */
export interface SafetyListOut {
  /**
   * What the list covers, for teachers (English).
   */
  description: string
  /**
   * List name, e.g. graphic_violence.
   */
  name: string
}
/**
 * POST /api/schema/pipeline/optimize: stage 3a for a target model.
 */
export interface OptimizeRequest {
  /**
   * Language of the prompt: de or en.
   */
  language?: 'de' | 'en'
  /**
   * Output config id the prompt is for.
   */
  output_config: string
  /**
   * Text to optimize (stage 2's result).
   */
  prompt: string
  /**
   * Run to record into; omitted: a new run.
   */
  run_id?: string | null
}
/**
 * 200 of /optimize.
 */
export interface OptimizeResponse {
  /**
   * Stage 3a's text, for the learner to read and edit.
   */
  optimized_prompt: string
  /**
   * The run's id.
   */
  run_id: string
  stages: Stages
  /**
   * Outcome.
   */
  status: 'success'
}
/**
 * 200 of GET /api/schema/output-configs.
 */
export interface OutputConfigListResponse {
  /**
   * Id of the default output config.
   */
  default: string
  /**
   * All output configs in display order.
   */
  output_configs: OutputConfigOut[]
  /**
   * Outcome.
   */
  status: 'success'
}
/**
 * A target model in the picker.
 */
export interface OutputConfigOut {
  /**
   * Whether the weights are on disk (or builtin).
   */
  available: boolean
  defaults: OutputDefaultsOut
  description: LocalizedTextOut
  /**
   * Rough seconds per image on the reference machine.
   */
  estimated_duration_s: number
  /**
   * Output config id.
   */
  id: string
  /**
   * Largest width/height allowed.
   */
  max_side_px: number
  /**
   * Most steps allowed.
   */
  max_steps: number
  /**
   * Kind of media.
   */
  media_type: 'image'
  name: LocalizedTextOut
  /**
   * Why not available (None when available).
   */
  reason: string | null
}
/**
 * Default generation parameters of an output config.
 */
export interface OutputDefaultsOut {
  /**
   * guidance_scale.
   */
  cfg: number
  /**
   * Height, pixels.
   */
  height: number
  /**
   * Default negative prompt.
   */
  negative_prompt: string
  /**
   * Scheduler name or null (the model's own).
   */
  scheduler: string | null
  /**
   * num_inference_steps.
   */
  steps: number
  /**
   * Default img2img strength.
   */
  strength: number
  /**
   * Width, pixels.
   */
  width: number
}
/**
 * SSE ``progress``: one per diffusion step (from diffusers' ``callback_on_step_end``).
 */
export interface ProgressEvent {
  /**
   * 100 * step / total_steps, never decreasing within a run.
   */
  percent: number
  /**
   * Steps finished.
   */
  step: number
  /**
   * Steps the diffusion loop runs in total.
   */
  total_steps: number
  /**
   * Server time of the step callback, Unix seconds (time.time()).
   */
  ts: number
}
/**
 * 200 of GET /api/queue: running runs, then queued runs in the order they will run.
 */
export interface QueueResponse {
  /**
   * Runs the server works on at the same time.
   */
  concurrency: number
  /**
   * Running runs (position 0), then queued ones by position.
   */
  jobs: QueueEntry[]
  /**
   * How many runs wait.
   */
  queued: number
  /**
   * How many runs are running.
   */
  running: number
  /**
   * Outcome of this request.
   */
  status: 'success'
}
/**
 * A run in GET /api/queue (no prompts: learners see only their own texts).
 */
export interface QueueEntry {
  /**
   * A cancel was requested while running.
   */
  cancel_requested: boolean
  /**
   * ISO 8601 UTC time queued.
   */
  created_at: string
  /**
   * execute or generation.
   */
  kind: 'execute' | 'generation'
  /**
   * 0 = running, 1.. = place in the queue (1 = next).
   */
  position: number
  /**
   * The run's id.
   */
  run_id: string
  /**
   * ISO 8601 UTC time started (running only).
   */
  started_at: string | null
  /**
   * running or queued.
   */
  status: 'queued' | 'running'
}
/**
 * SSE ``queued``: the run entered the queue.
 */
export interface QueuedEvent {
  /**
   * Place in the queue when submitted: 1 = runs next.
   */
  position: number
}
/**
 * 202 of /execute and /generation with ``"async": true``: the run is queued.
 */
export interface QueuedResponse {
  /**
   * Relative URL of the run's Server-Sent Events stream.
   */
  events_url: string
  /**
   * Place in the queue when submitted: 1 = runs next.
   */
  position: number
  /**
   * The run's id (UUID4); its folder appears when the run starts.
   */
  run_id: string
  /**
   * Outcome: the run waits in the queue.
   */
  status: 'queued'
  /**
   * Relative URL of the run's status (GET).
   */
  status_url: string
}
/**
 * 200 of GET /api/media/info/<run_id>: metadata.json plus status.
 */
export interface RunInfoResponse {
  run: RunMetadata
  /**
   * Outcome of this request.
   */
  status: 'success'
  [k: string]: unknown
}
/**
 * exports/json/<run_id>/metadata.json, served by GET /api/media/info/<run_id>.
 */
export interface RunMetadata {
  /**
   * Backend and model per stage.
   */
  backends?: {
    [k: string]: unknown
  }
  /**
   * Block record (stage, reason, found_terms) if blocked.
   */
  blocked?: {
    [k: string]: unknown
  } | null
  /**
   * Interception config id.
   */
  config?: string | null
  /**
   * ISO 8601 UTC creation time.
   */
  created_at: string
  /**
   * Files in order of creation.
   */
  entities?: RunEntity[]
  /**
   * Error record (code, message) if the run failed.
   */
  error?: {
    [k: string]: unknown
  } | null
  /**
   * Request language.
   */
  language?: ('de' | 'en') | null
  /**
   * Generated images in order.
   */
  media?: RunMedia[]
  /**
   * Output config id.
   */
  output_config?: string | null
  /**
   * The run's id.
   */
  run_id: string
  /**
   * Server safety level during the run.
   */
  safety_level: 'kids' | 'youth' | 'adult' | 'research'
  /**
   * Seed of the latest image.
   */
  seed?: number | null
  /**
   * Run outcome so far (in_progress between calls of the step-by-step flow).
   */
  status: 'success' | 'blocked' | 'error' | 'queued' | 'running' | 'canceled' | 'in_progress'
  /**
   * ISO 8601 UTC time of the last change.
   */
  updated_at: string
  [k: string]: unknown
}
/**
 * One file of a run folder.
 */
export interface RunEntity {
  /**
   * ISO 8601 UTC time the file was written.
   */
  created_at: string
  /**
   * File name inside the run folder.
   */
  file: string
  /**
   * Order of creation, 1-based (the NN in NN_<type>.<ext>).
   */
  seq: number
  /**
   * Entity type, e.g. input, interception, output_image.
   */
  type: string
}
/**
 * A media_output as recorded in metadata.json, with its file name in the run folder.
 */
export interface RunMedia {
  /**
   * File name inside the run folder, e.g. 08_output_image.png.
   */
  file: string
  /**
   * Height in pixels.
   */
  height: number
  /**
   * 0-based index of the image within its run.
   */
  index: number
  /**
   * Kind of media.
   */
  media_type: 'image'
  /**
   * MIME type of the file.
   */
  mime_type: 'image/png'
  /**
   * Output config id.
   */
  output_config: string
  /**
   * Run the image belongs to.
   */
  run_id: string
  /**
   * Seed that reproduces the image.
   */
  seed: number
  /**
   * Relative URL of the PNG: /api/media/image/<run_id>/<index>.
   */
  url: string
  /**
   * Width in pixels.
   */
  width: number
}
/**
 * 200 of GET /api/runs/<run_id> (and of POST .../cancel): a queued run's state, stages so far, result.
 */
export interface RunStatusResponse {
  /**
   * The block, when a safety stage blocked the run.
   */
  blocked: BlockedInfo | null
  /**
   * A cancel was requested while the run was running.
   */
  cancel_requested: boolean
  /**
   * ISO 8601 UTC time the run was queued.
   */
  created_at: string
  /**
   * What went wrong, when the run ended in error.
   */
  error: ErrorBody | null
  /**
   * Relative URL of the run's Server-Sent Events stream.
   */
  events_url: string
  /**
   * ISO 8601 UTC time it ended.
   */
  finished_at: string | null
  /**
   * execute (stages 1-4) or generation (stages 3c-4).
   */
  kind: 'execute' | 'generation'
  /**
   * The image, once the run succeeded.
   */
  media_output: MediaOutput | null
  /**
   * 0 while running, 1.. while queued (1 = next), null when finished.
   */
  position: number | null
  /**
   * Latest diffusion step, null before stage 4 starts.
   */
  progress: ProgressInfo | null
  /**
   * The run's id.
   */
  run_id: string
  stages: Stages
  /**
   * ISO 8601 UTC time a worker started it.
   */
  started_at: string | null
  /**
   * The run's state: queued, running, or its outcome.
   */
  status: 'success' | 'blocked' | 'error' | 'queued' | 'running' | 'canceled'
}
/**
 * Why a safety stage blocked the run.
 */
export interface BlockedInfo {
  /**
   * Terms found (may be empty for an LLM verdict).
   */
  found_terms: string[]
  /**
   * Human sentence naming why.
   */
  reason: string
  /**
   * The stage that blocked (4: the output image check).
   */
  stage: 1 | 3 | 4
}
/**
 * The latest diffusion step of a run.
 */
export interface ProgressInfo {
  /**
   * 100 * step / total_steps, never decreasing.
   */
  percent: number
  /**
   * Steps finished.
   */
  step: number
  /**
   * Steps the diffusion loop runs in total.
   */
  total_steps: number
}
/**
 * POST /api/schema/pipeline/stage2: stages 1-2 (safety check, then interception).
 */
export interface Stage2Request {
  /**
   * The learner's (edited) rules (HOW); default: the config's rules.
   */
  context_prompt?: string | null
  /**
   * The learner's idea (WHAT).
   */
  input_text: string
  /**
   * Language of the texts: de or en.
   */
  language?: 'de' | 'en'
  /**
   * Interception config id.
   */
  schema: string
}
/**
 * 200 of /stage2.
 */
export interface Stage2Response {
  /**
   * Stage 2's text, for the learner to read and edit.
   */
  interception_result: string
  /**
   * The run's id (pass it to /optimize and /generation).
   */
  run_id: string
  stages: Stages
  /**
   * Outcome.
   */
  status: 'success'
}
/**
 * SSE ``stage_complete``: the stage's report, as in the synchronous response's ``stages``.
 */
export interface StageCompleteEvent {
  /**
   * safety, interception, pre_output or generation.
   */
  name: string
  /**
   * The stage's report.
   */
  report: SafetyStage | Stage2Report | Stage3Report | Stage4Report
  /**
   * Stage number 1-4.
   */
  stage: number
}
/**
 * SSE ``stage_start``.
 */
export interface StageStartEvent {
  /**
   * safety, interception, pre_output or generation.
   */
  name: string
  /**
   * Stage number 1-4.
   */
  stage: number
}
/**
 * SSE ``started``: a worker picked the run up; stage events follow.
 */
export interface StartedEvent {
  /**
   * Time spent in the queue, in milliseconds.
   */
  waited_ms: number
}
/**
 * 200 of POST /api/media/upload/image.
 */
export interface UploadResponse {
  /**
   * Size of the stored PNG, in bytes.
   */
  file_size_bytes: number
  /**
   * UUID4 of the stored upload; send it as input_image.
   */
  image_id: string
  /**
   * [width, height] as uploaded (after EXIF orientation).
   *
   * @minItems 2
   * @maxItems 2
   */
  original_size: [number, number]
  /**
   * [width, height] as stored.
   *
   * @minItems 2
   * @maxItems 2
   */
  resized_size: [number, number]
  /**
   * Outcome.
   */
  status: 'success'
  /**
   * Relative URL of the stored PNG.
   */
  url: string
}
/**
 * Server -> client: the last client message was not understood (the socket stays open).
 */
export interface WsError {
  data: WsErrorMessageData
  /**
   * ISO 8601 UTC time of the event.
   */
  timestamp: string
  /**
   * Message type.
   */
  type: 'error'
}
/**
 * data of ``error``.
 */
export interface WsErrorMessageData {
  /**
   * What was wrong with the client's message.
   */
  message: string
}
/**
 * Server -> client: a safety stage blocked the run.
 */
export interface WsGenerationBlocked {
  data: WsBlockedData
  /**
   * ISO 8601 UTC time of the event.
   */
  timestamp: string
  /**
   * Message type.
   */
  type: 'generation_blocked'
}
/**
 * data of ``generation_blocked``.
 */
export interface WsBlockedData {
  /**
   * Terms found (empty for an LLM or image verdict).
   */
  found_terms: string[]
  /**
   * The run_id.
   */
  job_id: string
  /**
   * Human sentence naming why.
   */
  reason: string
  /**
   * The stage that blocked (4: the output image check).
   */
  stage: 1 | 3 | 4
  /**
   * The run's state.
   */
  status: 'blocked'
}
/**
 * Server -> client: the run was canceled.
 */
export interface WsGenerationCanceled {
  data: WsJobData
  /**
   * ISO 8601 UTC time of the event.
   */
  timestamp: string
  /**
   * Message type.
   */
  type: 'generation_canceled'
}
/**
 * data of ``generation_started`` and ``generation_canceled``.
 */
export interface WsJobData {
  /**
   * The run_id.
   */
  job_id: string
  /**
   * The run's state.
   */
  status: 'running' | 'canceled'
}
/**
 * Server -> client: the run succeeded.
 */
export interface WsGenerationComplete {
  data: WsCompleteData
  /**
   * ISO 8601 UTC time of the event.
   */
  timestamp: string
  /**
   * Message type.
   */
  type: 'generation_complete'
}
/**
 * data of ``generation_complete``.
 */
export interface WsCompleteData {
  /**
   * The run_id.
   */
  job_id: string
  media_output: MediaOutput
  /**
   * Always 1.
   */
  progress: number
  /**
   * The run's state.
   */
  status: 'success'
}
/**
 * Server -> client: the run failed.
 */
export interface WsGenerationError {
  data: WsErrorData
  /**
   * ISO 8601 UTC time of the event.
   */
  timestamp: string
  /**
   * Message type.
   */
  type: 'generation_error'
}
/**
 * data of ``generation_error``.
 */
export interface WsErrorData {
  error: ErrorBody
  /**
   * The run_id.
   */
  job_id: string
  /**
   * The run's state.
   */
  status: 'error'
}
/**
 * Server -> client: a worker started the run.
 */
export interface WsGenerationStarted {
  data: WsJobData
  /**
   * ISO 8601 UTC time of the event.
   */
  timestamp: string
  /**
   * Message type.
   */
  type: 'generation_started'
}
/**
 * Server -> client: one diffusion step finished.
 */
export interface WsProgressUpdate {
  data: WsProgressData
  /**
   * ISO 8601 UTC time of the event.
   */
  timestamp: string
  /**
   * Message type.
   */
  type: 'progress_update'
}
/**
 * data of ``progress_update`` (seed 003: ``const { job_id, progress, status } = message.data``).
 */
export interface WsProgressData {
  /**
   * The run_id.
   */
  job_id: string
  /**
   * Fraction done, 0..1, never decreasing.
   */
  progress: number
  /**
   * The run's state.
   */
  status: 'running'
  /**
   * Steps finished.
   */
  step: number
  /**
   * Steps in total.
   */
  total_steps: number
}
/**
 * Client -> server: receive the events of these runs (null: of every run).
 */
export interface WsSubscribe {
  /**
   * run_ids to follow, or null for all runs.
   */
  job_ids: string[] | null
  /**
   * Message type.
   */
  type: 'subscribe'
}
/**
 * Server -> client: the subscription was changed.
 */
export interface WsSubscribed {
  data: WsSubscribedData
  /**
   * ISO 8601 UTC time of the event.
   */
  timestamp: string
  /**
   * Acknowledges subscribe or unsubscribe.
   */
  type: 'subscribed' | 'unsubscribed'
}
/**
 * data of ``subscribed`` / ``unsubscribed``.
 */
export interface WsSubscribedData {
  /**
   * The run_ids of the request that the server knows (null: all runs).
   */
  job_ids: string[] | null
}
/**
 * Client -> server: stop receiving the events of these runs (null: of every run).
 */
export interface WsUnsubscribe {
  /**
   * run_ids to stop following, or null for all.
   */
  job_ids: string[] | null
  /**
   * Message type.
   */
  type: 'unsubscribe'
}
