/**
 * The teacher view's endpoints (/api/teacher/*), all behind the admin token: the teacher types it
 * once (kept in sessionStorage by the view) and every call sends `Authorization: Bearer <token>`.
 * Without a token the server allows them only to a browser on the server machine itself.
 */
import { requestJson } from './client'
import type { RunListResponse, RunStatusResponse, TeacherQueueResponse } from './types'

function auth(token: string): Record<string, string> {
  return token.trim() === '' ? {} : { Authorization: `Bearer ${token.trim()}` }
}

/** GET /api/teacher/queue: running and waiting runs with their idea or prompt. @throws ApiError 401/403. */
export function getTeacherQueue(token: string): Promise<TeacherQueueResponse> {
  return requestJson<TeacherQueueResponse>('/api/teacher/queue', { headers: auth(token) })
}

/** GET /api/teacher/runs: the server's runs of today, newest first, one page. */
export function getTodaysRuns(token: string, page = 1, perPage = 24): Promise<RunListResponse> {
  const query = new URLSearchParams({ page: String(page), per_page: String(perPage) })
  return requestJson<RunListResponse>(`/api/teacher/runs?${query.toString()}`, { headers: auth(token) })
}

/** POST /api/teacher/runs/<run_id>/cancel: cancel any learner's run. @throws ApiError 409 when it has ended. */
export function cancelAnyRun(token: string, runId: string): Promise<RunStatusResponse> {
  return requestJson<RunStatusResponse>(`/api/teacher/runs/${encodeURIComponent(runId)}/cancel`, {
    method: 'POST',
    headers: auth(token),
  })
}
