// The window's part of the guide's section 10 (issue 15): delegation on each source, snapshots by hand,
// "snapshot before backing up" per source, and the key rehearsal. Reads run as the user; every change to
// ZFS is a fixed helper job (main/helper/guide-verbs.ts), the passphrase only on the helper's stdin.
import type { Accepted, Delegation } from '../../shared/wire'
import { saveConfig } from '../config/load'
import { APP_PERMISSIONS, PERMISSION_USES, readDelegation, resolveUser } from '../engine/delegation'
import { configuredSnapshot, handSnapshotNameRule } from '../engine/hand-snapshot'
import type { Job } from '../helper/job'
import type { Runner } from '../system/runner'
import type { AppData } from './app-data'
import type { Handlers } from './ipc'

export type GuideChannel = 'delegation:get' | 'delegation:grant' | 'delegation:revoke' | 'snapshot:create' | 'snapshot:destroy' | 'source:snapshot-before-backup' | 'key:verify'

export interface GuideDeps {
  runner: Runner
  data: AppData
  configPath: string
  start: (job: Job, secret?: string) => Accepted
  changed: () => void
  uid?: number
}

const no = (reason: string): Accepted => ({ accepted: false, reason })

export function guideHandlers(g: GuideDeps): Pick<Handlers, GuideChannel> {
  const base = { configPath: g.configPath }
  const source = (s: string | undefined) => (s ? { source: s } : {})
  return {
    'delegation:get': async (): Promise<Delegation> => {
      const user = await resolveUser(g.runner, g.uid ?? process.getuid?.() ?? 0)
      const r = await readDelegation(g.runner, g.data.config, user)
      return { ...r, needs: APP_PERMISSIONS.map((permission) => ({ permission, use: PERMISSION_USES[permission] })) }
    },
    'delegation:grant': async (r) => g.start({ verb: 'delegation-grant', ...base, ...source(r.source) }),
    'delegation:revoke': async (r) => g.start({ verb: 'delegation-revoke', ...base, ...source(r.source) }),
    'snapshot:create': async ({ source: ds, name }) => {
      if (!g.data.config.sources.some((s) => s.dataset === ds)) return no(`${ds} is not a configured source.`)
      const why = handSnapshotNameRule(name)
      return why ? no(`Cannot name a snapshot “${name}”: ${why}.`) : g.start({ verb: 'snapshot-create', ...base, source: ds, name })
    },
    'snapshot:destroy': async ({ snapshot, confirm }) => {
      let name: string
      try {
        name = configuredSnapshot(g.data.config, snapshot).name
      } catch (err) {
        return no((err as Error).message)
      }
      return confirm === name ? g.start({ verb: 'snapshot-destroy', ...base, snapshot, confirm }) : no(`Type the snapshot’s name (${name}) to delete it.`)
    },
    'source:snapshot-before-backup': async ({ dataset, enabled }) => {
      if (!g.data.config.sources.some((s) => s.dataset === dataset)) return no(`${dataset} is not a configured source.`)
      try {
        const sources = g.data.config.sources.map((s) => (s.dataset === dataset ? { ...s, snapshotBeforeBackup: enabled } : s))
        g.data.setConfig(await saveConfig({ ...g.data.config, sources }, g.configPath))
        g.changed()
        return { accepted: true }
      } catch (err) {
        return no(err instanceof Error ? err.message : String(err))
      }
    },
    'key:verify': async ({ drive, passphrase }) => {
      if (/[\r\n]/.test(passphrase)) return no('A passphrase cannot contain a line break.')
      if (!g.data.drive(drive)) return no(`No drive named “${drive}” is configured.`)
      // Handed to the helper's stdin in this call and not kept anywhere.
      return g.start({ verb: 'verify-key', ...base, drive }, passphrase)
    },
  }
}
