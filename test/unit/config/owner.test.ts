// Whose config and history a root run uses (sudo, doas, pkexec, or --config), and the checks applied
// when root reads a file for someone: no symlink anywhere on the path, theirs, not writable by others,
// a regular file, size capped before reading.
import { chmodSync, mkdirSync, mkdtempSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { invokingUser, resolveUserFiles, userFiles } from '../../../main/config/owner'
import { readOwnedFile } from '../../../main/config/owned'

const dir = mkdtempSync(join(tmpdir(), 'zdb-owner-'))
const passwdPath = join(dir, 'passwd')
writeFileSync(passwdPath, 'root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000:Alice,,,:/home/alice:/bin/bash\nbroken line\n')
const me = process.getuid?.() ?? 0
const defaults = { configPath: '/root/.config/zfs-drive-backup/config.json', historyPath: '/root/.local/state/zfs-drive-backup/history.jsonl' }
const alice = userFiles({ home: '/home/alice' })

describe('the invoking user of a root run', () => {
  it.each([
    ['sudo', { SUDO_UID: '1000', SUDO_USER: 'alice' }],
    ['doas', { DOAS_USER: 'alice' }],
    ['pkexec', { PKEXEC_UID: '1000' }],
  ])('%s: that user\'s files from their passwd entry, whatever XDG_CONFIG_HOME and HOME say', async (_how, env) => {
    const files = await resolveUserFiles({ env: { ...env, HOME: '/tmp/evil', XDG_CONFIG_HOME: '/tmp/evil' }, euid: 0, defaults, passwdPath })
    expect(files).toMatchObject({ configPath: alice.configPath, historyPath: alice.historyPath, owner: { name: 'alice', uid: 1000, gid: 1000 } })
    expect(alice.configPath).toBe('/home/alice/.config/zfs-drive-backup/config.json')
  })

  it('not root: the flags or the defaults, nobody else\'s', async () => {
    expect(await resolveUserFiles({ env: { SUDO_UID: '1000' }, euid: 1000, defaults, passwdPath })).toMatchObject({ ...defaults, owner: null })
  })

  it('root from a root shell (sudo from root, or no variable) uses root\'s own files', async () => {
    expect(await resolveUserFiles({ env: { SUDO_UID: '0' }, euid: 0, defaults, passwdPath })).toMatchObject({ ...defaults, owner: null })
    expect(await resolveUserFiles({ env: {}, euid: 0, defaults, passwdPath })).toMatchObject({ ...defaults, owner: null })
  })

  it('refuses a variable that names no account', async () => {
    await expect(invokingUser({ SUDO_UID: '4711' }, 0, passwdPath)).rejects.toMatchObject({ code: 'config-refused', message: expect.stringMatching(/SUDO_UID=4711 names no user account/) })
    await expect(invokingUser({ DOAS_USER: '../root' }, 0, passwdPath)).rejects.toMatchObject({ code: 'config-refused' })
  })
})

describe('reading a file as root for its owner', () => {
  const ok = join(dir, 'ok.json')
  writeFileSync(ok, '{"version":1}', { mode: 0o600 })

  it('reads a regular file of the right owner', async () => {
    expect(await readOwnedFile(ok, me)).toBe('{"version":1}')
  })

  it('refuses a symlink anywhere on the path, naming where it really is', async () => {
    symlinkSync(dir, join(dir, 'via'))
    await expect(readOwnedFile(join(dir, 'via', 'ok.json'), me)).rejects.toMatchObject({ code: 'config-refused', message: expect.stringMatching(/goes through a symbolic link/) })
    symlinkSync(ok, join(dir, 'link.json'))
    await expect(readOwnedFile(join(dir, 'link.json'), me)).rejects.toMatchObject({ message: expect.stringMatching(/is a symbolic link/) })
  })

  it('refuses another user\'s file, one others can write, a folder, and a relative or dotted path', async () => {
    await expect(readOwnedFile(ok, me + 1)).rejects.toMatchObject({ message: expect.stringMatching(/not by the user it is read for/) })
    const gw = join(dir, 'gw.json')
    writeFileSync(gw, '{}')
    chmodSync(gw, 0o666)
    await expect(readOwnedFile(gw, me)).rejects.toMatchObject({ hint: `Run chmod go-w ${gw}.` })
    mkdirSync(join(dir, 'folder.json'))
    await expect(readOwnedFile(join(dir, 'folder.json'), me)).rejects.toMatchObject({ message: expect.stringMatching(/not a regular file \(it is a folder\)/) })
    await expect(readOwnedFile(`${dir}/../x.json`, me)).rejects.toMatchObject({ code: 'config-refused' })
  })

  it('refuses a 200 MB file by its size, before reading it', async () => {
    const big = join(dir, 'big.json')
    writeFileSync(big, '', { mode: 0o600 })
    truncateSync(big, 200 * 1024 * 1024)
    const before = process.memoryUsage().rss
    await expect(readOwnedFile(big, me)).rejects.toMatchObject({ message: expect.stringMatching(/is 209715200 bytes, more than a config can be/) })
    expect(process.memoryUsage().rss - before).toBeLessThan(50 * 1024 * 1024)
  })
})

describe('loading a config as its user', () => {
  it('a 200 MB file is refused by its size, a folder and unparseable JSON in one sentence without the content', async () => {
    const { loadConfig } = await import('../../../main/config/load')
    const big = join(dir, 'big-user.json')
    writeFileSync(big, '')
    truncateSync(big, 200 * 1024 * 1024)
    await expect(loadConfig(big)).rejects.toMatchObject({ problems: ['is 209715200 bytes; a config is at most 1048576'] })
    mkdirSync(join(dir, 'cfgdir.json'))
    await expect(loadConfig(join(dir, 'cfgdir.json'))).rejects.toMatchObject({ problems: ['is a folder, not a config file'] })
    const secret = join(dir, 'secret.json')
    writeFileSync(secret, '{"version": 1, "x": supersecret}')
    const err = (await loadConfig(secret).catch((e: Error) => e)) as Error
    expect(err.message).toMatch(/is not valid JSON/)
    expect(err.message).not.toMatch(/supersecret/)
  })
})
