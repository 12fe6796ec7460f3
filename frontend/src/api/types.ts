/**
 * The API's data shapes, as the studio names them. Everything here comes from the types that
 * `npm run gen:types` generates from schemas/json/ (the server's pydantic contracts); only
 * aliases and narrowings live in this file.
 */
export type { BlockedResponse } from './generated/BlockedResponse'
export type { ConfigDetailResponse, ConfigDetail } from './generated/ConfigDetailResponse'
export type {
  ConfigListResponse,
  ConfigSummary,
  CategoryOut as Category,
  LocalizedTextOut as LocalizedText,
} from './generated/ConfigListResponse'
export type { ErrorResponse } from './generated/ErrorResponse'
export type { ExecuteRequest } from './generated/ExecuteRequest'
export type {
  ExecuteResponse,
  FilterCheck,
  SafetyStage,
  Stage2Report,
  Stage3Report,
  Stage4Report,
  Stages,
} from './generated/ExecuteResponse'
export type { GenerationParameters } from './generated/GenerationParameters'
export type { GenerationRequestBody as GenerationRequest } from './generated/GenerationRequestBody'
export type { GenerationResponse } from './generated/GenerationResponse'
export type { HealthResponse, HealthLimits as UploadLimits } from './generated/HealthResponse'
export type { MediaOutput } from './generated/MediaOutput'
export type { OptimizeRequest } from './generated/OptimizeRequest'
export type { OptimizeResponse } from './generated/OptimizeResponse'
export type {
  OutputConfigListResponse,
  OutputConfigOut as OutputConfigSummary,
} from './generated/OutputConfigListResponse'
export type { Stage2Request } from './generated/Stage2Request'
export type { Stage2Response } from './generated/Stage2Response'
export type { UploadResponse } from './generated/UploadResponse'

/** The studio's two languages (requests' `language`, vue-i18n locales). */
export type Language = 'de' | 'en'
