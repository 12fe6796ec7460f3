/**
 * The API's data shapes, as the studio names them. Everything here comes from the types that
 * `npm run gen:types` generates from schemas/json/ (the server's pydantic contracts) into
 * ./generated/api.ts; only aliases and narrowings live in this file.
 */
export type {
  BlockedResponse,
  CanceledEvent,
  CategoryOut as Category,
  CompleteEvent,
  ConfigDetail,
  ConfigDetailResponse,
  ConfigListResponse,
  ConfigSummary,
  ErrorEvent,
  ErrorResponse,
  ExecuteRequest,
  FilterCheck,
  GenerationParameters,
  GenerationRequestBody as GenerationRequest,
  HealthLimits as UploadLimits,
  HealthResponse,
  MediaOutput,
  OptimizeRequest,
  OptimizeResponse,
  OutputConfigListResponse,
  OutputConfigOut as OutputConfigSummary,
  ProgressEvent,
  QueuedEvent,
  QueuedResponse,
  RunStatusResponse,
  SafetyStage,
  Stage2Request,
  Stage2Response,
  Stage4Report,
  StageCompleteEvent,
  Stages,
  StageStartEvent,
  StartedEvent,
  TextStep,
  UploadResponse,
} from './generated/api'

/** The studio's two languages (requests' `language`, vue-i18n locales). */
export type Language = 'de' | 'en'
