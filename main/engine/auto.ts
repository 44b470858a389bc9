// Backup on plug, headless: what `auto enable` installs and `auto disable` removes, and how the service
// finds its way back from the unit instance to a user and a drive.
//
// Per drive and user, three things (all root-owned):
//   /etc/udev/rules.d/90-zfs-drive-backup-<uid>-<guid>.rules   starts the service when the pool's vdev appears
//   /etc/zfs-drive-backup/auto/<uid>-<guid>.json               whose config and history the service uses
//   /etc/systemd/system/zfs-drive-backup-auto@.service          the template, shared; removed with the last rule
// The instance name is "<uid>-<pool GUID>": two numbers, trivially validated, no systemd escaping needed.
import { constants } from 'node:fs'
import { mkdir, open, readdir, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'
import { poolGuidSchema } from '../config/schema'
import type { Runner } from '../system/runner'
import { daemonReloadArgv, templateUnitText } from '../system/systemd'
import { autoRuleText, udevReloadArgv } from '../system/udev'
import { EngineError } from './errors'

export const UNIT_TEMPLATE = 'zfs-drive-backup-auto@.service'

export interface AutoPaths {
  rulesDir: string
  unitDir: string
  instanceDir: string
}

export const DEFAULT_AUTO_PATHS: AutoPaths = { rulesDir: '/etc/udev/rules.d', unitDir: '/etc/systemd/system', instanceDir: '/etc/zfs-drive-backup/auto' }

export const AutoInstance = z
  .string()
  .regex(/^\d{1,10}-\d{1,20}$/, 'an instance is <uid>-<pool GUID>')
  .transform((s, ctx) => {
    const [uid, guid] = s.split('-') as [string, string]
    if (!poolGuidSchema.safeParse(guid).success || Number(uid) > 0xffffffff) {
      ctx.addIssue({ code: 'custom', message: 'an instance is <uid>-<pool GUID>' })
      return z.NEVER
    }
    return { uid: Number(uid), poolGuid: guid, name: s }
  })
export type AutoInstance = z.output<typeof AutoInstance>

export const instanceName = (uid: number, poolGuid: string): string => `${uid}-${poolGuid}`
export const unitName = (instance: string): string => `zfs-drive-backup-auto@${instance}.service`

/** What the service reads about its instance; written by root at enable time. */
export const InstanceFile = z.strictObject({
  version: z.literal(1),
  uid: z.number().int().nonnegative(),
  poolGuid: poolGuidSchema,
  /** For messages only: the service looks the drive up by its pool GUID. */
  drive: z.string(),
  configPath: z.string().regex(/^\/[^\0\n\r]*\.json$/),
  historyPath: z.string().regex(/^\/[^\0\n\r]+$/),
})
export type InstanceFile = z.infer<typeof InstanceFile>

const rulePath = (p: AutoPaths, instance: string): string => join(p.rulesDir, `90-zfs-drive-backup-${instance}.rules`)
const instancePath = (p: AutoPaths, instance: string): string => join(p.instanceDir, `${instance}.json`)
const unitPath = (p: AutoPaths): string => join(p.unitDir, UNIT_TEMPLATE)

export interface EnableOptions {
  paths?: AutoPaths
  runner: Runner
  instance: InstanceFile
  /** The CLI the service runs, e.g. [node, /usr/lib/…/cli.js]; "auto run <instance>" is appended. */
  command: string[]
  environment: Record<string, string>
  systemctl: string
}

/** Root writes these into root-owned directories only: a temporary file, then rename over. */
async function writeRootFile(path: string, text: string, mode = 0o644): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`
  await writeFile(tmp, text, { mode, flag: 'w' })
  await rename(tmp, path)
}

export async function enableAuto(o: EnableOptions): Promise<string[]> {
  const p = o.paths ?? DEFAULT_AUTO_PATHS
  const name = instanceName(o.instance.uid, o.instance.poolGuid)
  await mkdir(p.instanceDir, { recursive: true, mode: 0o755 })
  await mkdir(p.rulesDir, { recursive: true })
  await mkdir(p.unitDir, { recursive: true })
  const unit = templateUnitText({ description: 'ZFS Drive Backup: back up on plug', command: [...o.command, 'auto', 'run'], environment: o.environment })
  await writeRootFile(unitPath(p), unit)
  await writeRootFile(instancePath(p, name), `${JSON.stringify(InstanceFile.parse(o.instance), null, 2)}\n`)
  await writeRootFile(rulePath(p, name), autoRuleText({ poolGuid: o.instance.poolGuid, unit: unitName(name), systemctl: o.systemctl, comment: `zfs-drive-backup: back up drive ${JSON.stringify(o.instance.drive)} of uid ${o.instance.uid} when it is plugged in` }))
  await o.runner.run(daemonReloadArgv())
  await o.runner.run(udevReloadArgv())
  return [unitPath(p), instancePath(p, name), rulePath(p, name)]
}

/** Removes the rule and instance file; the template too when no other instance is left. Returns what it removed. */
export async function disableAuto(o: { paths?: AutoPaths; runner: Runner; uid: number; poolGuid: string }): Promise<string[]> {
  const p = o.paths ?? DEFAULT_AUTO_PATHS
  const name = instanceName(o.uid, o.poolGuid)
  const removed: string[] = []
  for (const f of [rulePath(p, name), instancePath(p, name)]) if (await removeIfThere(f)) removed.push(f)
  if ((await listInstances(p)).length === 0 && (await removeIfThere(unitPath(p)))) removed.push(unitPath(p))
  await o.runner.run(udevReloadArgv())
  await o.runner.run(daemonReloadArgv())
  return removed
}

async function removeIfThere(path: string): Promise<boolean> {
  try {
    await rm(path)
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw err
  }
}

export async function listInstances(p: AutoPaths = DEFAULT_AUTO_PATHS): Promise<string[]> {
  try {
    return (await readdir(p.instanceDir)).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).filter((n) => AutoInstance.safeParse(n).success)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw err
  }
}

/** The service's instance file: must be root's, not writable by anyone else, and name the same uid and GUID. */
export async function readInstance(instance: AutoInstance, p: AutoPaths = DEFAULT_AUTO_PATHS): Promise<InstanceFile> {
  const path = instancePath(p, instance.name)
  let fh
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new EngineError('auto-not-enabled', code === 'ENOENT' ? `Backup on plug is not enabled for ${instance.name} (no ${path}).` : `${path}: cannot be opened (${code ?? 'error'}).`, 'Enable it with: sudo zfs-drive-backup auto enable --drive NAME')
  }
  try {
    const st = await fh.stat()
    if (!st.isFile() || st.uid !== 0 || st.mode & 0o022) throw new EngineError('auto-refused', `${path}: must be a regular file owned by root and writable only by root.`)
    const parsed = InstanceFile.safeParse(JSON.parse(await fh.readFile({ encoding: 'utf8' })))
    if (!parsed.success || parsed.data.uid !== instance.uid || parsed.data.poolGuid !== instance.poolGuid) throw new EngineError('auto-refused', `${path}: does not describe instance ${instance.name}.`)
    return parsed.data
  } catch (err) {
    if (err instanceof SyntaxError) throw new EngineError('auto-refused', `${path}: is not valid JSON.`)
    throw err
  } finally {
    await fh.close()
  }
}
