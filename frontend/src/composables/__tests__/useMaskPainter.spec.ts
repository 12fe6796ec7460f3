import { describe, expect, it, vi } from 'vitest'
import { ref } from 'vue'

import type { UploadResponse } from '@/api/types'

import { DRAFT_MAX_POINTS, RECT_STEP, useMaskPainter, type MaskOp } from '../useMaskPainter'

const MASK_ID = '5a1f7c9e-2b3d-4e5f-8a9b-0c1d2e3f4a5b'

function stored(imageId = MASK_ID): UploadResponse {
  return {
    status: 'success',
    image_id: imageId,
    url: `/api/media/uploads/${imageId}`,
    original_size: [320, 240],
    resized_size: [320, 240],
    file_size_bytes: 321,
  }
}

function painter(size: [number, number] | null = [320, 240]) {
  const upload = vi.fn(async (file: File) => {
    expect(file.name).toBe('maske.png')
    expect(file.type).toBe('image/png')
    return stored()
  })
  const exportMask = vi.fn(async (ops: MaskOp[], width: number, height: number) => {
    expect([width, height]).toEqual([320, 240])
    return new Blob([JSON.stringify(ops)], { type: 'image/png' })
  })
  const photo = ref<[number, number] | null>(size)
  const mask = useMaskPainter(photo, upload, exportMask)
  mask.reset()
  return { mask, upload, exportMask, photo }
}

/** A stroke from `a` to `b`, then the canvas says how much is painted. */
function paint(mask: ReturnType<typeof painter>['mask'], a: [number, number], b: [number, number], share = 0.1) {
  mask.begin(a)
  mask.extend(b)
  mask.end()
  mask.setCoverage(share)
}

describe('useMaskPainter', () => {
  it('records a stroke with the tool and brush size of when it began', () => {
    const { mask } = painter()
    expect(mask.brushSize.value).toBe(26) // 8 % of the longer side
    expect(mask.brushRange.value).toEqual({ min: 3, max: 80 })
    mask.tool.value = 'erase'
    mask.brushSize.value = 12
    mask.begin([10, 20])
    mask.extend([30, 40])
    expect(mask.current.value).toEqual({
      kind: 'stroke',
      tool: 'erase',
      size: 12,
      points: [
        [10, 20],
        [30, 40],
      ],
    })
    expect(mask.ops.value).toEqual([])
    mask.end()
    expect(mask.current.value).toBeNull()
    expect(mask.ops.value).toEqual([
      {
        kind: 'stroke',
        tool: 'erase',
        size: 12,
        points: [
          [10, 20],
          [30, 40],
        ],
      },
    ])
    expect(mask.canUndo.value).toBe(true)
  })

  it('undoes strokes one by one, and a clear too', () => {
    const { mask } = painter()
    paint(mask, [0, 0], [10, 10])
    paint(mask, [50, 50], [60, 60])
    expect(mask.ops.value).toHaveLength(2)
    mask.undo()
    expect(mask.ops.value).toHaveLength(1)
    mask.clear()
    expect(mask.ops.value).toEqual([])
    mask.undo()
    expect(mask.ops.value).toHaveLength(1)
    mask.undo()
    expect(mask.ops.value).toEqual([])
    expect(mask.canUndo.value).toBe(false)
    mask.undo() // nothing left: no change
    expect(mask.ops.value).toEqual([])
  })

  it('places, moves and resizes a keyboard rectangle inside the photo', () => {
    const { mask } = painter()
    mask.startRect()
    expect(mask.rect.value).toEqual({ x: 120, y: 90, width: 80, height: 60 })
    mask.moveRect(-RECT_STEP, 0)
    expect(mask.rect.value?.x).toBe(114) // 2 % of 320 px
    mask.moveRect(-1, -1) // far beyond the edge: stops at it
    expect([mask.rect.value?.x, mask.rect.value?.y]).toEqual([0, 0])
    mask.resizeRect(5, 5)
    expect(mask.rect.value).toEqual({ x: 0, y: 0, width: 320, height: 240 })
    mask.resizeRect(-5, -5)
    expect([mask.rect.value?.width, mask.rect.value?.height]).toEqual([6, 6]) // the smallest: 2 %
    mask.moveRect(1, 1)
    expect(mask.rect.value).toEqual({ x: 314, y: 234, width: 6, height: 6 })
    mask.commitRect()
    expect(mask.rect.value).toBeNull()
    expect(mask.ops.value).toEqual([{ kind: 'rect', x: 314, y: 234, width: 6, height: 6 }])
  })

  it('leaves the rectangle unpainted on cancel', () => {
    const { mask } = painter()
    mask.startRect()
    mask.cancelRect()
    expect(mask.rect.value).toBeNull()
    expect(mask.ops.value).toEqual([])
  })

  it('uploads the mask once per change, as a PNG file, and names it only while it is current', async () => {
    const { mask, upload, exportMask } = painter()
    expect(await mask.ensureUploaded()).toBeNull() // nothing painted: img2img
    expect(upload).not.toHaveBeenCalled()

    paint(mask, [0, 0], [100, 100])
    expect(mask.key.value).not.toBe('')
    expect(await mask.ensureUploaded()).toBe(MASK_ID)
    expect(await mask.ensureUploaded()).toBe(MASK_ID)
    expect(upload).toHaveBeenCalledTimes(1)
    expect(exportMask).toHaveBeenCalledWith(mask.ops.value, 320, 240)
    expect(mask.imageId.value).toBe(MASK_ID)

    const before = mask.key.value
    paint(mask, [200, 10], [300, 20])
    expect(mask.imageId.value).toBeNull() // changed since: not uploaded yet
    expect(mask.key.value).not.toBe(before)
    await mask.ensureUploaded()
    expect(upload).toHaveBeenCalledTimes(2)
  })

  it('is empty once everything painted is erased: no mask is sent', async () => {
    const { mask, upload } = painter()
    paint(mask, [0, 0], [100, 100])
    mask.tool.value = 'erase'
    paint(mask, [0, 0], [100, 100], 0)
    expect(mask.painted.value).toBe(false)
    expect(mask.imageId.value).toBeNull()
    expect(await mask.ensureUploaded()).toBeNull()
    expect(upload).not.toHaveBeenCalled()
  })

  it('starts over for a new photo and keeps small masks for the draft', () => {
    const { mask } = painter()
    paint(mask, [0, 0], [100, 100])
    expect(mask.forDraft()).toHaveLength(1)
    const long: MaskOp = {
      kind: 'stroke',
      tool: 'paint',
      size: 10,
      points: Array.from({ length: DRAFT_MAX_POINTS + 1 }, (_, i) => [i % 320, 5]),
    }
    mask.restore([long])
    expect(mask.canUndo.value).toBe(false)
    expect(mask.forDraft()).toEqual([]) // too many points to keep in localStorage
    mask.reset()
    expect(mask.ops.value).toEqual([])
    expect(mask.coverage.value).toBe(0)
  })

  it('does nothing without a photo', () => {
    const { mask } = painter(null)
    mask.begin([1, 1])
    mask.startRect()
    expect(mask.current.value).toBeNull()
    expect(mask.rect.value).toBeNull()
  })
})
