import { onScopeDispose, ref } from 'vue'

/**
 * Whether a CSS media query matches now, following changes (window.matchMedia).
 *
 * @param query e.g. `(max-width: 60rem)`.
 */
export function useMediaQuery(query: string) {
  const list = typeof window.matchMedia === 'function' ? window.matchMedia(query) : null
  const matches = ref(list?.matches ?? false)
  const update = (event: MediaQueryListEvent): void => {
    matches.value = event.matches
  }
  list?.addEventListener('change', update)
  onScopeDispose(() => list?.removeEventListener('change', update))
  return matches
}
