// Files generated from the code and committed: the man page (from the verb tables) and the JSON Schemas
// of every --json output (from the zod schemas the CLI prints through). A test keeps them current;
// `npm run generate` rewrites them.
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { allVerbs, COMMON_HELP, main } from '../../../main/cli/index'
import { TABLES, VERB_TABLE } from '../../../main/cli/verb-tables'
import { manPage } from '../../../main/cli/manpage'
import { CLI_JSON, jsonSchemaOf, lineSchema, type CliJsonKind } from '../../../shared/cli-json'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }

const update = process.env.UPDATE_GENERATED === '1'

function checkGenerated(path: string, text: string): void {
  if (update) writeFileSync(path, text)
  expect(existsSync(path), `${path} is missing: npm run generate`).toBe(true)
  expect(readFileSync(path, 'utf8'), `${path} is out of date: npm run generate`).toBe(text)
}

describe('the man page', () => {
  it('is generated from the verb tables and committed up to date', async () => {
    checkGenerated('build/linux/zfs-drive-backup.1', manPage(await allVerbs(), COMMON_HELP, version))
  })

  it('names every verb --help lists, and the status exit codes', async () => {
    const verbs = await allVerbs()
    const page = manPage(verbs, COMMON_HELP, version)
    for (const [name, v] of Object.entries(verbs)) if (!v.internal) expect(page).toContain(`.B ${name.replace(/-/g, '\\-')}\n`)
    expect(page).toMatch(/\.B 5\nstatus: a drive is overdue/)
    expect(page).toMatch(/\.B 6\nstatus: a drive was never backed up/)
  })
})

describe('the verb index a command loads its table by', () => {
  it('names every verb of every table, in --help order, and each with the table that holds it', async () => {
    const fromTables = await Promise.all(Object.entries(TABLES).map(async ([table, load]) => Object.keys(await load()).map((verb) => [verb, table])))
    expect(Object.entries(VERB_TABLE)).toEqual(fromTables.flat())
  })
})

describe('--version', () => {
  it('prints the package version', async () => {
    let out = ''
    expect(await main(['--version'], { out: (t) => void (out += t), err: () => undefined, isTty: false }, new AbortController().signal)).toBe(0)
    expect(out).toBe(`zfs-drive-backup ${version}\n`)
  })
})

describe('the JSON Schemas of --json', () => {
  it.each(Object.keys(CLI_JSON) as CliJsonKind[])('schemas/%s.schema.json is generated from the zod schema and committed up to date', (kind) => {
    checkGenerated(`schemas/${kind}.schema.json`, `${JSON.stringify(jsonSchemaOf(kind), null, 2)}\n`)
  })

  it('what status, history and doctor print matches their published schemas, schemaVersion first', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zdb-json-'))
    const configPath = join(dir, 'config.json')
    const historyPath = join(dir, 'history.jsonl')
    writeFileSync(configPath, JSON.stringify({ version: 1, sources: [{ dataset: 'rpool/home' }], drives: [{ name: 'T7', pool: 'backup', poolGuid: '123', disk: '/dev/disk/by-id/usb-Nope', targets: { 'rpool/home': 'backup/home' } }] }))
    const at = new Date().toISOString()
    writeFileSync(historyPath, `${JSON.stringify({ id: 'r1', verb: 'backup', drive: 'T7', startedAt: at, finishedAt: at, outcome: 'succeeded', durationMs: 1, bytes: 1, steps: [], warnings: [], error: null, replicated: [{ source: 'rpool/home', target: 'backup/home', snapshot: 'a', guid: '1' }] })}\n`)
    for (const [verb, kind] of [['status', 'status'], ['history', 'history'], ['doctor', 'doctor']] as const) {
      let out = ''
      await main([verb, '--json', '--config', configPath, '--history', historyPath], { out: (t) => void (out += t), err: () => undefined, isTty: false }, new AbortController().signal)
      const lines = out.trim().split('\n')
      expect(lines.length, verb).toBeGreaterThan(0)
      for (const l of lines) {
        expect(l.startsWith('{"schemaVersion":1,'), l).toBe(true)
        expect(lineSchema(kind).safeParse(JSON.parse(l)).success, l).toBe(true)
      }
    }
  })
})
