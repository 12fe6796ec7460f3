/** Uploads for image mode. */
import { requestBlob, requestJson } from './client'
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

/** An image the server serves (e.g. a run's own copy of its photo) as a File, to upload it again. */
export async function fetchImageFile(url: string, name: string): Promise<File> {
  const blob = await requestBlob(url)
  return new File([blob], name, { type: blob.type || 'image/png' })
}
