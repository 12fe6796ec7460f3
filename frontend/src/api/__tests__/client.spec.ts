import { afterEach, describe, expect, it, vi } from 'vitest'

import { ApiError, BlockedError, requestJson } from '../client'

/** Answer every fetch with `response`, recording the calls (fetch is the client's only boundary). */
function serve(response: () => Response) {
  const fetchMock = vi.fn((_input: RequestInfo | URL, _init?: RequestInit) => Promise.resolve(response()))
  vi.stubGlobal('fetch', fetchMock)
  return fetchMock
}

const json = (body: unknown, status: number) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })

afterEach(() => {
  vi.unstubAllGlobals()
})

describe('requestJson', () => {
  it('returns the body of a 2xx answer and sends JSON to the relative URL', async () => {
    const fetchMock = serve(() => json({ status: 'success', run_id: 'r' }, 200))
    await expect(requestJson('/api/schema/pipeline/stage2', { json: { schema: 'dada' } })).resolves.toEqual({
      status: 'success',
      run_id: 'r',
    })
    const [url, init] = fetchMock.mock.calls[0]!
    expect(url).toBe('/api/schema/pipeline/stage2')
    expect(init?.method).toBe('POST')
    expect(init?.body).toBe('{"schema":"dada"}')
    expect((init?.headers as Record<string, string>)['Content-Type']).toBe('application/json')
  })

  it.each([
    {
      id: 'validation_error',
      response: () =>
        json(
          {
            status: 'error',
            error: {
              code: 'validation_error',
              message: 'width must be a multiple of 8, got 500',
              details: { field: 'width' },
            },
          },
          422,
        ),
      expected: {
        httpStatus: 422,
        code: 'validation_error',
        message: 'width must be a multiple of 8, got 500',
        details: { field: 'width' },
      },
    },
    {
      id: 'upload_too_large',
      response: () => json({ status: 'error', error: { code: 'upload_too_large', message: 'too large' } }, 413),
      expected: { httpStatus: 413, code: 'upload_too_large', message: 'too large', details: {} },
    },
    {
      id: 'not_json',
      response: () => new Response('<html>Bad Gateway</html>', { status: 502, statusText: 'Bad Gateway' }),
      expected: { httpStatus: 502, code: 'http_502', message: 'Bad Gateway', details: {} },
    },
  ])('$id -> ApiError', async ({ response, expected }) => {
    serve(response)
    const error = await requestJson('/api/x').catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(ApiError)
    const apiError = error as ApiError
    expect({
      httpStatus: apiError.httpStatus,
      code: apiError.code,
      message: apiError.message,
      details: apiError.details,
    }).toEqual(expected)
  })

  it('403 blocked -> BlockedError with stage, reason, terms and the run', async () => {
    serve(() =>
      json(
        { status: 'blocked', stage: 1, reason: 'gore is not allowed', found_terms: ['gore'], run_id: 'r', stages: {} },
        403,
      ),
    )
    const error = await requestJson('/api/x', { json: {} }).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(BlockedError)
    expect(error).toMatchObject({ stage: 1, reason: 'gore is not allowed', foundTerms: ['gore'], runId: 'r' })
  })

  it('an unreachable server -> ApiError network_error', async () => {
    vi.stubGlobal('fetch', () => Promise.reject(new TypeError('Failed to fetch')))
    await expect(requestJson('/api/health')).rejects.toMatchObject({ code: 'network_error', httpStatus: 0 })
  })

  it('sends FormData untouched (the browser sets the multipart boundary)', async () => {
    const fetchMock = serve(() => json({ status: 'success' }, 200))
    const form = new FormData()
    form.append('file', new File(['x'], 'a.png', { type: 'image/png' }))
    await requestJson('/api/media/upload/image', { form })
    const init = fetchMock.mock.calls[0]![1]!
    expect(init.body).toBe(form)
    expect((init.headers as Record<string, string>)['Content-Type']).toBeUndefined()
  })
})
