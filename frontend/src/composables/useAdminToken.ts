import { ref, watch } from 'vue'

/** sessionStorage key of the teacher's admin token (kept for this tab only, never in localStorage). */
export const ADMIN_TOKEN_KEY = 'devserver.adminToken'

/**
 * The admin token for model operations, remembered in the tab's sessionStorage.
 *
 * @param storage where to keep it (a fake in unit tests).
 */
export function useAdminToken(storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> = sessionStorage) {
  const token = ref<string>(storage.getItem(ADMIN_TOKEN_KEY) ?? '')
  watch(token, (value) => {
    if (value.trim()) storage.setItem(ADMIN_TOKEN_KEY, value.trim())
    else storage.removeItem(ADMIN_TOKEN_KEY)
  })
  /** The token to send, or null (then the server allows admin operations only from its own machine). */
  const current = (): string | null => token.value.trim() || null
  return { token, current }
}
