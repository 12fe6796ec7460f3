import { describe, expect, it } from 'vitest'
import { ref } from 'vue'

import { ApiError } from '@/api/client'
import type { UploadLimits, UploadResponse } from '@/api/types'

import { fileMimeType, useImageUpload, validateImageFile } from '../useImageUpload'

const LIMITS: UploadLimits = {
  upload_max_bytes: 10 * 1024 * 1024,
  upload_max_side_px: 1024,
  accepted_types: ['image/png', 'image/jpeg', 'image/webp'],
}

const STORED: UploadResponse = {
  status: 'success',
  image_id: '0b6f1f8e-3c1a-4f0e-9a57-0d3c9a1b2c3d',
  url: '/api/media/uploads/0b6f1f8e-3c1a-4f0e-9a57-0d3c9a1b2c3d',
  original_size: [2048, 1536],
  resized_size: [1024, 768],
  file_size_bytes: 812_345,
}

function file(name: string, type: string, size: number): File {
  return new File([new Uint8Array(size)], name, { type })
}

describe('validateImageFile', () => {
  it.each([
    { id: 'png', name: 'a.png', type: 'image/png', size: 100, expected: null },
    { id: 'jpeg', name: 'a.jpg', type: 'image/jpeg', size: 100, expected: null },
    { id: 'webp', name: 'a.webp', type: 'image/webp', size: 100, expected: null },
    { id: 'exactly_at_limit', name: 'a.png', type: 'image/png', size: LIMITS.upload_max_bytes, expected: null },
    { id: 'no_mime_but_jpeg_name', name: 'photo.JPEG', type: '', size: 100, expected: null },
    { id: 'gif', name: 'a.gif', type: 'image/gif', size: 100, expected: 'unsupported_type' },
    { id: 'text', name: 'notes.txt', type: 'text/plain', size: 100, expected: 'unsupported_type' },
    { id: 'no_mime_unknown_name', name: 'README', type: '', size: 100, expected: 'unsupported_type' },
    { id: 'one_byte_over', name: 'a.png', type: 'image/png', size: LIMITS.upload_max_bytes + 1, expected: 'too_large' },
    {
      id: 'wrong_type_and_too_large',
      name: 'a.bmp',
      type: 'image/bmp',
      size: LIMITS.upload_max_bytes + 1,
      expected: 'unsupported_type',
    },
  ])('$id', ({ name, type, size, expected }) => {
    const problem = validateImageFile({ name, type, size }, LIMITS)
    expect(problem?.code ?? null).toBe(expected)
    if (problem !== null) expect(problem.fileName).toBe(name)
  })

  it('reports size and limit for a file that is too large', () => {
    expect(validateImageFile({ name: 'big.png', type: 'image/png', size: 11_000_000 }, LIMITS)).toEqual({
      code: 'too_large',
      fileName: 'big.png',
      sizeBytes: 11_000_000,
      maxBytes: LIMITS.upload_max_bytes,
    })
  })

  it.each([
    { name: 'x.png', type: '', expected: 'image/png' },
    { name: 'x.jpg', type: '', expected: 'image/jpeg' },
    { name: 'x.webp', type: 'image/webp', expected: 'image/webp' },
    { name: 'x.png', type: 'image/gif', expected: 'image/gif' },
  ])('fileMimeType($name, "$type") = $expected', ({ name, type, expected }) => {
    expect(fileMimeType({ name, type })).toBe(expected)
  })
})

describe('useImageUpload', () => {
  function setup(result: () => Promise<UploadResponse>, limits: UploadLimits | null = LIMITS) {
    const sent: File[] = []
    const upload = useImageUpload((f) => {
      sent.push(f)
      return result()
    }, ref(limits))
    return { upload, sent }
  }

  it.each([
    { id: 'wrong_type', file: file('a.gif', 'image/gif', 10), code: 'unsupported_type' },
    { id: 'too_large', file: file('a.png', 'image/png', LIMITS.upload_max_bytes + 1), code: 'too_large' },
  ])('refuses $id without sending a request', async ({ file: bad, code }) => {
    const { upload, sent } = setup(() => Promise.resolve(STORED))
    await upload.select(bad)
    expect(sent).toEqual([])
    expect(upload.status.value).toBe('invalid')
    expect(upload.problem.value?.code).toBe(code)
    expect(upload.image.value).toBeNull()
  })

  it('uploads a valid file and keeps the stored image', async () => {
    const { upload, sent } = setup(() => Promise.resolve(STORED))
    const good = file('photo.jpg', 'image/jpeg', 1000)
    const done = upload.select(good)
    expect(upload.status.value).toBe('uploading')
    await done
    expect(sent).toEqual([good])
    expect(upload.status.value).toBe('ready')
    expect(upload.image.value).toEqual(STORED)
    expect(upload.fileName.value).toBe('photo.jpg')
  })

  it('refuses every file while the limits are unknown', async () => {
    const { upload, sent } = setup(() => Promise.resolve(STORED), null)
    await upload.select(file('photo.jpg', 'image/jpeg', 1000))
    expect(sent).toEqual([])
    expect(upload.status.value).toBe('failed')
    expect(upload.failure.value?.code).toBe('limits_unknown')
  })

  it('shows the server refusal', async () => {
    const refusal = new ApiError(415, 'unsupported_media_type', 'the file is in GIF format', { detected_format: 'GIF' })
    const { upload } = setup(() => Promise.reject(refusal))
    await upload.select(file('fake.png', 'image/png', 1000))
    expect(upload.status.value).toBe('failed')
    expect(upload.failure.value).toMatchObject({
      kind: 'error',
      code: 'unsupported_media_type',
      message: refusal.message,
      details: { detected_format: 'GIF' },
    })
  })

  it('a problem clears when a good file follows', async () => {
    const { upload } = setup(() => Promise.resolve(STORED))
    await upload.select(file('a.gif', 'image/gif', 10))
    await upload.select(file('b.png', 'image/png', 10))
    expect(upload.problem.value).toBeNull()
    expect(upload.status.value).toBe('ready')
  })

  it('remove() forgets the image and ignores an upload still running', async () => {
    let finish: (value: UploadResponse) => void = () => {}
    const { upload } = setup(() => new Promise((resolve) => (finish = resolve)))
    const pending = upload.select(file('a.png', 'image/png', 10))
    upload.remove()
    finish(STORED)
    await pending
    expect(upload.status.value).toBe('empty')
    expect(upload.image.value).toBeNull()
    expect(upload.fileName.value).toBe('')
  })
})
