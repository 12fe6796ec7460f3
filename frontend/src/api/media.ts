/** Uploads for image mode. */
import { requestJson } from './client'
import type { UploadResponse } from './types'

/**
 * POST /api/media/upload/image (multipart field `file`).
 *
 * @returns the stored upload: `image_id`, its `url`, `original_size`/`resized_size` as [w, h] pixels.
 * @throws ApiError 413 (too large), 415 (type), 400 (not a readable image).
 */
export function uploadImage(file: File): Promise<UploadResponse> {
  const form = new FormData()
  form.append('file', file, file.name)
  return requestJson<UploadResponse>('/api/media/upload/image', { form })
}
