// Backup on plug, headless, with the VM's real udev and systemd: `auto enable` as root, then the drive is
// plugged in over QMP and nobody types anything. The service backs it up with sleep held off (a real
// logind inhibitor), exports and powers it off, and the user's history has the run. `auto disable` removes
// the rule, the instance and the unit. The window's switch goes through the privileged helper's `auto`
// job: the same files as the CLI's (the rule that fired, byte for byte), and off removes them.
// Run `electron-vite build` first.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { execa } from 'execa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RunRecord } from '../../shared/run-record'
import { plug, unplug, waitFor } from './guest/drives'
import { saveArtifact } from './guest/env'
import { RunEvent } from '../../shared/events'
import { configFor, importedPools, makeBackupDrive, makeSource, snap, writeRandom, type BackupDrive, type SourcePool } from './guest/pools'
import { sh } from './guest/sh'

const CLI = '/opt/proj/out/main/cli.js'
const HELPER = '/opt/proj/out/main/helper.js'
// The helper, started by root itself, installs for root: its history is root's default one.
const rootHistory = '/root/.local/state/zfs-drive-backup/history.jsonl'
const dir = '/root/auto-test'
const configPath = `${dir}/config.json`
const historyPath = `${dir}/history.jsonl`
const POOL = 'autobk'

let src: SourcePool
let drive: BackupDrive
let unit: string
let files: { rule: string; instance: string; template: string }
let byCli: { rule: string; template: string; instance: Record<string, unknown> }

const cli = (...args: string[]) => sh([process.execPath, CLI, ...args, '--config', configPath, '--history', historyPath], { ok: false })
const history = (path = historyPath): RunRecord[] => (existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n').filter(Boolean).map((l) => RunRecord.parse(JSON.parse(l))) : [])
const unitState = async () => (await sh(['systemctl', 'show', '-p', 'LoadState,ActiveState,Result', unit], { ok: false })).stdout.trim()

/** The helper with one job on stdin, kept open until run-finished (closing it earlier is a cancel). */
async function helperJob(job: object): Promise<{ exitCode: number | undefined; events: RunEvent[] }> {
  const child = execa(process.execPath, [HELPER], { stdin: 'pipe', stdout: 'pipe', reject: false, buffer: { stdout: false } })
  const events: RunEvent[] = []
  let buf = ''
  child.stdout!.setEncoding('utf8')
  child.stdout!.on('data', (chunk: string) => {
    buf += chunk
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const e = RunEvent.parse(JSON.parse(buf.slice(0, nl)))
      buf = buf.slice(nl + 1)
      events.push(e)
      if (e.type === 'run-finished') child.stdin!.end()
    }
  })
  child.stdin!.write(JSON.stringify(job) + '\n')
  const r = await child
  return { exitCode: r.exitCode, events }
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

beforeAll(async () => {
  expect(existsSync(CLI), 'build first: npx electron-vite build').toBe(true)
  src = await makeSource('autolap')
  writeRandom(src, 'photos.bin', 8)
  await snap(src, 'daily')
  drive = await makeBackupDrive('auto1', POOL)
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  writeFileSync(configPath, JSON.stringify(configFor(src, [{ name: 'T7', drive }])), { mode: 0o600 })
  const instance = `0-${drive.guid}`
  unit = `zfs-drive-backup-auto@${instance}.service`
  files = { rule: `/etc/udev/rules.d/90-zfs-drive-backup-${instance}.rules`, instance: `/etc/zfs-drive-backup/auto/${instance}.json`, template: '/etc/systemd/system/zfs-drive-backup-auto@.service' }
})

afterAll(async () => {
  if (existsSync(files.rule)) await cli('auto', 'disable', '--drive', 'T7')
  if (existsSync(files.rule)) await helperJob({ verb: 'auto', configPath, drive: 'T7', on: false })
  if ((await importedPools()).includes(POOL)) await sh(['zpool', 'export', '-f', POOL], { ok: false })
  await unplug(drive.usb)
})

describe('backup on plug', () => {
  it('auto enable installs a udev rule on the pool GUID, the instance and the template unit, and turns autoBackup on', async () => {
    // The premise: blkid reports the vdev partition as zfs_member with the pool GUID as its UUID.
    const props = (await sh(['udevadm', 'info', '--query=property', `--name=${drive.usb.byId}-part1`])).stdout
    expect(props).toContain('ID_FS_TYPE=zfs_member')
    expect(props).toContain(`ID_FS_UUID=${drive.guid}`)

    const r = await cli('auto', 'enable', '--drive', 'T7')
    saveArtifact('auto/enable.txt', r.stdout + r.stderr)
    expect(r.exitCode, r.stdout + r.stderr).toBe(0)
    expect(readFileSync(files.rule, 'utf8')).toContain(`ENV{ID_FS_UUID}=="${drive.guid}"`)
    expect(JSON.parse(readFileSync(files.instance, 'utf8'))).toMatchObject({ uid: 0, poolGuid: drive.guid, configPath, historyPath })
    expect((await sh(['systemctl', 'cat', unit])).stdout).toContain('auto run %i')
    expect(JSON.parse(readFileSync(configPath, 'utf8')).drives[0].autoBackup).toBe(true)
    saveArtifact('auto/unit.service', readFileSync(files.template, 'utf8'))
    saveArtifact('auto/rule.rules', readFileSync(files.rule, 'utf8'))
    byCli = { rule: readFileSync(files.rule, 'utf8'), template: readFileSync(files.template, 'utf8'), instance: JSON.parse(readFileSync(files.instance, 'utf8')) }
  })

  it('plugging the drive in backs it up with nobody typing, holds sleep off meanwhile, and leaves it exported and powered off', async () => {
    await unplug(drive.usb)
    const inhibitors: string[] = []
    let watching = true
    const watch = (async () => {
      while (watching) {
        inhibitors.push((await sh(['systemd-inhibit', '--list', '--no-pager', '--no-legend'], { ok: false })).stdout)
        await new Promise((r) => setTimeout(r, 200))
      }
    })()
    await plug(drive.usb)
    await waitFor('the headless run in the history', () => history().length > 0, 480_000)
    watching = false
    await watch
    await until(`${unit} to finish`, async () => /ActiveState=inactive/.test(await unitState()))
    const [rec] = history()
    const journal = (await sh(['journalctl', '--no-pager', '-o', 'cat', '-u', unit])).stdout
    saveArtifact('auto/journal.txt', journal)
    saveArtifact('auto/inhibitors.txt', inhibitors.join('\n---\n'))
    expect(rec, journal).toMatchObject({ verb: 'backup', drive: 'T7', outcome: 'succeeded', headless: true })
    expect(rec!.replicated.map((x) => x.target)).toEqual([`${POOL}/autolap`])
    expect(journal).toContain(`zpool import -d ${drive.usb.byId} -d ${drive.usb.byId}-part1 -N -o failmode=continue ${drive.guid}`)
    expect(journal).toMatch(/✓ done in/)
    expect(await importedPools()).not.toContain(POOL)
    await waitFor('the drive to power off', () => !existsSync(drive.usb.byId), 60_000)
    // The inhibitor was there during the run and is gone after it.
    expect(inhibitors.some((l) => l.includes('ZFS Drive Backup') && l.includes('Backing up to T7') && /block/.test(l)), inhibitors.join('\n')).toBe(true)
    expect((await sh(['systemd-inhibit', '--list', '--no-pager', '--no-legend'])).stdout).not.toContain('ZFS Drive Backup')
    expect(await unitState()).toContain('Result=success')
  })

  it('auto disable removes the rule, the instance and the unit; the next plug starts nothing', async () => {
    const r = await cli('auto', 'disable', '--drive', 'T7')
    saveArtifact('auto/disable.txt', r.stdout + r.stderr)
    expect(r.exitCode, r.stdout + r.stderr).toBe(0)
    for (const f of Object.values(files)) expect(existsSync(f), f).toBe(false)
    expect((await sh(['systemctl', 'cat', unit], { ok: false })).exitCode).not.toBe(0)
    expect(JSON.parse(readFileSync(configPath, 'utf8')).drives[0].autoBackup).toBe(false)
    await unplug(drive.usb)
    await plug(drive.usb)
    // udev has run every rule for the new devices once settle returns: none starts the service.
    await sh(['udevadm', 'settle', '--timeout=60'])
    expect(await unitState()).toMatch(/LoadState=not-found[\s\S]*ActiveState=inactive/)
    expect(history()).toHaveLength(1)
    expect(existsSync(drive.usb.byId)).toBe(true)
  })

  it('the window’s switch, through the helper: the same rule, unit and instance as auto enable; off removes everything', async () => {
    const on = await helperJob({ verb: 'auto', configPath, drive: 'T7', on: true })
    saveArtifact('auto/helper-on.jsonl', on.events.map((e) => JSON.stringify(e)).join('\n'))
    expect(on.exitCode, JSON.stringify(on.events)).toBe(0)
    expect(on.events).toContainEqual({ type: 'auto-backup', drive: 'T7', on: true, unit })
    expect(readFileSync(files.rule, 'utf8')).toBe(byCli.rule)
    expect(readFileSync(files.template, 'utf8')).toBe(byCli.template)
    expect(JSON.parse(readFileSync(files.instance, 'utf8'))).toEqual({ ...byCli.instance, historyPath: rootHistory })
    // The rule that fired above, byte for byte, and a unit systemd has loaded.
    expect((await sh(['systemctl', 'cat', unit])).stdout).toContain('auto run %i')

    const off = await helperJob({ verb: 'auto', configPath, drive: 'T7', on: false })
    expect(off.exitCode, JSON.stringify(off.events)).toBe(0)
    expect(off.events).toContainEqual({ type: 'auto-backup', drive: 'T7', on: false, unit })
    for (const f of Object.values(files)) expect(existsSync(f), f).toBe(false)
    expect((await sh(['systemctl', 'cat', unit], { ok: false })).exitCode).not.toBe(0)
  })
})
