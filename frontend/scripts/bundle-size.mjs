#!/usr/bin/env node
/**
 * `npm run size`: the gzipped size of the JavaScript a browser must load before the studio
 * starts (the entry chunk plus its static imports, transitively; lazy route chunks excluded).
 *
 * Reads dist/.vite/manifest.json (vite build with `build.manifest: true`, see
 * https://vite.dev/guide/backend-integration), gzips each file at level 9 with node:zlib and
 * exits 1 when the sum exceeds the budget (150 KB, 1 KB = 1000 bytes), 2 when dist is missing.
 */
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'

const BUDGET_BYTES = 150_000
const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist')

let manifest
try {
  manifest = JSON.parse(readFileSync(join(dist, '.vite', 'manifest.json'), 'utf8'))
} catch (error) {
  console.error(`Cannot read ${join(dist, '.vite', 'manifest.json')} (${error.message}); run \`npm run build\` first.`)
  process.exit(2)
}

const entries = Object.keys(manifest).filter((key) => manifest[key].isEntry)
const seen = new Set()
const pending = [...entries]
while (pending.length > 0) {
  const key = pending.pop()
  if (seen.has(key)) continue
  seen.add(key)
  pending.push(...(manifest[key].imports ?? []))
}

let total = 0
for (const key of [...seen].sort()) {
  const file = manifest[key].file
  const gzipped = gzipSync(readFileSync(join(dist, file)), { level: 9 }).length
  total += gzipped
  console.log(`${(gzipped / 1000).toFixed(1).padStart(8)} KB  ${file}`)
}
console.log(
  `${(total / 1000).toFixed(1).padStart(8)} KB  initial JavaScript, gzipped (budget ${BUDGET_BYTES / 1000} KB)`,
)
if (total > BUDGET_BYTES) {
  console.error(`Initial JavaScript is over budget by ${((total - BUDGET_BYTES) / 1000).toFixed(1)} KB.`)
  process.exit(1)
}
