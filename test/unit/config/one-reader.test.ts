// Every root path into a user's config (the CLI, the privileged helper, `auto enable`, the backup-on-plug
// service) goes through main/config/owned.ts, and asks main/config/owner.ts whose it is: the strictest
// checks once, for all of them.
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { invokingUser } from '../../../main/cli/invoker'
import { readOwnedConfig } from '../../../main/config/owned'
import { parsePasswd } from '../../../main/config/owner'
import { readJobConfig } from '../../../main/helper/config'
import type { Runner } from '../../../main/system/runner'

const dir = mkdtempSync(join(tmpdir(), 'zdb-one-reader-'))
const me = process.getuid?.() ?? 0
mkdirSync(join(dir, 'real'))
writeFileSync(join(dir, 'real', 'config.json'), '{"version":1}', { mode: 0o600 })
symlinkSync(join(dir, 'real'), join(dir, 'via'))
const throughLink = join(dir, 'via', 'config.json')

afterEach(() => vi.restoreAllMocks())

describe('one reader of a user\'s config as root', () => {
  it('the service\'s and auto enable\'s reader refuses a folder link on the path, not only a link as the last part', async () => {
    expect(await readOwnedConfig(join(dir, 'real', 'config.json'), me)).toMatchObject({ version: 1 })
    await expect(readOwnedConfig(throughLink, me)).rejects.toMatchObject({ kind: 'refused', code: 'config-refused', message: expect.stringMatching(/goes through a symbolic link/) })
  })

  it('the helper\'s reader is the same one, its refusal under the helper\'s code', async () => {
    await expect(readJobConfig(throughLink, me)).rejects.toMatchObject({ code: 'config-refused', message: expect.stringMatching(/goes through a symbolic link/) })
  })
})

describe('one answer to whom root acts for', () => {
  const runner: Runner = { run: async () => { throw new Error('no command expected') }, pipe: async () => { throw new Error('no command expected') } }

  // Any account of this machine but root (nobody, usually).
  const someone = parsePasswd(readFileSync('/etc/passwd', 'utf8')).find((u) => u.uid !== 0 && /^[a-z_][a-z0-9_-]*$/.test(u.name))

  it.runIf(someone)('auto enable under doas (DOAS_USER) acts for that user, as the CLI does', async () => {
    vi.spyOn(process, 'geteuid').mockReturnValue(0)
    expect(await invokingUser(runner, { DOAS_USER: someone!.name })).toMatchObject({ name: someone!.name, uid: someone!.uid })
  })

  it('a SUDO_UID that names no account is refused, not taken for root', async () => {
    vi.spyOn(process, 'geteuid').mockReturnValue(0)
    await expect(invokingUser(runner, { SUDO_UID: '999999' })).rejects.toMatchObject({ code: 'config-refused', message: expect.stringMatching(/names no user account/) })
  })
})
