/* Generated from schemas/json/*.schema.json by `npm run gen:types` (json-schema-to-typescript). Do not edit. */

/**
 * Every model of the API contract by name (the index of schemas/json/).
 */
export interface ApiModels {
  ActionResponse: ActionResponse
  AddonsResponse: AddonsResponse
  BenchmarkModelRequest: BenchmarkModelRequest
  BenchmarkModelResponse: BenchmarkModelResponse
  BlockedResponse: BlockedResponse
  CanceledEvent: CanceledEvent
  CompleteEvent: CompleteEvent
  ConfigDetailResponse: ConfigDetailResponse
  ConfigListResponse: ConfigListResponse
  DeviceStatusRequest: DeviceStatusRequest
  DeviceStatusResponse: DeviceStatusResponse
  EnhancedSdxlResponse: EnhancedSdxlResponse
  ErrorEvent: ErrorEvent
  ErrorResponse: ErrorResponse
  ExecuteRequest: ExecuteRequest
  ExecuteResponse: ExecuteResponse
  GenerationParameters: GenerationParameters
  GenerationRequestBody: GenerationRequestBody
  GenerationResponse: GenerationResponse
  GetModelRequest: GetModelRequest
  GetModelResponse: GetModelResponse
  GetModelStatusRequest: GetModelStatusRequest
  GetModelStatusResponse: GetModelStatusResponse
  HealthResponse: HealthResponse
  JobApiAccepted: JobApiAccepted
  JobApiBlocked: JobApiBlocked
  JobApiComplete: JobApiComplete
  JobApiFailed: JobApiFailed
  JobApiRequest: JobApiRequest
  ListModelsRequest: ListModelsRequest
  ListModelsResponse: ListModelsResponse
  LoadModelRequest: LoadModelRequest
  LoadModelResponse: LoadModelResponse
  MediaOutput: MediaOutput
  ModelInfo: ModelInfo
  ModelJobAccepted: ModelJobAccepted
  ModelJobCompleteEvent: ModelJobCompleteEvent
  ModelJobStatusResponse: ModelJobStatusResponse
  OptimizeModelRequest: OptimizeModelRequest
  OptimizeModelResponse: OptimizeModelResponse
  OptimizeRequest: OptimizeRequest
  OptimizeResponse: OptimizeResponse
  OutputConfigListResponse: OutputConfigListResponse
  ProgressEvent: ProgressEvent
  ProgressMessage: ProgressMessage
  PromptTokensRequest: PromptTokensRequest
  PromptTokensResponse: PromptTokensResponse
  QueueResponse: QueueResponse
  QueuedEvent: QueuedEvent
  QueuedResponse: QueuedResponse
  RefreshModelsResponse: RefreshModelsResponse
  RunDetailResponse: RunDetailResponse
  RunInfoResponse: RunInfoResponse
  RunListResponse: RunListResponse
  RunStatusResponse: RunStatusResponse
  SearchModelsRequest: SearchModelsRequest
  SearchModelsResponse: SearchModelsResponse
  Stage2Request: Stage2Request
  Stage2Response: Stage2Response
  StageCompleteEvent: StageCompleteEvent
  StageStartEvent: StageStartEvent
  StartedEvent: StartedEvent
  TeacherQueueResponse: TeacherQueueResponse
  UnloadModelRequest: UnloadModelRequest
  UnloadModelResponse: UnloadModelResponse
  UpdateModelMetadataRequest: UpdateModelMetadataRequest
  UpdateModelMetadataResponse: UpdateModelMetadataResponse
  UploadResponse: UploadResponse
  UpscaleRequest: UpscaleRequest
  UpscaleResponse: UpscaleResponse
  ValidateModelRequest: ValidateModelRequest
  ValidateModelResponse: ValidateModelResponse
  WorkerInfo: WorkerInfo
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
 * The answer to a model action (seed 001) or to a message that could not be read.
 */
export interface ActionResponse {
  /**
   * The action answered (null when the message had none).
   */
  action?: string | null
  /**
   * The action's result: the response model of the same operation on /api/models (snake_case).
   */
  data?: {
    [k: string]: unknown
  } | null
  /**
   * Human sentence when success is false.
   */
  error?: string | null
  /**
   * snake_case code when success is false.
   */
  error_code?: string | null
  /**
   * The message's request_id, if it had one.
   */
  request_id?: string | null
  /**
   * success or error.
   */
  status: 'success' | 'error'
  /**
   * True when the action succeeded.
   */
  success: boolean
  /**
   * Fields that were not used, and why.
   */
  warnings?: string[]
}
/**
 * 200 of GET /api/schema/output-configs/<id>/addons: what fits the output config's model (the family table
 * of devserver.generation.addons), for the studio's "Weitere Einstellungen".
 */
export interface AddonsResponse {
  /**
   * Registry id of its weights (null when not in the models folder).
   */
  base_model: string | null
  /**
   * ControlNets that fit.
   */
  controlnets: AddonOut[]
  /**
   * The families its model may have.
   */
  families: string[]
  /**
   * LoRAs that fit.
   */
  loras: AddonOut[]
  /**
   * The output config id.
   */
  output_config: string
  /**
   * Refiners that fit (SDXL).
   */
  refiners: AddonOut[]
  /**
   * Outcome.
   */
  status: 'success'
  /**
   * Installed upscalers (any model).
   */
  upscalers: AddonOut[]
  /**
   * VAEs that fit.
   */
  vaes: AddonOut[]
}
/**
 * An add-on the studio may offer for the chosen model.
 */
export interface AddonOut {
  /**
   * Its model family.
   */
  family: string
  /**
   * Registry id (send it in parameters).
   */
  id: string
  /**
   * Display name.
   */
  name: string
  /**
   * Upscalers: the model's own factor.
   */
  scale?: number | null
  /**
   * Words that bring out a LoRA's style.
   */
  trigger_words?: string[]
}
/**
 * POST /api/models/<id>/benchmark (admin) / worker action benchmark_model: runs as a queued job.
 */
export interface BenchmarkModelRequest {
  /**
   * Images per call.
   *
   * @minItems 1
   * @maxItems 4
   */
  batch_sizes?: [number] | [number, number] | [number, number, number] | [number, number, number, number]
  /**
   * Timed runs per configuration (median reported).
   */
  benchmark_runs?: number
  /**
   * Device; default: the server's device.
   */
  device_id?: string | null
  /**
   * Denoising steps per run (checkpoints).
   */
  inference_steps?: number
  /**
   * Registry id or alias.
   */
  model_id: string
  /**
   * WIDTHxHEIGHT, multiples of 8.
   *
   * @minItems 1
   * @maxItems 8
   */
  resolutions?:
    | [string]
    | [string, string]
    | [string, string, string]
    | [string, string, string, string]
    | [string, string, string, string, string]
    | [string, string, string, string, string, string]
    | [string, string, string, string, string, string, string]
    | [string, string, string, string, string, string, string, string]
  /**
   * Store the results in the model's benchmark history.
   */
  save_results?: boolean
  /**
   * With wait_for_completion: how long to wait.
   */
  timeout_seconds?: number
  /**
   * Measure peak memory per configuration.
   */
  track_memory_usage?: boolean
  /**
   * true: answer when the job has finished (200 with the result).
   */
  wait_for_completion?: boolean
  /**
   * Untimed runs per configuration.
   */
  warmup_runs?: number
}
/**
 * The result of a benchmark job (also the complete event's ``result``).
 */
export interface BenchmarkModelResponse {
  /**
   * Duration of the whole job.
   */
  benchmark_duration_seconds: number
  /**
   * Id in the model's history (save_results), else null.
   */
  benchmark_id: number | null
  /**
   * ISO 8601 UTC time.
   */
  benchmarked_at: string
  /**
   * Where it ran.
   */
  device_id: string
  /**
   * model_bytes and peak_bytes.
   */
  memory_usage: {
    [k: string]: number
  }
  /**
   * The registry id.
   */
  model_id: string
  /**
   * Summary: best/worst s_per_image, mean it_per_s.
   */
  performance_metrics: {
    [k: string]: number
  }
  /**
   * One row per resolution and batch size.
   */
  results: BenchmarkResult[]
  /**
   * Outcome.
   */
  status: 'success'
  /**
   * Every configuration was measured.
   */
  success: boolean
  /**
   * Notes (e.g. the model had to be loaded).
   */
  warnings: string[]
}
/**
 * One configuration of a benchmark.
 */
export interface BenchmarkResult {
  /**
   * Images per call.
   */
  batch_size: number
  /**
   * Denoising steps (0 for upscalers).
   */
  inference_steps: number
  /**
   * Denoising steps per second (from step callbacks), null for upscalers.
   */
  it_per_s: number | null
  /**
   * Peak memory during the runs (track_memory_usage).
   */
  peak_memory_bytes: number | null
  /**
   * WIDTHxHEIGHT.
   */
  resolution: string
  /**
   * Timed runs.
   */
  runs: number
  /**
   * Median seconds per image.
   */
  s_per_image: number
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
   * Refiner, VAE, LoRAs, ControlNets, post-processing, batch and format this run used (null in runs recorded before they existed).
   */
  enhancements?: EnhancementsReport | null
  /**
   * Image height, pixels.
   */
  height: number
  /**
   * Inpainting: feathering of the mask edge, in pixels.
   */
  mask_blur?: number | null
  /**
   * Inpainting: share of the image the mask repaints (0..1).
   */
  mask_coverage?: number | null
  /**
   * txt2img, img2img or inpaint.
   */
  mode: 'txt2img' | 'img2img' | 'inpaint'
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
   * Inpainting: margin of the crop repainted around the mask, in pixels (null: whole image).
   */
  padding_mask_crop?: number | null
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
   * Denoising steps the pipeline really ran: img2img runs about steps * strength, PNDM (SD 1.5's own scheduler) one more than steps, second-order schedulers count each model call; the N of the progress events' 'step k of N'. Null in runs recorded before this field existed.
   */
  total_steps?: number | null
  /**
   * Image width, pixels.
   */
  width: number
}
/**
 * Everything stage 4 used beyond the base model (also in metadata.json and the PNG's provenance).
 */
export interface EnhancementsReport {
  /**
   * Registry id of the base model (null when it is not in the models folder, e.g. a hub id).
   */
  base_model?: string | null
  /**
   * Images made (image i used seed + i).
   */
  batch_size?: number
  /**
   * ControlNets with weights and preprocessors.
   */
  controlnets?: AppliedControlNet[]
  /**
   * LoRAs with their weights.
   */
  loras?: AppliedLora[]
  /**
   * What was left out and why (e.g. a LoRA the interception config brings that does not fit).
   */
  notes?: string[]
  /**
   * File format of the images.
   */
  output_format?: 'png' | 'jpeg' | 'webp'
  /**
   * Post-processing steps.
   */
  post_processing?: AppliedPostProcessing[]
  /**
   * The refiner, if any.
   */
  refiner?: AppliedRefiner | null
  /**
   * Each image's seed, in order.
   */
  seeds?: number[]
  /**
   * Registry id of the swapped-in VAE, if any.
   */
  vae?: string | null
}
/**
 * A ControlNet a run used.
 */
export interface AppliedControlNet {
  /**
   * control_guidance_end.
   */
  guidance_end: number
  /**
   * control_guidance_start.
   */
  guidance_start: number
  /**
   * Registry id.
   */
  id: string
  /**
   * The conditioning image's upload id (null when it came another way).
   */
  image_id: string | null
  /**
   * How the image became the condition.
   */
  preprocessor: 'none' | 'canny'
  /**
   * controlnet_conditioning_scale.
   */
  weight: number
}
/**
 * A LoRA a run used.
 */
export interface AppliedLora {
  /**
   * Registry id.
   */
  id: string
  /**
   * Sent by the client, or brought by the interception config.
   */
  source: 'request' | 'config'
  /**
   * Its weight.
   */
  weight: number
}
/**
 * A post-processing step a run applied.
 */
export interface AppliedPostProcessing {
  /**
   * Scale factor.
   */
  factor: number
  /**
   * Height after the step, pixels.
   */
  height: number
  /**
   * Upscaler registry id, or lanczos.
   */
  model: string
  /**
   * The step.
   */
  type: 'upscale'
  /**
   * Width after the step, pixels.
   */
  width: number
}
/**
 * The refiner a run used.
 */
export interface AppliedRefiner {
  /**
   * ensemble: where the base handed over (0..1).
   */
  high_noise_frac: number | null
  /**
   * Registry id.
   */
  id: string
  /**
   * ensemble or img2img.
   */
  mode: 'ensemble' | 'img2img'
  /**
   * img2img: the strength.
   */
  strength: number | null
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
  /**
   * Every image of the batch, index order (media_output is the first).
   */
  media_outputs?: MediaOutput[]
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
  mime_type: 'image/png' | 'image/jpeg' | 'image/webp'
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
  summary: LocalizedTextOut
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
 * GET /api/models/device-status / worker action get_vram_model_status.
 */
export interface DeviceStatusRequest {
  /**
   * Seed 001 field, echoed, not interpreted.
   */
  coordination_mode?: string | null
  /**
   * Device; default: the server's device.
   */
  device_id?: string | null
  /**
   * Add each loaded model's bytes.
   */
  include_memory_usage?: boolean
}
/**
 * 200 of GET /api/models/device-status: device memory and what is loaded (seed 001's get_vram_model_status).
 */
export interface DeviceStatusResponse {
  /**
   * DEVSERVER_MODEL_CACHE_BYTES or the measured default.
   */
  cache_budget_bytes: number
  /**
   * Bytes of all loaded models.
   */
  cache_used_bytes: number
  /**
   * Echo of the request field.
   */
  coordination_mode: string | null
  /**
   * The device.
   */
  device_id: string
  /**
   * cpu, cuda or mps.
   */
  device_type: string
  /**
   * Free (CPU: MemAvailable; GPU: torch.cuda.mem_get_info).
   */
  free_memory_bytes: number
  /**
   * Weights read from disk since start (all models).
   */
  load_count: number
  /**
   * Loaded models, most recently used first.
   */
  models: LoadedModelMemory[] | null
  /**
   * Outcome of this request.
   */
  status: 'success'
  /**
   * Device memory (CPU: MemTotal).
   */
  total_memory_bytes: number
  /**
   * Used (CPU: MemTotal - MemAvailable).
   */
  used_memory_bytes: number
}
/**
 * One loaded model in the device status.
 */
export interface LoadedModelMemory {
  /**
   * Jobs using it now.
   */
  active_sessions: number
  /**
   * ISO 8601 UTC time of its last use.
   */
  last_used: string
  /**
   * How often its weights were read from disk.
   */
  load_count: number
  /**
   * ISO 8601 UTC time.
   */
  loaded_at: string
  /**
   * Bytes of its parameters (GPU: allocated delta).
   */
  memory_usage_bytes: number
  /**
   * Registry id (or the source for models outside the registry).
   */
  model_id: string
}
/**
 * The answer to a generation request (seed 000's response schema, with status and error_code added). Fields
 * without a value are left out (the seed's schema types them as strings, not null).
 */
export interface EnhancedSdxlResponse {
  /**
   * Images and metrics (null for errors before any run).
   */
  data?: GenerationData | null
  /**
   * Human sentence when success is false.
   */
  error?: string | null
  /**
   * snake_case code when success is false (blocked, validation_error, unknown_model, family_mismatch, ...).
   */
  error_code?: string | null
  /**
   * The request's request_id (a new UUID4 when the request had none).
   */
  request_id: string
  /**
   * success, blocked (a safety stage stopped it) or error.
   */
  status: 'success' | 'blocked' | 'error'
  /**
   * True when the images were made.
   */
  success: boolean
  /**
   * What was ignored or left out, and why.
   */
  warnings?: string[]
}
/**
 * ``data`` of a generation answer.
 */
export interface GenerationData {
  /**
   * Set when a safety stage stopped the request.
   */
  blocked?: BlockedOut | null
  /**
   * The images (empty when blocked).
   */
  generated_images: GeneratedImage[]
  processing_metrics: ProcessingMetrics
  /**
   * The run folder of the request.
   */
  run_id?: string | null
}
/**
 * Why the safety stages stopped a request (nothing was generated).
 */
export interface BlockedOut {
  /**
   * Terms found (may be empty).
   */
  found_terms: string[]
  /**
   * Human sentence.
   */
  reason: string
  /**
   * 1 (raw text), 3 (final prompt) or 4 (the image check).
   */
  stage: number
}
/**
 * One generated image.
 */
export interface GeneratedImage {
  /**
   * The file, base64-encoded.
   */
  image_data: string
  /**
   * Path of the file relative to the exports folder: json/<run_id>/<file>.
   */
  image_path: string
  metadata: GeneratedImageMetadata
}
/**
 * One image's parameters.
 */
export interface GeneratedImageMetadata {
  /**
   * File format of image_data.
   */
  format: 'png' | 'jpeg' | 'webp'
  /**
   * Classifier-free guidance scale.
   */
  guidance_scale: number
  /**
   * Height in pixels.
   */
  height: number
  /**
   * Index within the batch (and the run).
   */
  index: number
  model_info: ModelInfoOut
  /**
   * The run the image belongs to (its folder holds everything).
   */
  run_id: string
  /**
   * Scheduler (diffusers name without 'Scheduler').
   */
  scheduler: string
  /**
   * The seed that reproduces this image.
   */
  seed: number
  /**
   * num_inference_steps.
   */
  steps: number
  /**
   * Relative URL of the image on the HTTP API.
   */
  url: string
  /**
   * Width in pixels (after post-processing).
   */
  width: number
}
/**
 * Which models made an image (seed 000's model_info).
 */
export interface ModelInfoOut {
  /**
   * Registry id of the base model (or its output config id).
   */
  base_model: string
  /**
   * ControlNets: {id, weight, guidance_start, guidance_end, preprocessor, image_id}.
   */
  controlnets?: {
    [k: string]: unknown
  }[]
  /**
   * LoRAs: {id, weight, source}.
   */
  loras?: {
    [k: string]: unknown
  }[]
  /**
   * Upscale steps: {type, model, factor, width, height}.
   */
  post_processing?: {
    [k: string]: unknown
  }[]
  /**
   * Registry id of the refiner, if any.
   */
  refiner_model?: string | null
  /**
   * Registry id of the swapped-in VAE, if any.
   */
  vae_model?: string | null
}
/**
 * Timing and memory of one request.
 */
export interface ProcessingMetrics {
  /**
   * Bytes: GPU memory allocated (CUDA), else the bytes of the models loaded in this process.
   */
  device_memory_used: number
  /**
   * The device: cpu, mps or the CUDA device's name.
   */
  device_name: string
  /**
   * Seconds the diffusion pipelines and post-processing took.
   */
  inference_time: number
  /**
   * Seconds from receiving the message to the answer.
   */
  total_time: number
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
   * image_id of an upload: present => img2img (inpainting with mask_image).
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
   * Inpainting: image_id of an uploaded mask (white = repaint, black = keep; any mode and size, converted to greyscale and resized to the input image). Needs input_image.
   */
  mask_image?: string | null
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
   * Images to make (default 1); image i uses seed + i and is pixel-identical to a single run with that seed (they are made one by one).
   */
  batch_size?: number | null
  /**
   * guidance_scale (classifier-free guidance).
   */
  cfg?: number | null
  /**
   * ControlNets with their conditioning images.
   */
  controlnets?:
    [] | [ControlNetSpec] | [ControlNetSpec, ControlNetSpec] | [ControlNetSpec, ControlNetSpec, ControlNetSpec] | null
  /**
   * Image height in pixels; a multiple of 8.
   */
  height?: number | null
  /**
   * LoRAs with their weights.
   */
  loras?:
    | []
    | [LoraSpec]
    | [LoraSpec, LoraSpec]
    | [LoraSpec, LoraSpec, LoraSpec]
    | [LoraSpec, LoraSpec, LoraSpec, LoraSpec]
    | [LoraSpec, LoraSpec, LoraSpec, LoraSpec, LoraSpec]
    | null
  /**
   * Inpainting only: feathering of the mask's edge, in pixels (Gaussian blur radius; default 4). Beyond 3 x mask_blur + 1 px from the painted area the photo stays exactly as it was.
   */
  mask_blur?: number | null
  /**
   * What the image should avoid.
   */
  negative_prompt?: string | null
  /**
   * File format of the images (default png; png keeps the provenance in text chunks, jpeg and webp in EXIF).
   */
  output_format?: ('png' | 'jpeg' | 'webp') | null
  /**
   * Inpainting only: repaint just a crop around the painted area, with this margin in pixels, at the full output resolution, then paste it back (diffusers' padding_mask_crop; more detail for small areas). Omitted: the whole image is processed.
   */
  padding_mask_crop?: number | null
  /**
   * Steps after generation (upscale), in order.
   */
  post_processing?: [] | [PostProcessingStep] | [PostProcessingStep, PostProcessingStep] | null
  /**
   * jpeg/webp quality 1-100 (default 95).
   */
  quality?: number | null
  /**
   * SDXL refiner: ensemble (base to high_noise_frac, the refiner finishes) or img2img on the finished image.
   */
  refiner?: RefinerSpec | null
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
   * Registry id or alias of a VAE to decode with instead of the model's own.
   */
  vae?: string | null
  /**
   * Image width in pixels; a multiple of 8.
   */
  width?: number | null
}
/**
 * One ControlNet with its conditioning image (an upload), preprocessed or used as it is.
 */
export interface ControlNetSpec {
  /**
   * Share of the steps after which it stops (0..1).
   */
  guidance_end?: number
  /**
   * Share of the steps after which it starts (0..1).
   */
  guidance_start?: number
  /**
   * canny: upper hysteresis threshold (0-255).
   */
  high_threshold?: number
  /**
   * Registry id or alias of a ControlNet of the base model's family.
   */
  id: string
  /**
   * image_id of the uploaded conditioning image (POST /api/media/upload/image).
   */
  image_id: string
  /**
   * canny: lower hysteresis threshold (0-255).
   */
  low_threshold?: number
  /**
   * none: the image is the condition as it is; canny: OpenCV's Canny edge map of it.
   */
  preprocessor?: 'none' | 'canny'
  /**
   * controlnet_conditioning_scale 0..2.
   */
  weight?: number
}
/**
 * One LoRA applied to the base model's UNet and text encoders, with its weight.
 */
export interface LoraSpec {
  /**
   * Registry id or alias of a LoRA of the base model's family.
   */
  id: string
  /**
   * Adapter weight -2..2 (0 = no effect, negative inverts).
   */
  weight?: number
}
/**
 * A step after generation; only ``upscale`` for now.
 */
export interface PostProcessingStep {
  /**
   * Scale factor: the output is exactly factor x the size.
   */
  factor?: 2 | 4
  /**
   * Registry id or alias of an upscaler (ESRGAN, Real-ESRGAN, SwinIR, SPAN, ... loaded by spandrel), or 'lanczos' (Pillow, always available).
   */
  model?: string
  /**
   * What the step does.
   */
  type: 'upscale'
}
/**
 * An SDXL refiner: as the second expert of an ensemble (default), or as img2img on the finished image.
 */
export interface RefinerSpec {
  /**
   * ensemble: share of the steps the base runs (denoising_end of the base, denoising_start of the refiner).
   */
  high_noise_frac?: number
  /**
   * Registry id or alias of an SDXL refiner.
   */
  id: string
  /**
   * ensemble: the base denoises to high_noise_frac and hands its latents over; img2img: the refiner reworks the finished image with `strength`.
   */
  mode?: 'ensemble' | 'img2img'
  /**
   * img2img: how much of the finished image is redone.
   */
  strength?: number
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
   * Every image of the batch, index order, each with its own seed (media_output is the first).
   */
  media_outputs?: MediaOutput[]
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
   * Inpainting: image_id of an uploaded mask (white = repaint, black = keep). Needs input_image.
   */
  mask_image?: string | null
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
   * Every image of the batch, index order, each with its own seed (media_output is the first).
   */
  media_outputs?: MediaOutput[]
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
 * GET /api/models/<id> / worker action get_model_info.
 */
export interface GetModelRequest {
  /**
   * Add components and detection evidence.
   */
  include_components?: boolean
  /**
   * Add the editable metadata.
   */
  include_metadata?: boolean
  /**
   * Add usage history and benchmarks.
   */
  include_performance?: boolean
  /**
   * Add memory and device requirements.
   */
  include_requirements?: boolean
  /**
   * Registry id or alias.
   */
  model_id: string
}
/**
 * 200 of GET /api/models/<id>.
 */
export interface GetModelResponse {
  /**
   * Stored benchmarks, newest first (include_performance).
   */
  benchmarks: BenchmarkRecord[] | null
  compatibility: CompatibilityInfo
  /**
   * Its state per device.
   */
  device_status: DeviceModelStatus[]
  model: ModelInfo
  /**
   * What it needs (include_requirements).
   */
  requirements: ModelRequirements | null
  /**
   * Outcome of this request.
   */
  status: 'success'
  /**
   * Usage history (include_performance).
   */
  usage_stats: UsageStats | null
}
/**
 * One stored benchmark.
 */
export interface BenchmarkRecord {
  /**
   * Id of the stored benchmark.
   */
  benchmark_id: number
  /**
   * ISO 8601 UTC time.
   */
  benchmarked_at: string
  /**
   * Device it ran on.
   */
  device: string
  /**
   * One row per configuration.
   */
  results: BenchmarkResult[]
}
/**
 * Whether the model fits this server.
 */
export interface CompatibilityInfo {
  /**
   * Families it works with.
   */
  compatible_families: ('sd1' | 'sd2' | 'sdxl' | 'sd3' | 'flux' | 'unknown')[]
  /**
   * This server's device type.
   */
  device_type: string
  /**
   * It can be loaded here (available and fits the device memory).
   */
  is_compatible: boolean
  /**
   * Why not, or notes (empty when all is well).
   */
  reasons: string[]
}
/**
 * The model's state on one device.
 */
export interface DeviceModelStatus {
  /**
   * Jobs using it right now.
   */
  active_sessions: number
  /**
   * Device id, e.g. cpu or cuda:0.
   */
  device_id: string
  /**
   * ISO 8601 UTC time it was loaded.
   */
  loaded_at: string | null
  /**
   * Bytes it uses there while loaded.
   */
  memory_usage_bytes: number | null
  /**
   * Its status there.
   */
  status: 'not_loaded' | 'loading' | 'loaded' | 'error'
}
/**
 * One registry entry: a model on disk, its detected kind, its state.
 */
export interface ModelInfo {
  /**
   * Names it also answers to (metadata aliases, output configs' hub ids).
   */
  aliases: string[]
  /**
   * Why not (refused pickle, corrupt file, ...); null if available.
   */
  availability_reason: string | null
  /**
   * Whether it can be loaded here.
   */
  available: boolean
  /**
   * Latest benchmark (include_metrics / include_performance).
   */
  benchmark?: BenchmarkSummary | null
  /**
   * Components (include_details).
   */
  components?: ModelComponent[] | null
  /**
   * Detection evidence (include_details).
   */
  detection?: DetectionInfo | null
  /**
   * Model family (admin override, else detected).
   */
  family: 'sd1' | 'sd2' | 'sdxl' | 'sd3' | 'flux' | 'unknown'
  /**
   * diffusers folder, safetensors file, pth (upscalers) or pickle.
   */
  format: 'diffusers' | 'safetensors' | 'pth' | 'pickle'
  /**
   * Stable registry id derived from the path (use it in requests).
   */
  id: string
  /**
   * Bytes used while loaded, null when not loaded.
   */
  memory_usage_bytes: number | null
  /**
   * Editable metadata (include_details / include_metadata).
   */
  metadata?: ModelMetadata | null
  /**
   * Display name (metadata display_name, else the file or folder name).
   */
  name: string
  /**
   * Output config ids whose weights are this model.
   */
  output_configs: string[]
  /**
   * Metadata rating 0-5.
   */
  rating: number | null
  /**
   * Bytes on disk.
   */
  size_bytes: number
  /**
   * Path relative to the models folder.
   */
  source_path: string
  /**
   * not_loaded, loading, loaded or error.
   */
  status: 'not_loaded' | 'loading' | 'loaded' | 'error'
  /**
   * Metadata tags.
   */
  tags: string[]
  /**
   * Model type (admin override, else detected); null if unknown.
   */
  type: ('checkpoint' | 'refiner' | 'vae' | 'lora' | 'controlnet' | 'upscaler') | null
  /**
   * Usage history (include_metrics / include_performance).
   */
  usage?: UsageStats | null
}
/**
 * The latest stored benchmark, condensed.
 */
export interface BenchmarkSummary {
  /**
   * ISO 8601 UTC time of the benchmark.
   */
  benchmarked_at: string
  /**
   * Device it ran on.
   */
  device: string
  /**
   * Denoising steps per second of that configuration.
   */
  it_per_s: number | null
  /**
   * WIDTHxHEIGHT of that configuration.
   */
  resolution: string
  /**
   * Seconds per image of the smallest configuration measured.
   */
  s_per_image: number
}
/**
 * One component of a diffusers folder (unet, vae, text_encoder, ...) or the single file.
 */
export interface ModelComponent {
  /**
   * Its class, e.g. UNet2DConditionModel; null when unknown.
   */
  class_name: string | null
  /**
   * Tensor count per stored dtype, e.g. {'F32': 120}.
   */
  dtypes: {
    [k: string]: number
  }
  /**
   * Component name, e.g. unet; 'weights' for a single file.
   */
  name: string
  /**
   * Bytes of its tensors as stored (from safetensors headers).
   */
  parameter_bytes: number
  /**
   * Bytes on disk of its files.
   */
  size_bytes: number
}
/**
 * What the registry found in the file(s): the evidence behind type and family.
 */
export interface DetectionInfo {
  /**
   * Families this model can be used with.
   */
  compatible_families: ('sd1' | 'sd2' | 'sdxl' | 'sd3' | 'flux' | 'unknown')[]
  /**
   * Family read from the files (unknown when they do not tell).
   */
  detected_family: 'sd1' | 'sd2' | 'sdxl' | 'sd3' | 'flux' | 'unknown'
  /**
   * Type read from the files; null when they do not tell.
   */
  detected_type: ('checkpoint' | 'refiner' | 'vae' | 'lora' | 'controlnet' | 'upscaler') | null
  /**
   * Sentences naming the keys, classes and config values that decided.
   */
  evidence: string[]
  /**
   * An admin set the family by hand in the metadata.
   */
  family_overridden: boolean
  /**
   * An admin set the type by hand in the metadata.
   */
  type_overridden: boolean
  /**
   * A finer kind, e.g. inpainting, xl_base, or an upscaler architecture.
   */
  variant: string | null
}
/**
 * Teacher-editable facts about a model (stored in SQLite beside the queue).
 */
export interface ModelMetadata {
  /**
   * Other names requests may use, e.g. a Hugging Face id.
   */
  aliases: string[]
  /**
   * Who made or published it.
   */
  author: string | null
  /**
   * What the model is good for.
   */
  description: string
  /**
   * Name shown instead of the file name.
   */
  display_name: string | null
  /**
   * Family set by hand (wins over detection).
   */
  family_override: ('sd1' | 'sd2' | 'sdxl' | 'sd3' | 'flux' | 'unknown') | null
  /**
   * Its licence, e.g. CreativeML Open RAIL++-M.
   */
  license: string | null
  /**
   * Load configuration kept by an optimize run (applied on the next load), null if none.
   */
  load_configuration: {
    [k: string]: unknown
  } | null
  /**
   * Relative URL of the preview image, null if none.
   */
  preview_url: string | null
  /**
   * Rating 0-5 given by a teacher.
   */
  rating: number | null
  /**
   * Free keywords (lower case).
   */
  tags: string[]
  /**
   * Words that activate a LoRA's style.
   */
  trigger_words: string[]
  /**
   * Type set by hand (wins over detection).
   */
  type_override: ('checkpoint' | 'refiner' | 'vae' | 'lora' | 'controlnet' | 'upscaler') | null
  /**
   * ISO 8601 UTC time of the last edit, null if never edited.
   */
  updated_at: string | null
  /**
   * Its version string.
   */
  version: string | null
}
/**
 * How often the model was used for learners' images.
 */
export interface UsageStats {
  /**
   * ISO 8601 UTC time of the last image, null if never.
   */
  last_used: string | null
  /**
   * Mean generation time over all runs, in milliseconds.
   */
  mean_generation_ms: number | null
  /**
   * Per output config id: {'runs': n, 'mean_generation_ms': ms}.
   */
  per_output_config: {
    [k: string]: {
      [k: string]: number
    }
  }
  /**
   * Images generated with it.
   */
  runs: number
}
/**
 * What the model needs to run here.
 */
export interface ModelRequirements {
  /**
   * Devices it can run on (cpu, cuda, mps).
   */
  device_types: string[]
  /**
   * dtype the weights are loaded in on this device (auto precision).
   */
  load_dtype: string
  /**
   * Estimated memory of the loaded weights in the load dtype, bytes.
   */
  memory_bytes: number
  /**
   * Other things it needs, e.g. a base checkpoint of the same family.
   */
  needs: string[]
}
/**
 * GET /api/models/<id>/status.
 */
export interface GetModelStatusRequest {
  /**
   * Device; default: the server's device.
   */
  device_id?: string | null
  /**
   * Add memory figures.
   */
  include_memory_usage?: boolean
  /**
   * Add performance figures.
   */
  include_performance?: boolean
  /**
   * Add active_sessions.
   */
  include_sessions?: boolean
  /**
   * Registry id or alias.
   */
  model_id: string
}
/**
 * 200 of GET /api/models/<id>/status.
 */
export interface GetModelStatusResponse {
  /**
   * Jobs using it right now (include_sessions).
   */
  active_sessions: number | null
  /**
   * The device.
   */
  device_id: string
  /**
   * 1 = available and loaded without errors; lower for problems.
   */
  health_score: number
  /**
   * ISO 8601 UTC time of the last state change.
   */
  last_updated: string
  /**
   * parameter_bytes, rss_growth_bytes (include_memory_usage).
   */
  memory_usage: {
    [k: string]: number
  } | null
  /**
   * The registry id.
   */
  model_id: string
  /**
   * not_loaded, loading, loaded or error.
   */
  model_status: 'not_loaded' | 'loading' | 'loaded' | 'error'
  /**
   * Optimizations active while loaded.
   */
  optimizations_applied: string[]
  /**
   * From the latest benchmark and usage.
   */
  performance_metrics: {
    [k: string]: number
  } | null
  /**
   * Outcome of this request.
   */
  status: 'success'
  /**
   * One sentence for people.
   */
  status_description: string
}
/**
 * 200 of GET /api/health.
 */
export interface HealthResponse {
  default_model: DefaultModelStatus
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
 * Whether the default output config's model is loaded (warm): until it is, the first image waits for it.
 */
export interface DefaultModelStatus {
  /**
   * While not ready: rough seconds until it is (the output config's estimated_load_s minus the time loading has taken so far, at least 1); null when ready.
   */
  estimated_wait_s: number | null
  /**
   * Its weights are being loaded right now (the server warms it up at start).
   */
  loading: boolean
  /**
   * The default output config id.
   */
  output_config: string
  /**
   * Its weights are loaded: an image starts at once.
   */
  ready: boolean
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
 * 202 of POST /v1/jobs: the job is queued (the same queue as the studio's runs).
 */
export interface JobApiAccepted {
  /**
   * The job's id (UUID4; also the run_id of its run folder).
   */
  job_id: string
  /**
   * Place in the queue when submitted: 1 = runs next.
   */
  position: number
  /**
   * Outcome: the job waits in the queue.
   */
  status: 'queued'
  /**
   * Relative URL of the job's Server-Sent Events stream: /v1/jobs/<id>/stream.
   */
  stream_url: string
}
/**
 * ``data`` of the stream's ``blocked`` event: a safety stage stopped the job; nothing was generated (stage 1
 * and 3) or kept (stage 4, the output image check).
 */
export interface JobApiBlocked {
  /**
   * Listed terms found (may be empty).
   */
  found_terms: string[]
  /**
   * The job's id.
   */
  job_id: string
  /**
   * Why, in a human sentence.
   */
  reason: string
  /**
   * The stage that blocked: 1 and 3 check the prompts, 4 the image.
   */
  stage: number
  /**
   * The job's status.
   */
  status: 'blocked'
}
/**
 * ``data`` of the stream's ``complete`` event: the image.
 */
export interface JobApiComplete {
  /**
   * Height in pixels.
   */
  height: number
  /**
   * The image: base64 of the PNG (with its provenance text chunks).
   */
  image: string
  /**
   * The job's id.
   */
  job_id: string
  /**
   * MIME type of `image`.
   */
  mime_type: 'image/png'
  /**
   * The output config that made it.
   */
  model: string
  /**
   * The seed that reproduces the image.
   */
  seed: number
  /**
   * The job's status.
   */
  status: 'success'
  /**
   * Relative URL of the same PNG in the run folder (/api/media/image/<id>/<index>).
   */
  url: string
  /**
   * Width in pixels.
   */
  width: number
}
/**
 * ``data`` of the stream's ``error`` or ``canceled`` event.
 */
export interface JobApiFailed {
  error: JobApiError
  /**
   * The job's id.
   */
  job_id: string
  /**
   * The job's status.
   */
  status: 'error' | 'canceled'
}
/**
 * An error inside :class:`JobApiFailed`.
 */
export interface JobApiError {
  /**
   * snake_case code, e.g. generation_failed, canceled, interrupted.
   */
  code: string
  /**
   * Human sentence.
   */
  message: string
}
/**
 * POST /v1/jobs.
 */
export interface JobApiRequest {
  operation: SDOperation
}
/**
 * One operation of the seed's job API: txt2img (SDGenerate), img2img (SDImg2Img) or inpainting (SDInpaint).
 */
export interface SDOperation {
  /**
   * Classifier-free guidance; omitted: the model's default.
   */
  guidance_scale?: number | null
  /**
   * Height in pixels (multiple of 8; 16 for SD 3 and Flux).
   */
  height?: number | null
  /**
   * SDImg2Img and SDInpaint: the photo, base64 PNG or JPEG (WEBP too), checked like an upload (size limit, decompression-bomb limit).
   */
  image?: string | null
  /**
   * Language of the prompt (the safety filters read German and English; de asks stage 3b to translate where the server's level does that).
   */
  language?: 'de' | 'en'
  /**
   * SDInpaint: the mask, base64 PNG or JPEG; white = repaint, black = keep; resized to the photo.
   */
  mask?: string | null
  /**
   * SDInpaint: feathering of the mask edge, in pixels (default 4).
   */
  mask_blur?: number | null
  /**
   * Output config id (GET /api/schema/output-configs) or a model registry id or alias (GET /api/models) with an output config; never a path. Omitted: the server's default model.
   */
  model?: string | null
  /**
   * What to avoid; omitted: the model's default negative prompt.
   */
  negative_prompt?: string | null
  /**
   * What to draw (checked by the safety stages 1 and 3c like every prompt).
   */
  prompt: string
  /**
   * Seed; omitted: the server draws one and sends it with the image.
   */
  seed?: number | null
  /**
   * num_inference_steps; omitted: the model's default.
   */
  steps?: number | null
  /**
   * SDImg2Img and SDInpaint: how strongly the photo is changed (0..1]; omitted: the model's default.
   */
  strength?: number | null
  /**
   * SDGenerate (text to image), SDImg2Img (change a photo) or SDInpaint (repaint the white area of `mask` in `image`).
   */
  type: 'SDGenerate' | 'SDImg2Img' | 'SDInpaint'
  /**
   * Width in pixels (multiple of 8; 16 for SD 3 and Flux). SDImg2Img and SDInpaint: with height the box the photo is fitted into.
   */
  width?: number | null
}
/**
 * GET /api/models (query parameters) / worker action list_models: filter, sort and page the registry.
 */
export interface ListModelsRequest {
  /**
   * Only models loaded on this device (e.g. cpu, cuda:0).
   */
  device_id?: string | null
  /**
   * Add detection evidence, components and metadata.
   */
  include_details?: boolean
  /**
   * Add usage history and the latest benchmark.
   */
  include_metrics?: boolean
  /**
   * Only models of this type.
   */
  model_type?: ('checkpoint' | 'refiner' | 'vae' | 'lora' | 'controlnet' | 'upscaler') | null
  /**
   * Page number, 1-based.
   */
  page?: number
  /**
   * Models per page.
   */
  page_size?: number
  /**
   * Case-insensitive text in id, name, tags, description.
   */
  search_query?: string | null
  /**
   * Sort key; performance = latest benchmark s/image (unbenchmarked last).
   */
  sort_by?: 'name' | 'type' | 'size' | 'rating' | 'performance'
  /**
   * asc or desc.
   */
  sort_direction?: 'asc' | 'desc'
  /**
   * Only models in this status.
   */
  status?: ('not_loaded' | 'loading' | 'loaded' | 'error') | null
}
/**
 * 200 of GET /api/models.
 */
export interface ListModelsResponse {
  /**
   * The models of this page.
   */
  models: ModelInfo[]
  /**
   * This page.
   */
  page: number
  /**
   * Models per page.
   */
  page_size: number
  /**
   * Outcome of this request.
   */
  status: 'success'
  /**
   * Matching models per status.
   */
  status_distribution: {
    [k: string]: number
  }
  /**
   * Models matching the filters (all pages).
   */
  total_count: number
  /**
   * Pages in total.
   */
  total_pages: number
  /**
   * Matching models per type ('unknown' for untyped).
   */
  type_distribution: {
    [k: string]: number
  }
}
/**
 * POST /api/models/<id>/load (admin) / worker action load_model.
 */
export interface LoadModelRequest {
  configuration?: ModelLoadConfiguration
  /**
   * Device to load on; default: the server's device.
   */
  device_id?: string | null
  /**
   * Reload even if loaded; load past the memory budget when nothing can be evicted.
   */
  force?: boolean
  /**
   * Registry id or alias.
   */
  model_id: string
  /**
   * high: never evicted while other idle models can go (LRU otherwise).
   */
  priority?: 'low' | 'normal' | 'high'
  /**
   * Give up waiting after this many seconds.
   */
  timeout_seconds?: number
  /**
   * false: answer 202 at once; a 'model_load' job reports progress.
   */
  wait_for_completion?: boolean
}
/**
 * How to load: precision and optimizations (seed 001's ModelLoadConfiguration).
 */
export interface ModelLoadConfiguration {
  /**
   * Free parameters (stored, not interpreted).
   */
  custom_parameters?: {
    [k: string]: unknown
  }
  memory_optimization?: MemoryOptimization
  performance_optimization?: PerformanceOptimization
  /**
   * auto (float16 on GPU, float32 on CPU), float32, float16, bfloat16; int8/int4 are refused (422).
   */
  precision?: 'auto' | 'float32' | 'float16' | 'bfloat16' | 'int8' | 'int4'
}
/**
 * Memory-saving options applied after loading (diffusers' memory guide).
 */
export interface MemoryOptimization {
  /**
   * pipe.enable_attention_slicing(): attention in slices.
   */
  attention_slicing?: boolean
  /**
   * enable_model_cpu_offload(): needs an accelerator.
   */
  cpu_offload?: boolean
  /**
   * CUDA only: cap this process's share of GPU memory.
   */
  memory_fraction?: number | null
  /**
   * pipe.vae.enable_slicing(): decode a batch one image at a time.
   */
  vae_slicing?: boolean
  /**
   * pipe.vae.enable_tiling(): decode large images in tiles.
   */
  vae_tiling?: boolean
}
/**
 * Speed options applied after loading.
 */
export interface PerformanceOptimization {
  /**
   * UNet and VAE in channels_last memory format.
   */
  channels_last?: boolean
  /**
   * CUDA only: prefer the flash SDPA kernel.
   */
  flash_attention?: boolean
  /**
   * Not supported here (listed for seed 001 compatibility).
   */
  onnx?: boolean
  /**
   * Scaled dot-product attention (torch 2's fused attention; the default).
   */
  sdpa?: boolean
  /**
   * Not supported here (listed for seed 001 compatibility).
   */
  tensorrt?: boolean
  /**
   * torch.compile the UNet (long first call per image size).
   */
  torch_compile?: boolean
}
/**
 * 200 of POST /api/models/<id>/load.
 */
export interface LoadModelResponse {
  /**
   * It was loaded before this request.
   */
  already_loaded: boolean
  /**
   * Where it is loaded.
   */
  device_id: string
  /**
   * Idle models unloaded to make room (LRU).
   */
  evicted_models: string[]
  /**
   * Time spent reading weights (0 when it was already loaded).
   */
  load_time_ms: number
  /**
   * ISO 8601 UTC time it was loaded.
   */
  loaded_at: string
  /**
   * Bytes of its parameters and buffers (GPU: allocated delta).
   */
  memory_usage_bytes: number
  /**
   * One sentence for people.
   */
  message: string
  /**
   * The registry id.
   */
  model_id: string
  /**
   * Optimizations now active.
   */
  optimizations_applied: string[]
  /**
   * CPU: measured growth of the process RSS during the load.
   */
  rss_growth_bytes: number | null
  /**
   * Outcome of this request.
   */
  status: 'success'
  /**
   * The model is loaded.
   */
  success: boolean
  /**
   * What was not applied and why; evictions; budget notes.
   */
  warnings: string[]
}
/**
 * 202 of optimize/benchmark/load without waiting: the job is queued (FIFO with learners' runs).
 */
export interface ModelJobAccepted {
  /**
   * SSE stream: queued, started, progress {step, total_steps}, complete {result} | error | canceled.
   */
  events_url: string
  /**
   * The job's id (UUID4), a run_id of the shared queue.
   */
  job_id: string
  /**
   * What the job does.
   */
  kind: 'model_benchmark' | 'model_optimize' | 'model_load'
  /**
   * The registry id.
   */
  model_id: string
  /**
   * Place in the queue: 1 = next.
   */
  position: number
  /**
   * The job waits in the queue.
   */
  status: 'queued'
  /**
   * GET: the job's state and result.
   */
  status_url: string
}
/**
 * SSE ``complete`` of a model job (terminal).
 */
export interface ModelJobCompleteEvent {
  /**
   * The job's result.
   */
  result: BenchmarkModelResponse | OptimizeModelResponse | LoadModelResponse
}
/**
 * The result of an optimize job (also the complete event's ``result``).
 */
export interface OptimizeModelResponse {
  after: Measurement
  before: Measurement
  /**
   * Largest per-pixel difference (0-255) for the same seed.
   */
  image_max_diff_levels: number
  /**
   * Mean per-pixel difference (0-255).
   */
  image_mean_diff_levels: number
  /**
   * Within tolerance: kept; else reverted.
   */
  kept: boolean
  /**
   * As requested.
   */
  level: 'none' | 'basic' | 'balanced' | 'aggressive' | 'maximum'
  /**
   * One sentence for people.
   */
  message: string
  /**
   * The registry id.
   */
  model_id: string
  /**
   * Duration of the whole job.
   */
  optimization_time_ms: number
  /**
   * Optimizations still active (empty when reverted).
   */
  optimizations_kept: string[]
  /**
   * Optimizations applied for the measurement.
   */
  optimizations_tried: string[]
  /**
   * ISO 8601 UTC time.
   */
  optimized_at: string
  /**
   * Optimizations not applicable here, with why.
   */
  skipped: string[]
  /**
   * before.s_per_image / after.s_per_image.
   */
  speedup: number
  /**
   * Outcome.
   */
  status: 'success'
  /**
   * The optimization run finished (kept or reverted).
   */
  success: boolean
  /**
   * As requested.
   */
  target: 'speed' | 'memory' | 'quality' | 'balanced'
  /**
   * The rule for keeping the result.
   */
  tolerance: string
  /**
   * Notes.
   */
  warnings: string[]
}
/**
 * One short fixed run: speed and memory.
 */
export interface Measurement {
  /**
   * Parameter bytes of the loaded model.
   */
  model_memory_bytes: number
  /**
   * Peak memory during the run (CPU: RSS growth; GPU: allocated).
   */
  peak_memory_bytes: number
  /**
   * Seconds for the measuring image.
   */
  s_per_image: number
}
/**
 * 200 of GET /api/models/jobs/<job_id>.
 */
export interface ModelJobStatusResponse {
  /**
   * What went wrong, if it failed.
   */
  error: ModelJobError | null
  /**
   * SSE stream of the job.
   */
  events_url: string
  /**
   * The job's id.
   */
  job_id: string
  /**
   * model_benchmark, model_optimize or model_load.
   */
  kind: string
  /**
   * The registry id.
   */
  model_id: string
  /**
   * 0 running, 1.. queued, null finished.
   */
  position: number | null
  /**
   * Fraction done.
   */
  progress: number
  /**
   * The result once it succeeded.
   */
  result: BenchmarkModelResponse | OptimizeModelResponse | LoadModelResponse | null
  /**
   * The job's state.
   */
  status: 'queued' | 'running' | 'success' | 'error' | 'canceled'
  /**
   * Units done (diffusion steps or runs).
   */
  step: number
  /**
   * Units in total (0 before it starts).
   */
  total_steps: number
}
/**
 * Why a model job failed.
 */
export interface ModelJobError {
  /**
   * snake_case error code.
   */
  code: string
  /**
   * Human sentence.
   */
  message: string
}
/**
 * POST /api/models/<id>/optimize (admin) / worker action optimize_model: runs as a queued job.
 */
export interface OptimizeModelRequest {
  /**
   * Device; default: the server's device.
   */
  device_id?: string | null
  /**
   * How far to go.
   */
  level?: 'none' | 'basic' | 'balanced' | 'aggressive' | 'maximum'
  /**
   * Registry id or alias.
   */
  model_id: string
  /**
   * Kept for seed 001; not used.
   */
  optimized_model_name?: string | null
  /**
   * Optional: tolerance_max_levels (int, default 8), tolerance_mean_levels (float, default 1.0), width/height/steps of the measuring run (default 128x128, 4 steps).
   */
  parameters?: {
    [k: string]: unknown
  }
  /**
   * Keep the accepted optimizations as the model's load configuration.
   */
  save_optimized?: boolean
  /**
   * What to optimise for.
   */
  target?: 'speed' | 'memory' | 'quality' | 'balanced'
  /**
   * With wait_for_completion: how long to wait.
   */
  timeout_seconds?: number
  /**
   * true: answer when the job has finished (200 with the result).
   */
  wait_for_completion?: boolean
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
   * Model family: sd (SD 1.x), sd2, sdxl, sd3 or flux (decides the pipelines, the size multiple and whether the scheduler can be swapped).
   */
  family: 'sd' | 'sdxl' | 'sd3' | 'sd2' | 'flux'
  /**
   * The studio shows it folded away (its display.folded), e.g. a tiny test build of another model family.
   */
  folded?: boolean
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
  modes: OutputModes
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
 * An output config's generation modes (the weights' availability is the config's own `available`).
 */
export interface OutputModes {
  img2img: ModeAvailability
  inpaint: ModeAvailability
  txt2img: ModeAvailability
}
/**
 * Whether an output config's model can run one generation mode.
 */
export interface ModeAvailability {
  /**
   * The family has a pipeline for the mode and the model can run it.
   */
  available: boolean
  /**
   * Why not (None when available), e.g. a dedicated inpainting model.
   */
  reason: string | null
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
 * A progress line while generating.
 */
export interface ProgressMessage {
  /**
   * Always progress.
   */
  message_type: 'progress'
  /**
   * The request it belongs to.
   */
  request_id: string
  /**
   * Denoising steps done (over the whole request).
   */
  step: number
  /**
   * Steps in total.
   */
  total_steps: number
}
/**
 * POST /api/schema/prompt-tokens: how much of `prompt` the output config's model reads.
 */
export interface PromptTokensRequest {
  /**
   * Output config id whose model reads it.
   */
  output_config: string
  /**
   * The stage-3 prompt (what stage 4 receives).
   */
  prompt: string
}
/**
 * 200 of POST /api/schema/prompt-tokens (counted with the model's own tokenizers, no weights loaded).
 */
export interface PromptTokensResponse {
  /**
   * False when the model's tokenizer files are not on this computer.
   */
  countable: boolean
  /**
   * Per text encoder.
   */
  encoders?: EncoderTokens[]
  /**
   * Character offset from which no encoder reads anything (the part the model ignores); null when some encoder reads the whole prompt.
   */
  ignored_from?: number | null
  /**
   * Tokens the first text encoder reads, incl. special tokens.
   */
  max_tokens?: number | null
  /**
   * Output config id.
   */
  output_config: string
  /**
   * Length of the prompt in characters (JavaScript counts UTF-16 units: offsets here are Python characters, i.e. code points).
   */
  prompt_chars: number
  /**
   * Characters every encoder reads (the prompt's start).
   */
  read_chars?: number | null
  /**
   * Why it cannot be counted (English, for teachers).
   */
  reason?: string | null
  /**
   * Outcome.
   */
  status: 'success'
  /**
   * Tokens of the prompt for the first text encoder, including its special tokens.
   */
  token_count?: number | null
  /**
   * Some encoder does not read the whole prompt.
   */
  truncated?: boolean
}
/**
 * One text encoder's view of the prompt (SD 1.x: one CLIP; SDXL: two CLIPs; SD 3: two CLIPs and a T5).
 */
export interface EncoderTokens {
  /**
   * Tokens the encoder reads, including its special tokens (CLIP: 77 = start + 75 + end; SD 3's T5: 256).
   */
  max_tokens: number
  /**
   * Characters of the prompt this encoder reads: the prompt's length, or the offset of the first character of the first token it cuts off.
   */
  read_chars: number
  /**
   * Tokens of the whole prompt, including the special tokens.
   */
  token_count: number
  /**
   * The tokenizer's folder in the model, e.g. tokenizer, tokenizer_2.
   */
  tokenizer: string
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
  /**
   * Celery backend only (absent with the embedded one): the GPU workers with a live heartbeat, by name.
   */
  workers?: WorkerInfo[] | null
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
  kind:
    | 'execute'
    | 'generation'
    | 'model_benchmark'
    | 'model_optimize'
    | 'model_load'
    | 'worker_generation'
    | 'upscale'
    | 'sd_job'
  /**
   * 0 = running, 1.. = place in the queue (1 = next).
   */
  position: number
  /**
   * The run's id; null unless the caller may perform admin operations (knowing a run's id is what lets one see and cancel it).
   */
  run_id: string | null
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
 * A GPU worker of the Celery backend (``devserver worker --celery``), as its heartbeat in Redis tells.
 */
export interface WorkerInfo {
  /**
   * Jobs it runs at the same time.
   */
  concurrency: number
  /**
   * run_ids of the jobs it runs now.
   */
  current_runs: string[]
  /**
   * Seconds since its last heartbeat (Redis server time).
   */
  heartbeat_age_s: number
  /**
   * Output config ids it serves (its Celery queues).
   */
  models: string[]
  /**
   * The worker's name (Celery node name, e.g. gpu1@host).
   */
  name: string
  /**
   * busy while it runs at least one job.
   */
  status: 'busy' | 'idle'
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
 * 200 of POST /api/models/refresh: the models folder was scanned again.
 */
export interface RefreshModelsResponse {
  /**
   * Ids new since the last scan.
   */
  added: string[]
  /**
   * Ids gone since the last scan.
   */
  removed: string[]
  /**
   * Time the scan took.
   */
  scan_time_ms: number
  /**
   * Outcome of this request.
   */
  status: 'success'
  /**
   * Models registered now.
   */
  total_count: number
}
/**
 * 200 of GET /api/runs/<run_id>/detail.
 */
export interface RunDetailResponse {
  run: RunDetail
  /**
   * Outcome of this request.
   */
  status: 'success'
}
/**
 * One run as it was: its inputs, the texts of every stage and the stage reports, for the gallery's
 * detail view and for restoring the studio ("Weiterarbeiten", reload).
 */
export interface RunDetail {
  /**
   * The block, when a safety stage stopped the run.
   */
  blocked: RunBlock | null
  /**
   * Interception config id (the perspective); null for a /generation run.
   */
  config: string | null
  /**
   * The perspective's name in the run's language, as recorded.
   */
  config_name: string | null
  /**
   * ISO 8601 UTC creation time.
   */
  created_at: string
  /**
   * The error record (code, message) of a failed run.
   */
  error: {
    [k: string]: unknown
  } | null
  /**
   * The learner's idea (image mode: the note); null for a /generation run.
   */
  idea: string | null
  /**
   * image_id of the upload the run started from (uploads expire; input_image_url is the run's own copy).
   */
  input_image: string | null
  /**
   * The run's own copy of the input photo (img2img), or null.
   */
  input_image_url: string | null
  /**
   * Stage 2's text (as run, or as the learner edited it).
   */
  interception: string | null
  /**
   * Language of the run's texts.
   */
  language: ('de' | 'en') | null
  /**
   * image_id of the uploaded inpainting mask (uploads expire; mask_image_url is the run's own copy).
   */
  mask_image?: string | null
  /**
   * The run's own copy of its inpainting mask, or null.
   */
  mask_image_url?: string | null
  /**
   * The run's images, oldest first.
   */
  media: MediaOutput[]
  /**
   * txt2img, img2img or inpaint (from the input image and mask); null for a run without an image that never reached stage 4.
   */
  mode: ('txt2img' | 'img2img' | 'inpaint') | null
  /**
   * Stage 3a's text (as optimized, or as the learner edited it).
   */
  optimized_prompt: string | null
  /**
   * Output config id.
   */
  output_config: string | null
  /**
   * The generation parameters the request sent (width, height, steps, cfg, negative_prompt, scheduler, strength; only those sent).
   */
  parameters: {
    [k: string]: unknown
  }
  /**
   * The prompt stage 4 received (null before stage 4).
   */
  prompt: string | null
  /**
   * The rules text the run used (the config's context or the learner's).
   */
  rules: string | null
  /**
   * Whether the rules were the config's own or written/edited by the learner.
   */
  rules_source: ('config' | 'learner') | null
  /**
   * The run's id.
   */
  run_id: string
  /**
   * The server's safety level during the run.
   */
  safety_level: 'kids' | 'youth' | 'adult' | 'research'
  /**
   * Seed of the latest image.
   */
  seed: number | null
  stages: Stages
  /**
   * The run folder's status: success, blocked, error, canceled, in_progress.
   */
  status: string
  /**
   * Small version of the latest image (WebP), or null.
   */
  thumbnail_url: string | null
}
/**
 * Why a run stopped at a safety stage.
 */
export interface RunBlock {
  /**
   * Terms found.
   */
  found_terms?: string[]
  /**
   * The server's sentence (English, for teachers).
   */
  reason: string
  /**
   * The stage that blocked (1, 3, or 4 for the output image check).
   */
  stage: number
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
  mime_type: 'image/png' | 'image/jpeg' | 'image/webp'
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
 * 200 of GET /api/runs?ids=... (and of the teacher's GET /api/teacher/runs): newest first, paged.
 */
export interface RunListResponse {
  /**
   * Requested ids of no run on this server (deleted, or never created: a run that was refused or canceled before it started); the browser may forget them. A run still waiting in the queue has no folder yet: it is neither listed nor missing.
   */
  missing: string[]
  /**
   * This page, 1-based.
   */
  page: number
  /**
   * Runs per page.
   */
  per_page: number
  /**
   * This page's runs, newest first.
   */
  runs: RunSummary[]
  /**
   * Outcome.
   */
  status: 'success'
  /**
   * Runs found in all pages.
   */
  total: number
}
/**
 * One run as the gallery lists it, read from its folder (metadata.json and its text files).
 */
export interface RunSummary {
  /**
   * The block, when a safety stage stopped the run.
   */
  blocked: RunBlock | null
  /**
   * Interception config id (the perspective); null for a /generation run.
   */
  config: string | null
  /**
   * The perspective's name in the run's language, as recorded.
   */
  config_name: string | null
  /**
   * ISO 8601 UTC creation time.
   */
  created_at: string
  /**
   * The learner's idea (image mode: the note); null for a /generation run.
   */
  idea: string | null
  /**
   * The run's own copy of the input photo (img2img), or null.
   */
  input_image_url: string | null
  /**
   * Language of the run's texts.
   */
  language: ('de' | 'en') | null
  /**
   * The run's own copy of its inpainting mask, or null.
   */
  mask_image_url?: string | null
  /**
   * The run's images, oldest first.
   */
  media: MediaOutput[]
  /**
   * txt2img, img2img or inpaint (from the input image and mask); null for a run without an image that never reached stage 4.
   */
  mode: ('txt2img' | 'img2img' | 'inpaint') | null
  /**
   * Output config id.
   */
  output_config: string | null
  /**
   * The prompt stage 4 received (null before stage 4).
   */
  prompt: string | null
  /**
   * Whether the rules were the config's own or written/edited by the learner.
   */
  rules_source: ('config' | 'learner') | null
  /**
   * The run's id.
   */
  run_id: string
  /**
   * Seed of the latest image.
   */
  seed: number | null
  /**
   * The run folder's status: success, blocked, error, canceled, in_progress.
   */
  status: string
  /**
   * Small version of the latest image (WebP), or null.
   */
  thumbnail_url: string | null
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
  kind:
    | 'execute'
    | 'generation'
    | 'model_benchmark'
    | 'model_optimize'
    | 'model_load'
    | 'worker_generation'
    | 'upscale'
    | 'sd_job'
  /**
   * The image, once the run succeeded.
   */
  media_output: MediaOutput | null
  /**
   * Every image of the run's result, index order (a batch: one per image, each with its seed; media_output is the first); empty until the run succeeded.
   */
  media_outputs?: MediaOutput[]
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
 * GET /api/models/search / worker action search_models.
 */
export interface SearchModelsRequest {
  /**
   * Only models that fit these devices.
   */
  compatible_devices?: string[]
  /**
   * Only models needing at most this memory.
   */
  max_memory_bytes?: number | null
  /**
   * Only models rated at least this.
   */
  min_rating?: number | null
  /**
   * Only these types (empty: all).
   */
  model_types?: ('checkpoint' | 'refiner' | 'vae' | 'lora' | 'controlnet' | 'upscaler')[]
  /**
   * Page number, 1-based.
   */
  page?: number
  /**
   * Results per page.
   */
  page_size?: number
  /**
   * Words to look for (fuzzy, case-insensitive).
   */
  query?: string
  /**
   * Fields searched.
   *
   * @minItems 1
   */
  search_fields?: [
    'name' | 'description' | 'tags' | 'author' | 'version',
    ...('name' | 'description' | 'tags' | 'author' | 'version')[]
  ]
  /**
   * Sort key.
   */
  sort_by?: 'relevance' | 'name' | 'size' | 'rating'
  /**
   * Only models having every one of these tags.
   */
  tags?: string[]
}
/**
 * 200 of GET /api/models/search.
 */
export interface SearchModelsResponse {
  /**
   * Hits that fit each device.
   */
  device_compatibility: {
    [k: string]: number
  }
  /**
   * Hit counts per type, family, tag and status.
   */
  facets: {
    [k: string]: {
      [k: string]: number
    }
  }
  /**
   * This page.
   */
  page: number
  /**
   * Hits per page.
   */
  page_size: number
  /**
   * The query as searched.
   */
  query: string
  /**
   * Hits of this page.
   */
  results: SearchResult[]
  /**
   * Time the search took.
   */
  search_time_ms: number
  /**
   * Outcome of this request.
   */
  status: 'success'
  /**
   * Hits on all pages.
   */
  total_count: number
  /**
   * Pages in total.
   */
  total_pages: number
}
/**
 * One search hit.
 */
export interface SearchResult {
  /**
   * Matches per field.
   */
  highlights: Highlight[]
  model: ModelInfo
  /**
   * 1 = exact match in the name.
   */
  relevance_score: number
}
/**
 * Where the query matched in one field (character ranges; the client marks them up).
 */
export interface Highlight {
  /**
   * name, description, tags, author or version.
   */
  field: string
  /**
   * [start, end) character ranges that matched.
   */
  ranges: number[][]
  /**
   * The field's text (tags joined with ', ').
   */
  text: string
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
 * 200 of GET /api/teacher/queue.
 */
export interface TeacherQueueResponse {
  /**
   * Runs the server works on at the same time.
   */
  concurrency: number
  /**
   * Running runs, then queued ones by position.
   */
  jobs: TeacherQueueEntry[]
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
 * A running or waiting run, with what it is about (the teacher sees learners' texts; learners never do).
 */
export interface TeacherQueueEntry {
  /**
   * A cancel was requested while running.
   */
  cancel_requested: boolean
  /**
   * Interception config id of an execute run.
   */
  config: string | null
  /**
   * ISO 8601 UTC time queued.
   */
  created_at: string
  /**
   * The run transforms an uploaded photo (img2img).
   */
  image_mode: boolean
  /**
   * execute (stages 1-4) or generation (stages 3c-4).
   */
  kind:
    | 'execute'
    | 'generation'
    | 'model_benchmark'
    | 'model_optimize'
    | 'model_load'
    | 'worker_generation'
    | 'upscale'
    | 'sd_job'
  /**
   * Output config id, when the request named one.
   */
  output_config: string | null
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
  /**
   * The idea (execute) or the prompt (generation), as sent.
   */
  text: string
}
/**
 * POST /api/models/<id>/unload (admin) / worker action unload_model.
 */
export interface UnloadModelRequest {
  /**
   * Also run the garbage collector and empty the CUDA cache.
   */
  clear_cache?: boolean
  /**
   * Device; default: the server's device.
   */
  device_id?: string | null
  /**
   * Unload even while a job uses it: the job stops at its current diffusion step (error model_unloaded).
   */
  force?: boolean
  /**
   * Registry id or alias.
   */
  model_id: string
  /**
   * How long force waits for the job's step.
   */
  timeout_seconds?: number
  /**
   * Kept for seed 001; unloading always completes before answering.
   */
  wait_for_completion?: boolean
}
/**
 * 200 of POST /api/models/<id>/unload.
 */
export interface UnloadModelResponse {
  /**
   * The garbage collector ran (and the CUDA cache was emptied).
   */
  cache_cleared: boolean
  /**
   * Running jobs stopped at their step by force.
   */
  interrupted_jobs: number
  /**
   * Bytes of parameters released.
   */
  memory_freed_bytes: number
  /**
   * One sentence for people.
   */
  message: string
  /**
   * The registry id.
   */
  model_id: string
  /**
   * Outcome of this request.
   */
  status: 'success'
  /**
   * The model is no longer loaded.
   */
  success: boolean
  /**
   * Time the unload took.
   */
  unload_time_ms: number
  /**
   * ISO 8601 UTC time.
   */
  unloaded_at: string
  /**
   * False when it was not loaded (nothing to do).
   */
  was_loaded: boolean
}
/**
 * PATCH /api/models/<id>/metadata (admin) / worker action update_metadata.
 */
export interface UpdateModelMetadataRequest {
  /**
   * Seed 001 shortcut for metadata.description.
   */
  description?: string | null
  metadata?: MetadataUpdate
  /**
   * Registry id or alias.
   */
  model_id: string
  /**
   * Seed 001 shortcut for metadata.tags.
   */
  tags?: string[] | null
  /**
   * Run validate afterwards and return its checks.
   */
  validate?: boolean
}
/**
 * The editable fields; omitted fields stay, null clears (lists: [] clears).
 */
export interface MetadataUpdate {
  /**
   * Other names (e.g. stabilityai/sdxl-base-1.0); unique across models.
   */
  aliases?:
    | []
    | [string]
    | [string, string]
    | [string, string, string]
    | [string, string, string, string]
    | [string, string, string, string, string]
    | [string, string, string, string, string, string]
    | [string, string, string, string, string, string, string]
    | [string, string, string, string, string, string, string, string]
    | [string, string, string, string, string, string, string, string, string]
    | [string, string, string, string, string, string, string, string, string, string]
    | [string, string, string, string, string, string, string, string, string, string, string]
    | [string, string, string, string, string, string, string, string, string, string, string, string]
    | [string, string, string, string, string, string, string, string, string, string, string, string, string]
    | [string, string, string, string, string, string, string, string, string, string, string, string, string, string]
    | [
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string
      ]
    | [
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string
      ]
    | [
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string
      ]
    | [
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string
      ]
    | [
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string
      ]
    | [
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string
      ]
    | null
  /**
   * Author.
   */
  author?: string | null
  /**
   * What the model is good for.
   */
  description?: string | null
  /**
   * Name shown instead of the file name.
   */
  display_name?: string | null
  /**
   * Set the family by hand.
   */
  family_override?: ('sd1' | 'sd2' | 'sdxl' | 'sd3' | 'flux' | 'unknown') | null
  /**
   * Licence.
   */
  license?: string | null
  /**
   * An uploaded image's id (copied as the preview).
   */
  preview_image_id?: string | null
  /**
   * Rating 0-5.
   */
  rating?: number | null
  /**
   * Keywords.
   */
  tags?: string[] | null
  /**
   * LoRA trigger words.
   */
  trigger_words?: string[] | null
  /**
   * Set the type by hand.
   */
  type_override?: ('checkpoint' | 'refiner' | 'vae' | 'lora' | 'controlnet' | 'upscaler') | null
  /**
   * Version.
   */
  version?: string | null
}
/**
 * 200 of PATCH /api/models/<id>/metadata.
 */
export interface UpdateModelMetadataResponse {
  /**
   * One sentence for people.
   */
  message: string
  /**
   * Outcome of this request.
   */
  status: 'success'
  /**
   * The metadata was stored.
   */
  success: boolean
  /**
   * ISO 8601 UTC time.
   */
  updated_at: string
  /**
   * Fields whose value changed.
   */
  updated_fields: string[]
  updated_model: ModelInfo
  /**
   * validate's checks when requested.
   */
  validation_results: ValidationCheck[] | null
}
/**
 * One check of validate.
 */
export interface ValidationCheck {
  /**
   * Check name, e.g. file_exists, header_readable, not_truncated.
   */
  check: string
  /**
   * What was found.
   */
  detail: string
  /**
   * pass, fail, warn or skip.
   */
  status: 'pass' | 'fail' | 'warn' | 'skip'
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
 * POST /api/media/upscale: make a finished image of a run larger ("Vergrößern 2x/4x"); the result is a new image
 * of the same run.
 */
export interface UpscaleRequest {
  /**
   * True: queue it and answer 202 at once.
   */
  async?: boolean
  /**
   * 2 or 4: the new image is exactly factor x the size.
   */
  factor: 2 | 4
  /**
   * Index of the image within the run.
   */
  index: number
  /**
   * Registry id or alias of an upscaler, or lanczos; default: an installed upscaler of that factor (else any installed one, else lanczos).
   */
  model?: string | null
  /**
   * The run of the image.
   */
  run_id: string
}
/**
 * 200 of POST /api/media/upscale: a finished image made larger, added to its run.
 */
export interface UpscaleResponse {
  /**
   * Time the upscale took, in milliseconds.
   */
  duration_ms: number
  /**
   * Scale factor.
   */
  factor: number
  media_output: MediaOutput
  /**
   * Upscaler registry id, or lanczos.
   */
  model: string
  /**
   * The run (the new image is its latest).
   */
  run_id: string
  /**
   * The image it was made from.
   */
  source_index: number
  /**
   * Outcome.
   */
  status: 'success'
}
/**
 * POST /api/models/<id>/validate / worker action validate_model (reads files only, loads nothing).
 */
export interface ValidateModelRequest {
  /**
   * Check the device can run the stored dtypes at usable speed.
   */
  check_compute?: boolean
  /**
   * Check the GPU driver/runtime (passes on CPU).
   */
  check_driver?: boolean
  /**
   * Compare free device memory with what the model needs.
   */
  check_memory?: boolean
  /**
   * Device to check against; default: the server's device.
   */
  device_id?: string | null
  /**
   * Estimate seconds per image.
   */
  estimate_performance?: boolean
  /**
   * Registry id or alias.
   */
  model_id: string
}
/**
 * 200 of POST /api/models/<id>/validate.
 */
export interface ValidateModelResponse {
  /**
   * Share of checks passed (warn counts half).
   */
  compatibility_score: number
  /**
   * No check failed.
   */
  is_compatible: boolean
  /**
   * The registry id.
   */
  model_id: string
  /**
   * Speed estimate (estimate_performance).
   */
  performance_estimation: PerformanceEstimation | null
  /**
   * What to do about failures and warnings.
   */
  recommendations: string[]
  /**
   * Outcome of this request (the checks themselves may fail).
   */
  status: 'success'
  /**
   * ISO 8601 UTC time.
   */
  validated_at: string
  /**
   * Every check with pass/fail and detail.
   */
  validation_results: ValidationCheck[]
  /**
   * Things that work but need care.
   */
  warnings: string[]
}
/**
 * Rough speed estimate (or the measured one when a benchmark exists).
 */
export interface PerformanceEstimation {
  /**
   * How it was obtained.
   */
  basis: string
  /**
   * Seconds per image at the reference size and steps.
   */
  estimated_s_per_image: number
  /**
   * WIDTHxHEIGHT it refers to.
   */
  resolution: string
  /**
   * Measured by a benchmark, or estimated.
   */
  source: 'benchmark' | 'estimate'
  /**
   * Denoising steps it refers to.
   */
  steps: number
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
   * bad_message (not understood), unknown_job (a named run_id is not known), admin_token_required (job_ids null without admin rights), admin_token_wrong (the token field is wrong).
   */
  code?: string
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
   * Every image of the run, index order (a batch: one per image, each with its seed), as the complete event of the run's SSE stream.
   */
  media_outputs?: MediaOutput[]
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
   * run_ids to follow, or null for all runs (admin only: the handshake's 'Authorization: Bearer <token>' header, the token field, or the server machine itself while no admin token is configured; anyone else gets an error message and no events).
   */
  job_ids: string[] | null
  /**
   * The admin token (DEVSERVER_ADMIN_TOKEN), for clients that cannot set headers on a WebSocket (browsers); needed only for job_ids null. A wrong token is an error message; the subscription does not change.
   */
  token?: string | null
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
