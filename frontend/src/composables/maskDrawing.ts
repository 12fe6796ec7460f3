/**
 * Drawing a painted mask (useMaskPainter's operations) on a canvas: the translucent overlay over
 * the photo, the mask PNG the server takes, and the share of the photo painted.
 *
 * Operations are in the photo's pixels; the canvases have the photo's size, so a stroke is the same
 * on screen (CSS scales the canvas) and in the mask. Painting is `source-over` in one colour,
 * erasing `destination-out`, so an erased area is transparent again (Canvas 2D,
 * https://html.spec.whatwg.org/multipage/canvas.html#compositing).
 */
import type { MaskOp, MaskRect } from './useMaskPainter'

/** Colour of the painted area on screen (shown translucent through the overlay's CSS opacity). */
export const OVERLAY_COLOUR = '#e0116f'

/** Draw `ops` onto `ctx` (cleared first) in `colour`; erasing makes pixels transparent. */
export function drawOps(ctx: CanvasRenderingContext2D, ops: readonly MaskOp[], colour: string): void {
  const { width, height } = ctx.canvas
  ctx.save()
  ctx.clearRect(0, 0, width, height)
  ctx.lineCap = 'round'
  ctx.lineJoin = 'round'
  for (const op of ops) {
    ctx.globalCompositeOperation = op.kind === 'stroke' && op.tool === 'erase' ? 'destination-out' : 'source-over'
    ctx.fillStyle = colour
    ctx.strokeStyle = colour
    if (op.kind === 'rect') {
      ctx.fillRect(op.x, op.y, op.width, op.height)
      continue
    }
    const [first, ...rest] = op.points
    if (first === undefined) continue
    if (rest.length === 0) {
      // a click paints a dot
      ctx.beginPath()
      ctx.arc(first[0], first[1], op.size / 2, 0, Math.PI * 2)
      ctx.fill()
      continue
    }
    ctx.lineWidth = op.size
    ctx.beginPath()
    ctx.moveTo(first[0], first[1])
    for (const [x, y] of rest) ctx.lineTo(x, y)
    ctx.stroke()
  }
  ctx.restore()
}

/** Outline the keyboard rectangle (dashed, in two colours so it shows on any photo). */
export function drawRect(ctx: CanvasRenderingContext2D, rect: MaskRect): void {
  const line = Math.max(2, Math.round(Math.max(ctx.canvas.width, ctx.canvas.height) / 200))
  ctx.save()
  ctx.lineWidth = line
  ctx.setLineDash([line * 3, line * 2])
  ctx.strokeStyle = '#ffffff'
  ctx.strokeRect(rect.x, rect.y, rect.width, rect.height)
  ctx.lineDashOffset = line * 3
  ctx.strokeStyle = '#1f1d2b'
  ctx.strokeRect(rect.x, rect.y, rect.width, rect.height)
  ctx.restore()
}

/** Share of the canvas that is painted (alpha at least half), 0..1. */
export function paintedShare(ctx: CanvasRenderingContext2D): number {
  const { width, height } = ctx.canvas
  if (width === 0 || height === 0) return 0
  const alpha = ctx.getImageData(0, 0, width, height).data
  let painted = 0
  for (let i = 3; i < alpha.length; i += 4) if ((alpha[i] ?? 0) >= 128) painted++
  return painted / (width * height)
}

function canvas(width: number, height: number): [HTMLCanvasElement, CanvasRenderingContext2D] {
  const element = document.createElement('canvas')
  element.width = width
  element.height = height
  const ctx = element.getContext('2d')
  if (ctx === null) throw new Error('no 2D canvas')
  return [element, ctx]
}

/** The mask the server takes: a PNG of `width` x `height`, white where painted, black elsewhere. */
export async function maskPng(ops: readonly MaskOp[], width: number, height: number): Promise<Blob> {
  const [painted, paintedCtx] = canvas(width, height)
  drawOps(paintedCtx, ops, '#ffffff')
  const [mask, ctx] = canvas(width, height)
  ctx.fillStyle = '#000000'
  ctx.fillRect(0, 0, width, height)
  ctx.drawImage(painted, 0, 0)
  return new Promise((resolve, reject) =>
    mask.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('the mask could not be encoded'))), 'image/png'),
  )
}
