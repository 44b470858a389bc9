// Runs inside the test VM (npm run bench boots it). Every figure is a ratio against a baseline measured in
// the same run on the same data, because absolute times under emulation say little about a real laptop.
//   (a) throughput: `zfs-drive-backup backup` vs a bare `zfs send -w … | zfs receive -s -u …`
//   (b) no-op with 500 snapshots on both sides: `backup` vs bare syncoid with the guide's flags
//   (c) peak RSS of the CLI process during (a)
import { join } from 'node:path'
import { execa } from 'execa'
import { readFileSync, writeFileSync } from 'node:fs'
import { replug } from '../test/vm/guest/drives'
import { saveArtifact } from '../test/vm/guest/env'
import { configFor, makeBackupDrive, makeSource, snap, writeRandom, type BackupDrive, type SourcePool } from '../test/vm/guest/pools'
import { sh } from '../test/vm/guest/sh'

const cli = join(process.cwd(), 'out/main/cli.js')
const results: Record<string, unknown> = {}
const log = (line: string) => console.log(line)

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now()
  const r = await fn()
  return [(performance.now() - t0) / 1000, r]
}

/** Runs the CLI and samples its peak RSS (VmHWM never decreases, so the last sample is the best lower bound). */
async function runCli(config: object, drive: BackupDrive): Promise<{ seconds: number; peakRssMb: number; replicateMs: number }> {
  await replug(drive.usb)
  const configPath = `/tmp/bench-${drive.pool}.json`
  writeFileSync(configPath, JSON.stringify(config))
  const t0 = performance.now()
  const child = execa('node', [cli, 'backup', '--no-power-off', '--json', '--config', configPath, '--history', '/tmp/bench-history.jsonl'], { reject: false })
  let peak = 0
  const timer = setInterval(() => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))
      if (m) peak = Math.max(peak, Number(m[1]))
    } catch {
      // exited
    }
  }, 100)
  const r = await child
  clearInterval(timer)
  const seconds = (performance.now() - t0) / 1000
  if (r.exitCode !== 0) throw new Error(`backup failed:\n${r.stdout}\n${r.stderr}`)
  const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l))
  const replicateMs = events.find((e) => e.type === 'step-finished' && e.step === 'replicate')?.durationMs ?? 0
  return { seconds, peakRssMb: peak / 1024, replicateMs }
}

async function bare(src: SourcePool, drive: BackupDrive, from: string | null, to: string): Promise<number> {
  await replug(drive.usb)
  await sh(['zpool', 'import', '-d', '/dev/disk/by-id', '-N', drive.guid])
  const send = from ? `-I '${src.dataset}@${from}'` : ''
  const [s] = await timed(() => sh(['bash', '-c', `zfs send -w ${send} '${src.dataset}@${to}' | zfs receive -s -u '${drive.pool}/${src.pool}'`]))
  await sh(['zpool', 'export', drive.pool])
  return s
}

async function throughput(): Promise<void> {
  const src = await makeSource('benchsrc', { sizeMb: 2048 })
  writeRandom(src, 'a.bin', 150)
  const s1 = await snap(src)
  const streamBytes = Number(/^size\t(\d+)$/m.exec((await sh(['zfs', 'send', '-nvPw', `${src.dataset}@${s1}`])).stdout)![1])
  const bareDrive = await makeBackupDrive('benchbare', 'bkbare', { sizeMb: 2048 })
  const appDrive = await makeBackupDrive('benchapp', 'bkapp', { sizeMb: 2048 })
  const config = configFor(src, [{ name: 'bench', drive: appDrive }])
  const fullBare = await bare(src, bareDrive, null, s1)
  const fullApp = await runCli(config, appDrive)
  writeRandom(src, 'b.bin', 40)
  const s2 = await snap(src)
  const incBytes = Number(/^size\t(\d+)$/m.exec((await sh(['zfs', 'send', '-nvPw', '-I', `${src.dataset}@${s1}`, `${src.dataset}@${s2}`])).stdout)![1])
  // Opposite order for the incremental, so drift in the machine's load does not favour one side.
  const incApp = await runCli(config, appDrive)
  const incBare = await bare(src, bareDrive, s1, s2)
  const mbps = (bytes: number, s: number) => bytes / 1e6 / s
  results.throughput = {
    full: { bytes: streamBytes, bareSeconds: fullBare, appSeconds: fullApp.seconds, appReplicateSeconds: fullApp.replicateMs / 1000, ratio: fullBare / fullApp.seconds, replicateRatio: fullBare / (fullApp.replicateMs / 1000) },
    incremental: { bytes: incBytes, bareSeconds: incBare, appSeconds: incApp.seconds, appReplicateSeconds: incApp.replicateMs / 1000, ratio: incBare / incApp.seconds, replicateRatio: incBare / (incApp.replicateMs / 1000) },
    peakRssMb: Math.max(fullApp.peakRssMb, incApp.peakRssMb),
  }
  log(`(a) full ${(streamBytes / 1e6).toFixed(0)} MB: bare ${fullBare.toFixed(1)} s (${mbps(streamBytes, fullBare).toFixed(1)} MB/s), backup ${fullApp.seconds.toFixed(1)} s (${mbps(streamBytes, fullApp.seconds).toFixed(1)} MB/s; its replicate step ${(fullApp.replicateMs / 1000).toFixed(1)} s) → throughput ratio backup/bare ${(fullBare / fullApp.seconds).toFixed(2)}, replicate step alone ${(fullBare / (fullApp.replicateMs / 1000)).toFixed(2)}`)
  log(`(a) incremental ${(incBytes / 1e6).toFixed(0)} MB: bare ${incBare.toFixed(1)} s, backup ${incApp.seconds.toFixed(1)} s (replicate ${(incApp.replicateMs / 1000).toFixed(1)} s) → ratio ${(incBare / incApp.seconds).toFixed(2)}, replicate step alone ${(incBare / (incApp.replicateMs / 1000)).toFixed(2)}`)
  log(`(c) peak RSS of the CLI process: ${results.throughput && (results.throughput as { peakRssMb: number }).peakRssMb.toFixed(0)} MB`)
  for (const d of [bareDrive, appDrive]) await sh(['zpool', 'export', d.pool], { ok: false })
}

async function noop(count = 500): Promise<void> {
  const src = await makeSource('benchmany', { sizeMb: 512 })
  writeRandom(src, 'seed.bin', 1)
  await snap(src)
  // ZFS allows one snapshot of a dataset per txg, so a channel program cannot batch them (it fails with
  // EAGAIN after the first): one `zfs snapshot` each, in one shell to spare 500 process starts of node.
  const names = Array.from({ length: count }, (_, i) => `autosnap_2026-10-${String(1 + Math.floor(i / 24)).padStart(2, '0')}_${String(i % 24).padStart(2, '0')}:00:00_hourly`)
  writeFileSync('/tmp/snaps.txt', names.map((n) => `${src.dataset}@${n}`).join('\n') + '\n')
  const [snapSeconds] = await timed(() => sh(['bash', '-c', 'while read -r s; do zfs snapshot "$s" || exit 1; done < /tmp/snaps.txt']))
  log(`(b) created ${count} snapshots in ${snapSeconds.toFixed(0)} s`)
  const drive = await makeBackupDrive('benchmany', 'bkmany', { sizeMb: 512 })
  const config = configFor(src, [{ name: 'many', drive }])
  const [seedSeconds] = await timed(() => runCli(config, drive))
  log(`(b) first replication of ${count + 1} snapshots took ${seedSeconds.toFixed(0)} s`)
  const app = await runCli(config, drive)
  await replug(drive.usb)
  await sh(['zpool', 'import', '-d', '/dev/disk/by-id', '-N', drive.guid])
  const [syncoidSeconds, out] = await timed(() => sh(['syncoid', '--sendoptions=w', '--compress=none', '--delete-target-snapshots', '--no-sync-snap', '--no-rollback', src.dataset, `bkmany/${src.pool}`]))
  if (!/Nothing to do/.test(out.stdout + out.stderr)) throw new Error(`syncoid was not a no-op:\n${out.stdout}${out.stderr}`)
  await sh(['zpool', 'export', 'bkmany'])
  results.noop = { snapshots: count + 1, backupSeconds: app.seconds, syncoidSeconds, ratio: syncoidSeconds / app.seconds }
  log(`(b) no-op with ${count + 1} snapshots each side: backup ${app.seconds.toFixed(1)} s (import, plan, prune check, verify, export included) vs bare syncoid ${syncoidSeconds.toFixed(1)} s (pool already imported) → backup is ${(syncoidSeconds / app.seconds).toFixed(2)}× as fast`)
}

const only = process.env.BENCH_ONLY
if (!only || only === 'throughput') await throughput()
if (!only || only === 'noop') await noop()
saveArtifact('bench/results.json', JSON.stringify(results, null, 2))
