// The layering rule, run through the project's own ESLint config on sources that exist only here: an
// upward import fails the lint with a message naming both layers; imports the layers allow pass.
import { resolve } from 'node:path'
import { ESLint } from 'eslint'
import { beforeAll, describe, expect, it } from 'vitest'

const root = resolve(__dirname, '../../..')
const eslint = new ESLint({ cwd: root })

async function layeringErrors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: resolve(root, file) })
  return (result?.messages ?? []).filter((m) => m.ruleId === 'project/layering').map((m) => m.message)
}

describe('layering lint rule', () => {
  // Loading the config and the TypeScript parser takes seconds on a busy machine: once, before the cases.
  beforeAll(() => layeringErrors('main/system/warm-up.ts', 'export {}\n'), 60_000)

  it('fails when system imports the engine', async () => {
    const errors = await layeringErrors('main/system/fixture.ts', "import { backup } from '../engine/backup'\nexport const x = backup\n")
    expect(errors).toHaveLength(1)
    expect(errors[0]).toContain('system (main/system/fixture.ts) may not import the engine layer')
  })

  it('fails when the engine imports a shell, or a shell imports another', async () => {
    expect(await layeringErrors('main/engine/fixture.ts', "export { dispatch } from '../helper/dispatch'\n")).toHaveLength(1)
    expect(await layeringErrors('main/cli/fixture.ts', "import type { Coordinator } from '../app/coordinator'\nexport type X = Coordinator\n")).toHaveLength(1)
    expect(await layeringErrors('main/engine/fixture.ts', "export const f = () => import('../app/tray')\n")).toHaveLength(1)
  })

  it('lets the renderer see only the shared schemas and the contract', async () => {
    expect(await layeringErrors('renderer/src/fixture.ts', "import type { AppState } from '../../preload/contract'\nimport type { RunEvent } from '../../shared/events'\nexport type X = [AppState, RunEvent]\n")).toEqual([])
    const errors = await layeringErrors('renderer/src/fixture.ts', "import { lastScrub } from '../../main/engine/scrub'\nexport const x = lastScrub\n")
    expect(errors).toHaveLength(1)
    expect(errors[0]).toContain('renderer (renderer/src/fixture.ts) may not import the engine layer')
  })

  it('keeps shared/ Node-free and below everything', async () => {
    expect(await layeringErrors('shared/fixture.ts', "import { readFile } from 'node:fs/promises'\nexport const x = readFile\n")).toEqual([
      'shared (shared/fixture.ts) must stay Node-free and may import only zod, not node:fs/promises.',
    ])
    expect(await layeringErrors('shared/fixture.ts', "import type { Config } from '../main/config/schema'\nexport type X = Config\n")).toHaveLength(1)
  })

  it('allows downward imports', async () => {
    const code = "import type { Runner } from '../system/runner'\nimport type { RunEvent } from '../../shared/events'\nimport type { RunRecord } from '../../shared/run-record'\nimport { readRuns } from '../history/store'\nexport type X = [Runner, RunEvent, RunRecord, typeof readRuns]\n"
    expect(await layeringErrors('main/engine/fixture.ts', code)).toEqual([])
  })

  it('refuses a folder that belongs to no layer', async () => {
    expect(await layeringErrors('main/newfolder/fixture.ts', 'export const x = 1\n')).toEqual([
      'main/newfolder/fixture.ts is in no layer: add its folder to LAYERS in eslint-rules/layering.mjs',
    ])
  })
})
