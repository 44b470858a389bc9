// Every prerequisite, each with the fix for Debian and for NixOS (the guide's author runs NixOS).
import type { DoctorCheck } from '../../shared/wire'
import type { Config } from '../config/schema'
import type { Runner } from '../system/runner'
import { syncoidVersion } from '../system/syncoid'
import { kernelLog } from '../system/kmsg'
import { getDatasetProperties, listSnapshots } from '../system/zfs'
import { listPools, parsePoolGet, parseZfsVersion, poolGetArgv, runningZfsVersion, zfsHasRawSendFix, zfsVersionArgv } from '../system/zpool'
import { which } from './tools'
import { readKeptBases } from './drive-status'
import { currentBookmark } from './keep-base'
import { bytes } from './units'
import { brokenThisBoot, defaultVerifiedStatePath } from './verified-state'
import { delegationDoctor } from './delegation'

const tool = (id: string, command: string, title: string, debian: string, nixos: string, severity: 'error' | 'warning' = 'error'): DoctorCheck => {
  const path = which(command)
  return { id, title, ok: path !== null, severity, detail: path ? `found at ${path}` : `${command} is not on PATH`, ...(path ? {} : { fix: { debian, nixos } }) }
}

/** sanoid names snapshots …_hourly, _daily, _weekly, _monthly, _yearly; the newest must not be older than its period allows. */
const periodSeconds: Record<string, number> = { frequently: 15 * 60, hourly: 3600, daily: 86400, weekly: 7 * 86400, monthly: 31 * 86400, yearly: 366 * 86400 }

export function snapshotFreshness(names: { snapshot: string; creation: number }[], now: number): { ok: boolean; detail: string } {
  const sanoid = names.filter((n) => /^autosnap_.*_(frequently|hourly|daily|weekly|monthly|yearly)$/.test(n.snapshot))
  if (sanoid.length === 0) return { ok: false, detail: 'no sanoid snapshots (autosnap_…) yet' }
  const shortest = Math.min(...sanoid.map((n) => periodSeconds[n.snapshot.split('_').pop()!]!))
  const newest = Math.max(...sanoid.map((n) => n.creation))
  const age = now / 1000 - newest
  // Twice the period: one missed run is normal (laptop asleep), two in a row means sanoid is not running.
  const ok = age <= 2 * shortest
  return { ok, detail: `newest sanoid snapshot is ${Math.round(age / 60)} min old; the shortest period configured is ${Math.round(shortest / 60)} min` }
}

export async function runDoctor(runner: Runner, config: Config, now = Date.now()): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [
    tool('zfs', 'zfs', 'OpenZFS tools (zfs, zpool)', 'sudo apt install -t bookworm-backports zfsutils-linux zfs-dkms', 'boot.supportedFilesystems = [ "zfs" ];'),
  ]
  if (checks[0]!.ok) {
    const r = await runner.run(zfsVersionArgv(), { allowFailure: true })
    const v = parseZfsVersion(r.stdout)
    const kernel = runningZfsVersion(v)
    const ok = kernel !== null && zfsHasRawSendFix(kernel)
    checks.push({
      id: 'zfs-version', title: 'OpenZFS has the snapshot-corruption fix (#12014: 2.2.8, 2.3.3, 2.4.0)', ok, severity: 'warning',
      detail: kernel ? `kernel module ${kernel}${v.userland && v.userland !== kernel ? `, tools ${v.userland} (reboot to load the new module)` : ''}` : 'the ZFS kernel module is not loaded',
      ...(ok ? {} : { fix: { debian: 'sudo apt install -t bookworm-backports zfsutils-linux zfs-dkms && sudo reboot', nixos: 'boot.zfs.package = pkgs.zfs_2_3;  # or a newer zfs' } }),
    })
  }
  // syncoid (perl) matters only when the config asks for it; the native engine needs neither it nor pv.
  if (config.replication.engine === 'syncoid') {
    const syncoid = tool('syncoid', 'syncoid', 'syncoid (from sanoid; replication.engine is "syncoid")', 'sudo apt install sanoid  # Debian 12 ships 2.1.0: install trixie\'s sanoid_2.2.0-2_all.deb', 'environment.systemPackages = [ pkgs.sanoid ];')
    checks.push(syncoid)
    if (syncoid.ok) {
      const c = await syncoidVersion(runner)
      checks.push({
        id: 'syncoid-version', title: 'syncoid 2.2.0 or newer', ok: c.ok, severity: 'error', detail: c.version ? `syncoid ${c.version}` : (c.problem ?? 'version unknown'),
        ...(c.ok ? {} : { fix: { debian: 'download sanoid_2.2.0-2_all.deb from Debian trixie and run: sudo apt install ./sanoid_2.2.0-2_all.deb', nixos: 'environment.systemPackages = [ pkgs.sanoid ];  # nixpkgs has 2.2.0' } }),
      })
    }
    checks.push(tool('pv', 'pv', 'pv (byte progress through syncoid)', 'sudo apt install pv', 'environment.systemPackages = [ pkgs.pv ];', 'warning'))
    checks.push(tool('unshare', 'unshare', 'unshare (util-linux: syncoid\'s pipeline dies with the run that started it)', 'sudo apt install util-linux', 'environment.systemPackages = [ pkgs.util-linux ];', 'warning'))
  } else {
    checks.push(tool('setpriv', 'setpriv', 'setpriv (util-linux: a transfer dies with the run that started it)', 'sudo apt install util-linux', 'environment.systemPackages = [ pkgs.util-linux ];', 'warning'))
  }
  checks.push(
    tool('udisksctl', 'udisksctl', 'udisks2 (drive detection and power-off)', 'sudo apt install udisks2', 'services.udisks2.enable = true;'),
    tool('pkexec', 'pkexec', 'pkexec and polkit (the password prompt of the tray app)', 'sudo apt install pkexec polkitd', 'security.polkit.enable = true;', 'warning'),
  )
  if (checks[0]!.ok) {
    for (const s of config.sources) {
      try {
        const props = await getDatasetProperties(runner, s.dataset)
        checks.push({
          id: `source-encrypted:${s.dataset}`, title: `${s.dataset} is encrypted`, ok: props.encrypted || s.allowUnencrypted, severity: 'error',
          detail: props.encrypted ? `${props.encryption}, encryption root ${props.encryptionroot}` : s.allowUnencrypted ? 'not encrypted (allowed in the config: the drive holds a plain copy)' : 'not encrypted: its copy on the drive would be readable by anyone',
          ...(props.encrypted || s.allowUnencrypted ? {} : { fix: { debian: `back up an encrypted dataset instead, e.g. zfs create -o encryption=on -o keyformat=passphrase ${s.dataset.split('/')[0]}/secure` } }),
        })
        const fresh = snapshotFreshness(await listSnapshots(runner, s.dataset), now)
        checks.push({
          id: `sanoid-fresh:${s.dataset}`, title: `sanoid keeps taking snapshots of ${s.dataset}`, ok: fresh.ok, severity: 'warning', detail: fresh.detail,
          ...(fresh.ok ? {} : { fix: { debian: 'sudo systemctl enable --now sanoid.timer  # and list the dataset in /etc/sanoid/sanoid.conf with autosnap = yes', nixos: `services.sanoid = { enable = true; datasets."${s.dataset}" = { autosnap = true; autoprune = true; }; };` } }),
        })
      } catch (err) {
        checks.push({ id: `source:${s.dataset}`, title: `${s.dataset} exists`, ok: false, severity: 'error', detail: err instanceof Error ? err.message : String(err) })
      }
    }
  }
  if (checks[0]!.ok) checks.push(...(await failmodeChecks(runner, config)), ...(await keptBaseChecks(runner, config)))
  if (checks[0]!.ok) checks.push(...(await delegationDoctor(runner, config)))
  return checks
}

/**
 * failmode=wait (zpool's default, kept by guide-made and adopted drives) lets a pulled cable hang every zfs
 * command. Every import by this app sets continue; a drive imported otherwise may still have wait. A pool
 * left imported and SUSPENDED by a pull is named too: nothing should export it before the drive is back;
 * and one ZFS broke on in this boot (a kernel panic after the clear, verified-state.ts) needs a reboot.
 */
export async function failmodeChecks(runner: Runner, config: Config, statePath = defaultVerifiedStatePath()): Promise<DoctorCheck[]> {
  const pools = await listPools(runner).catch(() => [])
  const out: DoctorCheck[] = []
  for (const d of config.drives) {
    const title = `drive "${d.name}" fails instead of hanging when unplugged mid-write`
    const p = pools.find((x) => x.guid === d.poolGuid)
    if (!p) {
      out.push({ id: `failmode:${d.name}`, title, ok: true, severity: 'warning', detail: 'not imported: every import by this app sets failmode=continue' })
      continue
    }
    const broken = brokenThisBoot(statePath, d.poolGuid, kernelLog.bootId())
    if (broken) {
      const reboot = 'Reboot: only that frees the pool. Then back up again; the transfer continues where it stopped.'
      out.push({ id: `broken:${d.name}`, title: `drive "${d.name}"'s pool is usable`, ok: false, severity: 'error', detail: `pool ${p.name}: ${broken}`, fix: { debian: reboot, nixos: reboot } })
      continue
    }
    if (p.health === 'SUSPENDED' || p.health === 'UNAVAIL') {
      out.push({
        id: `pulled:${d.name}`, title: `drive "${d.name}"'s pool is usable`, ok: false, severity: 'error',
        detail: `pool ${p.name} is ${p.health}: its drive was disconnected while imported`,
        fix: { debian: `Plug the drive back in, then: zfs-drive-backup backup --drive ${JSON.stringify(d.name)}`, nixos: `Plug the drive back in, then: zfs-drive-backup backup --drive ${JSON.stringify(d.name)}` },
      })
    }
    const value = parsePoolGet((await runner.run(poolGetArgv(p.name, ['failmode']), { allowFailure: true })).stdout).get(p.name)?.failmode?.value
    if (!value) continue
    const ok = value !== 'wait'
    out.push({
      id: `failmode:${d.name}`, title, ok, severity: 'warning',
      detail: `pool ${p.name} has failmode=${value}${ok ? '' : ': it was imported by something other than this app, and a pulled cable would hang every later zfs command until the drive is back'}`,
      ...(ok ? {} : { fix: { debian: `sudo zpool set failmode=continue ${p.name}`, nixos: `sudo zpool set failmode=continue ${p.name}` } }),
    })
  }
  return out
}

/** Per drive and source: does the laptop keep the base of that drive's next backup (its bookmark)? */
async function keptBaseChecks(runner: Runner, config: Config): Promise<DoctorCheck[]> {
  const sources = [...new Set(config.drives.flatMap((d) => Object.keys(d.targets)))]
  const facts = await readKeptBases(runner, sources)
  if (!facts.bookmarks) return []
  return config.drives.flatMap((d) => Object.keys(d.targets).map((source): DoctorCheck => {
    const mark = currentBookmark(facts.bookmarks!.get(source) ?? [], d.poolGuid)
    const full = facts.fullBytes?.get(source)
    const size = full === undefined ? 'a full send' : `a full send (about ${bytes(full)})`
    return {
      id: `kept-base:${d.name}:${source}`, title: `The laptop keeps the base of ${d.name}'s next backup of ${source}`, ok: mark !== null, severity: 'warning',
      detail: mark
        ? `bookmark ${mark.name}: the next backup to ${d.name} stays incremental even after sanoid prunes the snapshot it marks; ${size} only if it is removed`
        : `no bookmark for ${d.name} yet (each verified backup leaves one): once sanoid prunes the drive's newest snapshot, its next backup is ${size}`,
      ...(mark ? {} : { fix: { debian: `sudo zfs-drive-backup backup --drive '${d.name}'` } }),
    }
  }))
}
