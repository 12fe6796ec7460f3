#!/usr/bin/env node
/**
 * `npm run gen:types`: TypeScript types for the API, generated from the JSON Schemas that
 * `devserver contracts export` writes to ../schemas/json/, into ONE file, src/api/generated/api.ts
 * (with json-schema-to-typescript).
 *
 * Every <Name>.schema.json repeats the shared models it uses in its own `$defs`. They are merged
 * into one combined schema whose `$defs` hold every model once: each file's own `$defs`, plus the
 * file's top-level model itself under <Name>. A name defined differently by two files is an error
 * (exit 2). The combined schema's root is the `ApiModels` index (one property per top-level model,
 * referencing it), so each interface is emitted exactly once, in a stable order.
 *
 * pydantic gives every property a `title`, which json-schema-to-typescript would turn into one
 * type alias per field (`DurationMs1`, `Status3`, ...); see adapt() for this and the other
 * adjustments made before compiling. Model titles stay (they name the interfaces).
 *
 * `npm run check:types` (`--check`): generate in memory and exit 1 when src/api/generated/ holds
 * anything other than an up-to-date api.ts (the schemas changed but the types were not regenerated).
 */
import { isDeepStrictEqual } from 'node:util'
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { compile } from 'json-schema-to-typescript'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const schemaDir = join(root, '..', 'schemas', 'json')
const targetDir = join(root, 'src', 'api', 'generated')
const TARGET_NAME = 'api.ts'
const check = process.argv.includes('--check')

const schemaFiles = readdirSync(schemaDir)
  .filter((name) => name.endsWith('.schema.json'))
  .sort()
if (schemaFiles.length === 0) {
  console.error(`No *.schema.json in ${schemaDir}; run \`devserver contracts export\` first.`)
  process.exit(2)
}

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

/** One schema whose `$defs` hold every model of every file once, and whose root indexes the top-level models. */
function combinedSchema() {
  const defs = {}
  const definedIn = {}
  const define = (name, schema, file) => {
    if (name in defs && !isDeepStrictEqual(defs[name], schema)) {
      console.error(`Model ${name} is defined differently in ${definedIn[name]} and ${file}.`)
      process.exit(2)
    }
    defs[name] ??= schema
    definedIn[name] ??= file
  }
  const topLevel = []
  for (const file of schemaFiles) {
    const name = basename(file, '.schema.json')
    const {
      $defs: own = {},
      $id: _id,
      $schema: _dialect,
      ...model
    } = JSON.parse(readFileSync(join(schemaDir, file), 'utf8'))
    for (const [defName, schema] of Object.entries(own)) define(defName, schema, file)
    define(name, model, file)
    topLevel.push(name)
  }
  return {
    title: 'ApiModels',
    description: 'Every model of the API contract by name (the index of schemas/json/).',
    type: 'object',
    properties: Object.fromEntries(topLevel.map((name) => [name, { $ref: `#/$defs/${name}` }])),
    required: topLevel,
    additionalProperties: false,
    $defs: defs,
  }
}

const schema = combinedSchema()
adapt(schema)
const generated = await compile(schema, 'ApiModels', {
  cwd: schemaDir,
  bannerComment: `/* Generated from schemas/json/*.schema.json by \`npm run gen:types\` (json-schema-to-typescript). Do not edit. */`,
  additionalProperties: false,
  format: true,
  style: { singleQuote: true, semi: false, printWidth: 120 },
})

if (!check) {
  mkdirSync(targetDir, { recursive: true })
  for (const stale of readdirSync(targetDir).filter((name) => name !== TARGET_NAME)) rmSync(join(targetDir, stale))
  writeFileSync(join(targetDir, TARGET_NAME), generated)
  console.log(`Wrote src/api/generated/${TARGET_NAME} from ${schemaFiles.length} schemas.`)
  process.exit(0)
}

let committed = []
try {
  committed = readdirSync(targetDir).sort()
} catch {
  committed = []
}
const problems = [
  ...(committed.includes(TARGET_NAME) ? [] : [`missing: src/api/generated/${TARGET_NAME}`]),
  ...committed.filter((name) => name !== TARGET_NAME).map((name) => `extra: src/api/generated/${name}`),
  ...(committed.includes(TARGET_NAME) && readFileSync(join(targetDir, TARGET_NAME), 'utf8') !== generated
    ? [`stale: src/api/generated/${TARGET_NAME}`]
    : []),
]
if (problems.length > 0) {
  console.error(
    `Generated API types are out of date; run \`npm run gen:types\` in frontend/.\n  ${problems.join('\n  ')}`,
  )
  process.exit(1)
}
console.log(`src/api/generated/${TARGET_NAME} matches schemas/json/ (${schemaFiles.length} schemas).`)
