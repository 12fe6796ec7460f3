import { cancelRun, followRun, getRun } from '@/api/runs'
import { getConfig, getConfigs, getOutputConfigs } from '@/api/schema'

import type { StageNumber } from './flow'
import { useGenerationSettings } from './useGenerationSettings'
import { useLanguage } from './useLanguage'
import { useModelChoice } from './useModelChoice'
import { useResource } from './useResource'
import { useRulesPicker } from './useRulesPicker'
import { createRunMemory, useRun, type RunView } from './useRun'
import { useSeed } from './useSeed'

/**
 * What both studio views are built from, wired to the real API: the catalogue of configs and the
 * models (loaded once), the rules box, the model choice with its generation settings, the seed
 * rule, and the view's queued-run control (its run remembered in sessionStorage per view).
 *
 * @param view which view this is (names its run memory).
 * @param isSnapshot checks the view's stored run snapshot (useTextFlow / useImageFlow export one).
 * @param firstStage the stage the view's runs start with (3 for /generation, 1 for /execute).
 */
export function useStudio<S>(view: RunView, isSnapshot: (value: unknown) => value is S, firstStage: StageNumber) {
  const { language } = useLanguage()
  const catalog = useResource(getConfigs)
  const models = useResource(getOutputConfigs)
  const rulesPicker = useRulesPicker(getConfig, language)
  const { selectedModel, selectedModelId } = useModelChoice(models.data)
  const generation = useGenerationSettings(selectedModel)
  const seed = useSeed()
  const run = useRun({ getRun, cancelRun, followRun }, createRunMemory(sessionStorage, view, isSnapshot), firstStage)
  return { language, catalog, models, rulesPicker, selectedModelId, generation, seed, run }
}

/** One view's studio parts (useStudio's result). */
export type Studio = ReturnType<typeof useStudio>
