import { computed, ref, shallowRef, type Ref } from 'vue'

import type { UploadResponse } from '@/api/types'

/**
 * The inpainting mask the learner paints over the photo ("Bereich übermalen"): what was painted,
 * undo, clear, a keyboard rectangle, and the mask sent as an upload.
 *
 * The mask is a list of operations in the photo's own pixels (the upload's `resized_size`): brush
 * strokes that paint or erase, and rectangles placed with the keyboard. A canvas draws them
 * (maskDrawing.ts): translucent over the photo while painting, and as the mask the server takes
 * (white = repaint, black = keep, a PNG of the photo's size) when the image is made. The mask goes
 * to the server as an ordinary upload (multipart, POST /api/media/upload/image) and the run names
 * its image_id as `mask_image`; without anything painted, image mode stays img2img.
 */

/** What a brush stroke does. */
export type MaskTool = 'paint' | 'erase'

/** A point in the photo's pixels. */
export type MaskPoint = [x: number, y: number]

/** A rectangle in the photo's pixels (x, y: top-left corner). */
export interface MaskRect {
  x: number
  y: number
  width: number
  height: number
}

/** One thing the learner did to the mask. */
export type MaskOp =
  { kind: 'stroke'; tool: MaskTool; size: number; points: MaskPoint[] } | ({ kind: 'rect' } & MaskRect)

/** Draws the mask the server takes (a PNG: white where painted, black elsewhere) of `width` x `height`. */
export type MaskExporter = (ops: MaskOp[], width: number, height: number) => Promise<Blob>

/** Steps of the keyboard rectangle, as shares of the photo's longer side. */
export const RECT_STEP = 0.02
export const RECT_BIG_STEP = 0.1

/** Brush sizes offered, as shares of the photo's longer side (the slider's range and start). */
export const BRUSH_SHARE = { min: 0.01, max: 0.25, start: 0.08 } as const

/** Most stroke points kept in the draft (localStorage); a longer mask is not kept over a reload. */
export const DRAFT_MAX_POINTS = 20_000

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value))
}

/**
 * @param size the photo's [width, height] in pixels (null while there is none); a new photo clears the mask.
 * @param upload sends a file as an upload (api/media `uploadImage`).
 * @param exportMask draws the mask PNG (maskDrawing's `maskPng`; a fake in tests).
 */
export function useMaskPainter(
  size: Ref<readonly [number, number] | null>,
  upload: (file: File) => Promise<UploadResponse>,
  exportMask: MaskExporter,
) {
  const ops = shallowRef<MaskOp[]>([])
  const history: MaskOp[][] = []
  const canUndo = ref(false)
  const tool = ref<MaskTool>('paint')
  /** Brush diameter in the photo's pixels. */
  const brushSize = ref(32)
  /** The stroke being drawn (pointer down), shown live; added to `ops` when it ends. */
  const current = shallowRef<MaskOp | null>(null)
  /** The keyboard rectangle being placed (null: not in rectangle mode). */
  const rect = ref<MaskRect | null>(null)
  /** Share of the photo painted (0..1), measured by the canvas after each change (setCoverage). */
  const coverage = ref(0)
  /** Grows with every change of the mask: the key of what was uploaded. */
  const version = ref(0)
  const uploaded = shallowRef<{ version: number; imageId: string } | null>(null)

  /** The photo's longer side in pixels (1 while there is no photo). */
  const longSide = computed(() => (size.value ? Math.max(size.value[0], size.value[1]) : 1))
  const brushRange = computed(() => ({
    min: Math.max(2, Math.round(longSide.value * BRUSH_SHARE.min)),
    max: Math.max(4, Math.round(longSide.value * BRUSH_SHARE.max)),
  }))
  /** Something is painted: inpainting; nothing: img2img. */
  const painted = computed(() => coverage.value > 0)
  /** The uploaded mask's image_id while it shows what is painted now, else null. */
  const imageId = computed(() =>
    painted.value && uploaded.value?.version === version.value ? uploaded.value.imageId : null,
  )
  /** What the run's image depends on of the mask ('' when nothing was painted): a changed mask makes it stale.
   * (From the operations, not the measured coverage, so that a restored mask counts before it is drawn.) */
  const key = computed(() => (ops.value.length > 0 ? `mask-${version.value}` : ''))

  function change(next: MaskOp[]): void {
    history.push(ops.value)
    canUndo.value = true
    ops.value = next
    version.value++
  }

  /** Start a brush stroke at `point` (pointer down). */
  function begin(point: MaskPoint): void {
    if (size.value === null) return
    current.value = { kind: 'stroke', tool: tool.value, size: brushSize.value, points: [point] }
  }

  /** Continue the stroke (pointer move); no-op without one. */
  function extend(point: MaskPoint): void {
    const stroke = current.value
    if (stroke === null || stroke.kind !== 'stroke') return
    current.value = { ...stroke, points: [...stroke.points, point] }
  }

  /** End the stroke (pointer up): it becomes one undoable step. */
  function end(): void {
    const stroke = current.value
    current.value = null
    if (stroke !== null) change([...ops.value, stroke])
  }

  /** Take back the last stroke, rectangle or "clear". */
  function undo(): void {
    const previous = history.pop()
    if (previous === undefined) return
    canUndo.value = history.length > 0
    ops.value = previous
    version.value++
  }

  /** Remove everything painted (undoable). */
  function clear(): void {
    if (ops.value.length > 0) change([])
  }

  /** Keyboard: show a rectangle in the middle of the photo, a quarter of each side. */
  function startRect(): void {
    if (size.value === null) return
    const [width, height] = size.value
    rect.value = {
      x: Math.round(width * 0.375),
      y: Math.round(height * 0.375),
      width: Math.round(width / 4),
      height: Math.round(height / 4),
    }
  }

  /** Keyboard: move the rectangle by a share of the photo's longer side (inside the photo). */
  function moveRect(dx: number, dy: number): void {
    const box = rect.value
    if (box === null || size.value === null) return
    const step = longSide.value
    box.x = Math.round(clamp(box.x + dx * step, 0, size.value[0] - box.width))
    box.y = Math.round(clamp(box.y + dy * step, 0, size.value[1] - box.height))
  }

  /** Keyboard: grow or shrink the rectangle from its top-left corner (at least 2 % of the longer side). */
  function resizeRect(dw: number, dh: number): void {
    const box = rect.value
    if (box === null || size.value === null) return
    const smallest = Math.max(2, Math.round(longSide.value * RECT_STEP))
    box.width = Math.round(clamp(box.width + dw * longSide.value, smallest, size.value[0] - box.x))
    box.height = Math.round(clamp(box.height + dh * longSide.value, smallest, size.value[1] - box.y))
  }

  /** Keyboard: paint the rectangle (one undoable step) and leave rectangle mode. */
  function commitRect(): void {
    const box = rect.value
    if (box === null) return
    rect.value = null
    change([...ops.value, { kind: 'rect', ...box }])
  }

  function cancelRect(): void {
    rect.value = null
  }

  /** The canvas measured the painted share (0..1). */
  function setCoverage(share: number): void {
    coverage.value = share
  }

  /** Forget everything (a new photo, or none). */
  function reset(): void {
    history.length = 0
    canUndo.value = false
    ops.value = []
    current.value = null
    rect.value = null
    coverage.value = 0
    uploaded.value = null
    version.value++
    brushSize.value = clamp(Math.round(longSide.value * BRUSH_SHARE.start), brushRange.value.min, brushRange.value.max)
  }

  /** Take a saved mask (a draft after a reload); the coverage follows when the canvas draws it. */
  function restore(saved: MaskOp[]): void {
    reset()
    if (saved.length > 0) change(saved)
    history.length = 0
    canUndo.value = false
  }

  /**
   * The mask's image_id for the run: the painted mask uploaded once per change (a PNG of the photo's
   * size, as any upload: POST /api/media/upload/image, multipart).
   *
   * @returns null when nothing is painted (the run is img2img).
   * @throws ApiError when the upload fails.
   */
  async function ensureUploaded(): Promise<string | null> {
    if (!painted.value || size.value === null) return null
    if (imageId.value !== null) return imageId.value
    const at = version.value
    const blob = await exportMask(ops.value, size.value[0], size.value[1])
    const stored = await upload(new File([blob], 'maske.png', { type: 'image/png' }))
    uploaded.value = { version: at, imageId: stored.image_id }
    return stored.image_id // the mask as it was when the run was asked for
  }

  /** The operations to keep in a draft, or [] when they are too many to store. */
  function forDraft(): MaskOp[] {
    const points = ops.value.reduce((sum, op) => sum + (op.kind === 'stroke' ? op.points.length : 1), 0)
    return points <= DRAFT_MAX_POINTS ? ops.value : []
  }

  return {
    ops,
    current,
    tool,
    brushSize,
    brushRange,
    rect,
    coverage,
    painted,
    imageId,
    key,
    canUndo,
    version,
    begin,
    extend,
    end,
    undo,
    clear,
    startRect,
    moveRect,
    resizeRect,
    commitRect,
    cancelRect,
    setCoverage,
    reset,
    restore,
    ensureUploaded,
    forDraft,
  }
}

/** A mode's mask painter (useMaskPainter's result). */
export type MaskPainter = ReturnType<typeof useMaskPainter>
