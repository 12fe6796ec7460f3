import { nextTick, onMounted, watch, type Ref } from 'vue'

import type { FocusRequest, FocusTarget } from '@/stores/studio'

/** Scroll smoothly unless the learner asked for less motion. */
export function scrollBehavior(): ScrollBehavior {
  return typeof window.matchMedia === 'function' && window.matchMedia('(prefers-reduced-motion: reduce)').matches
    ? 'auto'
    : 'smooth'
}

/** Move keyboard focus to `element` and bring it into view (centred), as feedback at the action does. */
export function focusAndReveal(element: HTMLElement): void {
  element.focus({ preventScroll: true })
  element.scrollIntoView({ block: 'center', behavior: scrollBehavior() })
}

const taken = new WeakSet<FocusRequest>()

/**
 * Take a focus request of the studio (stores/studio `focus`) when it names this element: the
 * element gets focus and is scrolled into view, once per request, also when it appears only after
 * the request was made (a stage card's message that renders when the run ends).
 *
 * @param request the mode's current focus request.
 * @param matches whether a target means this element.
 * @param element the element to focus (it needs tabindex="-1" unless it is focusable anyway).
 */
export function useFocusTarget(
  request: Readonly<Ref<FocusRequest | null>>,
  matches: (target: FocusTarget) => boolean,
  element: Readonly<Ref<HTMLElement | null>>,
): void {
  async function take(): Promise<void> {
    const current = request.value
    if (current === null || taken.has(current) || !matches(current.target)) return
    await nextTick()
    const el = element.value
    if (el === null || taken.has(current)) return
    taken.add(current)
    focusAndReveal(el)
  }

  watch([request, element], () => void take())
  onMounted(() => void take())
}
