import { ref, shallowRef } from 'vue'

import { toFlowProblem, type FlowProblem } from './flow'

/**
 * Load something once (and again on `reload()`): `data` holds the result, `problem` why it failed.
 *
 * @param load the API call (e.g. api/schema `getConfigs`).
 */
export function useResource<T>(load: () => Promise<T>) {
  const data = shallowRef<T | null>(null)
  const problem = shallowRef<FlowProblem | null>(null)
  const loading = ref(false)

  async function reload(): Promise<void> {
    loading.value = true
    problem.value = null
    try {
      data.value = await load()
    } catch (cause) {
      problem.value = toFlowProblem(cause)
    } finally {
      loading.value = false
    }
  }

  const first: Promise<void> = reload()
  /** Resolves once the first load has ended (loaded or failed). */
  function loaded(): Promise<void> {
    return first
  }

  return { data, problem, loading, reload, loaded }
}

/** A loaded resource (useResource's result). */
export type Resource<T> = ReturnType<typeof useResource<T>>
