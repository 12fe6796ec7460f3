import { useI18n } from 'vue-i18n'

import type { Milestone } from './flow'

/**
 * The sentence for a progress milestone (flow.ts `milestone`), in the studio's language: the queue
 * place while waiting, else the running stage, with the quarter of its steps once one is done.
 */
export function useMilestoneText(): (milestone: Milestone) => string {
  const { t } = useI18n()
  return ({ stage, position, percent }) => {
    if (position !== null) return t('progress.queued', { position })
    const name = t(`stages.${stage}`)
    return percent === null
      ? t('progress.running', { n: stage, name })
      : t('progress.percent', { n: stage, name, percent })
  }
}
