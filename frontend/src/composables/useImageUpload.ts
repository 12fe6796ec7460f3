import { ref, shallowRef, type Ref } from 'vue'

import type { UploadLimits, UploadResponse } from '@/api/types'

import { errorOf, type ErrorProblem } from './flow'

/** File name endings accepted when the browser reports no MIME type (drag from some file managers). */
const EXTENSION_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
}

/** Why a file was refused before any request. */
export type UploadProblem =
  | { code: 'unsupported_type'; fileName: string; type: string }
  | { code: 'too_large'; fileName: string; sizeBytes: number; maxBytes: number }

export type UploadStatus = 'empty' | 'invalid' | 'uploading' | 'ready' | 'failed'

/** The MIME type of `file`: the browser's, or derived from the name's ending when the browser gave none. */
export function fileMimeType(file: Pick<File, 'name' | 'type'>): string {
  if (file.type !== '') return file.type
  const ending = file.name.split('.').pop()?.toLowerCase() ?? ''
  return EXTENSION_TYPES[ending] ?? ''
}

/**
 * Check a file against the server's limits (GET /api/health `limits`) before uploading.
 *
 * @returns null when the file may be sent, else the problem (type first, then size in bytes).
 */
export function validateImageFile(
  file: Pick<File, 'name' | 'type' | 'size'>,
  limits: Pick<UploadLimits, 'accepted_types' | 'upload_max_bytes'>,
): UploadProblem | null {
  const type = fileMimeType(file)
  if (!limits.accepted_types.includes(type)) {
    return { code: 'unsupported_type', fileName: file.name, type: type || file.name }
  }
  if (file.size > limits.upload_max_bytes) {
    return { code: 'too_large', fileName: file.name, sizeBytes: file.size, maxBytes: limits.upload_max_bytes }
  }
  return null
}

/**
 * State of the image-mode upload widget: validate, upload, remove.
 *
 * @param upload sends the file (api/media `uploadImage`); rejects with ApiError.
 * @param limits the server's upload limits; null until known (files are then refused as `failed`
 *   with code `limits_unknown`, never sent unchecked).
 */
export function useImageUpload(upload: (file: File) => Promise<UploadResponse>, limits: Ref<UploadLimits | null>) {
  const status = ref<UploadStatus>('empty')
  const problem = shallowRef<UploadProblem | null>(null)
  const failure = shallowRef<ErrorProblem | null>(null)
  const image = shallowRef<UploadResponse | null>(null)
  const fileName = ref('')
  let attempt = 0

  /** Validate `file`, then upload it; a newer selection or remove() makes older answers void. */
  async function select(file: File): Promise<void> {
    const current = ++attempt
    image.value = null
    problem.value = null
    failure.value = null
    fileName.value = file.name
    if (limits.value === null) {
      status.value = 'failed'
      failure.value = { kind: 'error', code: 'limits_unknown', message: '', details: {} }
      return
    }
    const found = validateImageFile(file, limits.value)
    if (found !== null) {
      status.value = 'invalid'
      problem.value = found
      return
    }
    status.value = 'uploading'
    try {
      const stored = await upload(file)
      if (current !== attempt) return
      image.value = stored
      status.value = 'ready'
    } catch (cause) {
      if (current !== attempt) return
      status.value = 'failed'
      failure.value = errorOf(cause)
    }
  }

  /** Forget the file (and any upload still running). */
  function remove(): void {
    attempt++
    status.value = 'empty'
    problem.value = null
    failure.value = null
    image.value = null
    fileName.value = ''
  }

  /** Show an upload the studio already has (a draft after a reload), without sending anything. */
  function adopt(stored: UploadResponse, name: string): void {
    attempt++
    status.value = 'ready'
    problem.value = null
    failure.value = null
    image.value = stored
    fileName.value = name
  }

  return { status, problem, failure, image, fileName, select, remove, adopt }
}
