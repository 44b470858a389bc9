// Files generated from the code and committed: the man page (from the verb tables). A test keeps them
// current; `npm run generate` rewrites them.
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { COMMON_HELP, main, verbs } from '../../../main/cli/index'
import { manPage } from '../../../main/cli/manpage'

const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }

const update = process.env.UPDATE_GENERATED === '1'

function checkGenerated(path: string, text: string): void {
  if (update) writeFileSync(path, text)
  expect(existsSync(path), `${path} is missing: npm run generate`).toBe(true)
  expect(readFileSync(path, 'utf8'), `${path} is out of date: npm run generate`).toBe(text)
}

describe('the man page', () => {
  it('is generated from the verb tables and committed up to date', () => {
    checkGenerated('build/linux/zfs-drive-backup.1', manPage(verbs, COMMON_HELP, version))
  })

  it('names every verb --help lists, and the status exit codes', () => {
    const page = manPage(verbs, COMMON_HELP, version)
    for (const [name, v] of Object.entries(verbs)) if (!v.internal) expect(page).toContain(`.B ${name.replace(/-/g, '\\-')}\n`)
    expect(page).toMatch(/\.B 5\nstatus: a drive is overdue/)
    expect(page).toMatch(/\.B 6\nstatus: a drive was never backed up/)
  })
})

describe('--version', () => {
  it('prints the package version', async () => {
    let out = ''
    expect(await main(['--version'], { out: (t) => void (out += t), err: () => undefined, isTty: false }, new AbortController().signal)).toBe(0)
    expect(out).toBe(`zfs-drive-backup ${version}\n`)
  })
})
