import { afterEach, describe, expect, it, vi } from 'vitest'

import { followRun, type RunEvent } from '../runs'

/**
 * A stand-in for the browser's EventSource (jsdom has none) that the test drives: `emit` delivers
 * a server event (a MessageEvent, as browsers dispatch them), `fail` a connection error.
 */
class FakeEventSource extends EventTarget {
  static readonly CONNECTING = 0
  static readonly OPEN = 1
  static readonly CLOSED = 2
  static instances: FakeEventSource[] = []

  readyState = FakeEventSource.CONNECTING
  closeCalls = 0

  constructor(readonly url: string) {
    super()
    FakeEventSource.instances.push(this)
  }

  emit(type: string, data: unknown, id: number): void {
    this.readyState = FakeEventSource.OPEN
    this.dispatchEvent(new MessageEvent(type, { data: JSON.stringify(data), lastEventId: String(id) }))
  }

  /** A connection error: the browser retries (CONNECTING) or has given up (CLOSED). */
  fail(readyState: number): void {
    this.readyState = readyState
    this.dispatchEvent(new Event('error'))
  }

  close(): void {
    this.closeCalls += 1
    this.readyState = FakeEventSource.CLOSED
  }
}

function follow(runId = '11111111-1111-4111-8111-111111111111') {
  vi.stubGlobal('EventSource', FakeEventSource)
  const events: RunEvent[] = []
  let lost = 0
  const close = followRun(runId, { onEvent: (event) => events.push(event), onLost: () => (lost += 1) })
  const source = FakeEventSource.instances.at(-1)!
  return { source, events, lost: () => lost, close }
}

afterEach(() => {
  vi.unstubAllGlobals()
  FakeEventSource.instances = []
})

describe('followRun', () => {
  it('opens the run events URL and hands over each event with its parsed data, in order', () => {
    const { source, events } = follow()
    expect(source.url).toBe('/api/runs/11111111-1111-4111-8111-111111111111/events')
    source.emit('queued', { position: 2 }, 1)
    source.emit('stage_start', { stage: 4, name: 'generation' }, 2)
    source.emit('progress', { step: 1, total_steps: 20, percent: 5, ts: 1.5 }, 3)
    expect(events).toEqual([
      { type: 'queued', data: { position: 2 } },
      { type: 'stage_start', data: { stage: 4, name: 'generation' } },
      { type: 'progress', data: { step: 1, total_steps: 20, percent: 5, ts: 1.5 } },
    ])
    expect(source.closeCalls).toBe(0)
  })

  it.each([
    { id: 'complete', type: 'complete', data: { media_output: { url: '/api/media/image/r/0' } } },
    { id: 'blocked', type: 'blocked', data: { status: 'blocked', stage: 3, reason: 'no', found_terms: [] } },
    { id: 'error', type: 'error', data: { error: { code: 'internal_error', message: 'boom' } } },
    { id: 'canceled', type: 'canceled', data: { while_status: 'queued' } },
  ])('$id: a terminal event is the last one; the stream closes (no reconnect)', ({ type, data }) => {
    const { source, events } = follow()
    source.emit('started', { waited_ms: 0 }, 1)
    source.emit(type, data, 2)
    source.emit('progress', { step: 1, total_steps: 2, percent: 50, ts: 1 }, 3)
    expect(events.map((event) => event.type)).toEqual(['started', type])
    expect(events[1]!.data).toEqual(data)
    expect(source.closeCalls).toBe(1)
  })

  it('ignores a connection error while the browser reconnects, reports one it gave up on', () => {
    const { source, events, lost } = follow()
    source.fail(FakeEventSource.CONNECTING)
    expect(lost()).toBe(0)
    source.emit('started', { waited_ms: 0 }, 1)
    source.fail(FakeEventSource.CLOSED)
    source.fail(FakeEventSource.CLOSED)
    expect(lost()).toBe(1)
    expect(events.map((event) => event.type)).toEqual(['started'])
  })

  it('stops delivering once closed by the caller', () => {
    const { source, events, close } = follow()
    close()
    source.emit('queued', { position: 1 }, 1)
    expect(source.closeCalls).toBe(1)
    expect(events).toEqual([])
  })
})
