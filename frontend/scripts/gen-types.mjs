#!/usr/bin/env node
/**
 * `npm run gen:types`: TypeScript types for the API, generated from the JSON Schemas that
 * `devserver contracts export` writes to ../schemas/json/ (one <Name>.ts per <Name>.schema.json,
 * into src/api/generated/, with json-schema-to-typescript).
 *
 * pydantic gives every property a `title`, which json-schema-to-typescript would turn into one
 * type alias per field (`DurationMs1`, `Status3`, ...); see adapt() for this and the other
 * adjustments made before compiling. Model titles stay (they name the interfaces).
 *
 * `npm run check:types` (`--check`): generate into a temporary folder and exit 1 when the committed
 * files differ, are missing or are extra (the schemas changed but the types were not regenerated).
 */
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { compile } from 'json-schema-to-typescript'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const schemaDir = join(root, '..', 'schemas', 'json')
const targetDir = join(root, 'src', 'api', 'generated')
const check = process.argv.includes('--check')

const schemaFiles = readdirSync(schemaDir)
  .filter((name) => name.endsWith('.schema.json'))
  .sort()
if (schemaFiles.length === 0) {
  console.error(`No *.schema.json in ${schemaDir}; run \`devserver contracts export\` first.`)
  process.exit(2)
}

const outDir = check ? mkdtempSync(join(tmpdir(), 'devserver-types-')) : targetDir
mkdirSync(outDir, { recursive: true })

/**
 * Adapt pydantic's JSON Schema (draft 2020-12) to what json-schema-to-typescript understands, in place:
 * drop property titles (see above); turn `prefixItems` (tuples such as [width, height]) into the
 * older array form of `items`; reduce a `$ref` with sibling keywords to the bare `$ref`, so each
 * model becomes one interface instead of one copy per use.
 */
function adapt(schema) {
  if (Array.isArray(schema)) return schema.forEach(adapt)
  if (typeof schema !== 'object' || schema === null) return
  for (const property of Object.values(schema.properties ?? {})) delete property.title
  if (schema.prefixItems) {
    schema.items = schema.prefixItems
    schema.minItems = schema.maxItems = schema.prefixItems.length
    delete schema.prefixItems
  }
  if (schema.$ref) for (const key of Object.keys(schema)) if (key !== '$ref') delete schema[key]
  for (const value of Object.values(schema)) adapt(value)
}

for (const file of schemaFiles) {
  const name = basename(file, '.schema.json')
  const schema = JSON.parse(readFileSync(join(schemaDir, file), 'utf8'))
  adapt(schema)
  const ts = await compile(schema, name, {
    cwd: schemaDir,
    bannerComment: `/* Generated from schemas/json/${file} by \`npm run gen:types\` (json-schema-to-typescript). Do not edit. */`,
    additionalProperties: false,
    format: true,
    style: { singleQuote: true, semi: false, printWidth: 120 },
  })
  writeFileSync(join(outDir, `${name}.ts`), ts)
}

if (!check) {
  const expected = new Set(schemaFiles.map((file) => `${basename(file, '.schema.json')}.ts`))
  for (const stale of readdirSync(targetDir).filter((name) => !expected.has(name))) {
    rmSync(join(targetDir, stale))
  }
  console.log(`Wrote ${schemaFiles.length} files to src/api/generated/.`)
  process.exit(0)
}

const list = (dir) => {
  try {
    return readdirSync(dir).sort()
  } catch {
    return []
  }
}
const fresh = list(outDir)
const committed = list(targetDir)
const problems = [
  ...fresh.filter((name) => !committed.includes(name)).map((name) => `missing: src/api/generated/${name}`),
  ...committed.filter((name) => !fresh.includes(name)).map((name) => `extra: src/api/generated/${name}`),
  ...fresh
    .filter((name) => committed.includes(name))
    .filter((name) => readFileSync(join(outDir, name), 'utf8') !== readFileSync(join(targetDir, name), 'utf8'))
    .map((name) => `stale: src/api/generated/${name}`),
]
rmSync(outDir, { recursive: true, force: true })
if (problems.length > 0) {
  console.error(
    `Generated API types are out of date; run \`npm run gen:types\` in frontend/.\n  ${problems.join('\n  ')}`,
  )
  process.exit(1)
}
console.log(`src/api/generated/ matches schemas/json/ (${fresh.length} files).`)
