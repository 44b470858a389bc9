// Runs inside the test VM (npm run bench boots it). Every figure is a ratio against a baseline measured in
// the same run on the same data, as the median of BENCH_REPS (>= 3) repetitions whose order rotates, after
// the ARC was warmed, because absolute times under emulation say little about a real laptop.
//   (a) the replicate step vs a bare `zfs send -w | zfs receive -s -u` (first copy ~150 MB, incremental ~40 MB)
//   (b) the whole run (CLI, import to power-off) vs the guide's alias (import, syncoid, export, power-off)
//   (c) a no-op with BENCH_SNAPSHOTS (2,000) snapshots on each side vs bare syncoid
//   (d) progress: largest gap between updates, final value against the bytes that went through the pipe,
//       error of the total known before the first byte
//   (e) peak RSS of every process of the run (node, zfs send, zfs receive) through a BENCH_BIG_MB (1,000) MB send
import { join } from 'node:path'
import { execa } from 'execa'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { newDrive, plug, replug, unplug } from '../test/vm/guest/drives'
import { guestShare, saveArtifact } from '../test/vm/guest/env'
import { configFor, makeBackupDrive, makeSource, PASSPHRASE, snap, writeRandom, type BackupDrive, type SourcePool } from '../test/vm/guest/pools'
import { sh } from '../test/vm/guest/sh'

const cli = join(process.cwd(), 'out/main/cli.js')
const REPS = Math.max(3, Number(process.env.BENCH_REPS || 3))
const results: Record<string, unknown> = { date: new Date().toISOString(), reps: REPS }
const log = (line: string) => console.log(line)
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}
/** Rep i runs the methods starting at a different one, so drift in the machine's load favours none. */
const rotate = <T>(xs: readonly T[], i: number): T[] => xs.map((_, j) => xs[(i + j) % xs.length]!)

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now()
  const r = await fn()
  return [(performance.now() - t0) / 1000, r]
}

/** Peak RSS (VmHWM) of a process and everything below it, sampled every 100 ms: per command name, in MB. */
function rssSampler(root: number): { stop(): Record<string, number> } {
  const peak: Record<string, number> = {}
  const children = (pid: number): number[] => {
    try {
      return readdirSync(`/proc/${pid}/task`).flatMap((t) => readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number))
    } catch {
      return []
    }
  }
  const sample = (): void => {
    const todo = [root]
    while (todo.length) {
      const pid = todo.pop()!
      try {
        const status = readFileSync(`/proc/${pid}/status`, 'utf8')
        const hwm = /VmHWM:\s+(\d+) kB/.exec(status)
        const name = /Name:\s+(\S+)/.exec(status)?.[1] ?? '?'
        const cmd = name === 'zfs' ? `zfs ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[1] ?? ''}` : name
        if (hwm) peak[cmd] = Math.max(peak[cmd] ?? 0, Number(hwm[1]) / 1024)
      } catch {
        // exited
      }
      todo.push(...children(pid))
    }
  }
  const timer = setInterval(sample, 100)
  return { stop: () => (clearInterval(timer), peak) }
}

interface CliRun {
  seconds: number
  stepMs: Record<string, number>
  progress: { t: number; bytes: number; totalBytes: number | null }[]
  rss: Record<string, number>
  /** Whether the run listed snapshots (a no-op the snapshots_changed skip proves lists none). */
  listed: boolean
}

/** The CLI as a user runs it; `powerOff` false leaves the drive on (and `keepImported` leaves the pool in). */
async function runCli(config: object, opts: { powerOff: boolean }): Promise<CliRun> {
  const configPath = '/tmp/bench-config.json'
  writeFileSync(configPath, JSON.stringify(config))
  const t0 = performance.now()
  const progress: CliRun['progress'] = []
  const child = execa('node', [cli, 'backup', ...(opts.powerOff ? [] : ['--no-power-off']), '--json', '--config', configPath, '--history', '/tmp/bench-history.jsonl'], { reject: false })
  const rss = rssSampler(child.pid!)
  let buf = ''
  child.stdout!.on('data', (chunk: Buffer) => {
    buf += chunk.toString()
    const lines = buf.split('\n')
    buf = lines.pop() ?? ''
    for (const l of lines) {
      const e = JSON.parse(l)
      if (e.type === 'progress' && e.step === 'replicate') progress.push({ t: performance.now(), bytes: e.bytes, totalBytes: e.totalBytes })
    }
  })
  const r = await child
  const peak = rss.stop()
  const seconds = (performance.now() - t0) / 1000
  if (r.exitCode !== 0) throw new Error(`backup failed (${r.exitCode}):\n${r.stdout.slice(-3000)}\n${r.stderr}`)
  const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l))
  const stepMs = Object.fromEntries(events.filter((e) => e.type === 'step-finished').map((e) => [e.step, e.durationMs]))
  const listed = events.some((e) => e.type === 'command' && e.argv.includes('list') && e.argv.includes('snapshot,bookmark'))
  return { seconds, stepMs, progress, rss: peak, listed }
}

const bash = (script: string) => sh(['bash', '-c', script], { timeoutMs: 3_600_000 })
const streamBytes = async (args: string): Promise<number> => Number((await bash(`zfs send -w ${args} | wc -c`)).stdout.trim())

/** (a) and (d): the replicate step against the bare pipe, on one drive whose target is reset between reps. */
async function throughput(): Promise<void> {
  const src = await makeSource('benchsrc', { sizeMb: 2048 })
  writeRandom(src, 'a.bin', 150)
  const s1 = await snap(src)
  const drive = await makeBackupDrive('benchtp', 'bktp', { sizeMb: 2048 })
  await sh(['zpool', 'import', '-d', '/dev/disk/by-id', '-N', drive.guid])
  const target = `bktp/${src.pool}`
  const config = configFor(src, [{ name: 'bench', drive, target }], { afterBackup: { export: false, powerOff: false } })
  const fullBytes = await streamBytes(`'${src.dataset}@${s1}'`)
  await streamBytes(`'${src.dataset}@${s1}'`) // the ARC is warm now
  const bare = (from: string | null, to: string) => timed(() => bash(`zfs send -w ${from ? `-I '${src.dataset}@${from}'` : ''} '${src.dataset}@${to}' | zfs receive -s -u '${target}'`)).then(([s]) => s)
  const app = async () => {
    const r = await runCli(config, { powerOff: false })
    return { seconds: r.stepMs.replicate! / 1000, run: r }
  }
  const full = { bare: [] as number[], app: [] as number[], runs: [] as CliRun[] }
  for (let i = 0; i < REPS; i++) {
    for (const m of rotate(['bare', 'app'] as const, i)) {
      await sh(['zfs', 'destroy', '-r', target], { ok: false })
      if (m === 'bare') full.bare.push(await bare(null, s1))
      else {
        const r = await app()
        full.app.push(r.seconds)
        full.runs.push(r.run)
      }
    }
  }
  writeRandom(src, 'b.bin', 40)
  const s2 = await snap(src)
  const incBytes = await streamBytes(`-I '${src.dataset}@${s1}' '${src.dataset}@${s2}'`)
  const inc = { bare: [] as number[], app: [] as number[], runs: [] as CliRun[] }
  for (let i = 0; i < REPS; i++) {
    for (const m of rotate(['bare', 'app'] as const, i)) {
      await sh(['zfs', 'rollback', '-r', `${target}@${s1}`])
      if (m === 'bare') inc.bare.push(await bare(s1, s2))
      else {
        const r = await app()
        inc.app.push(r.seconds)
        inc.runs.push(r.run)
      }
    }
  }
  const row = (bytes: number, x: typeof full) => ({ bytes, bareSeconds: x.bare, replicateSeconds: x.app, ratio: median(x.app) / median(x.bare) })
  results.a = { full: row(fullBytes, full), incremental: row(incBytes, inc) }
  log(`(a) first copy ${(fullBytes / 1e6).toFixed(0)} MB: bare ${median(full.bare).toFixed(2)} s, replicate step ${median(full.app).toFixed(2)} s → ${(median(full.app) / median(full.bare)).toFixed(2)} (target ≤ 1.05)`)
  log(`(a) incremental ${(incBytes / 1e6).toFixed(0)} MB: bare ${median(inc.bare).toFixed(2)} s, replicate step ${median(inc.app).toFixed(2)} s → ${(median(inc.app) / median(inc.bare)).toFixed(2)}`)
  progressFigures([...full.runs.map((r) => ({ r, bytes: fullBytes })), ...inc.runs.map((r) => ({ r, bytes: incBytes }))])
  await sh(['zpool', 'export', 'bktp'], { ok: false })
  await sh(['zpool', 'destroy', 'benchsrc'], { ok: false })
}

/** (d) from the runs of (a): the bytes that really went through the pipe are the `| wc -c` of the same send. */
function progressFigures(runs: { r: CliRun; bytes: number }[]): void {
  const gaps = runs.map(({ r }) => Math.max(...r.progress.slice(1).map((p, i) => p.t - r.progress[i]!.t)))
  const finalError = runs.map(({ r, bytes }) => (r.progress.at(-1)!.bytes - bytes) / bytes)
  const estimateError = runs.map(({ r, bytes }) => ((r.progress.find((p) => p.totalBytes)?.totalBytes ?? 0) - bytes) / bytes)
  const monotonic = runs.every(({ r }) => r.progress.every((p, i) => i === 0 || p.bytes >= r.progress[i - 1]!.bytes))
  const over = runs.some(({ r }) => r.progress.some((p) => p.totalBytes !== null && p.bytes > p.totalBytes))
  results.d = { largestGapMs: Math.max(...gaps), medianLargestGapMs: median(gaps), finalError, estimateError, monotonic, neverOver100: !over }
  log(`(d) progress: largest gap ${Math.max(...gaps).toFixed(0)} ms (median of runs ${median(gaps).toFixed(0)} ms); final vs bytes through the pipe ${finalError.map((e) => `${(e * 100).toFixed(3)} %`).join(', ')}; first total vs stream ${estimateError.map((e) => `${(e * 100).toFixed(3)} %`).join(', ')}; monotonic ${monotonic}, never above 100 % ${!over}`)
}

/** (b): the CLI's whole run against the guide's alias, each on its own drive, the same new snapshot each rep. */
async function wholeRun(): Promise<void> {
  const src = await makeSource('benchrun', { sizeMb: 1024 })
  writeRandom(src, 'seed.bin', 20)
  await snap(src)
  const appDrive = await makeBackupDrive('benchrapp', 'backup', { sizeMb: 1024 })
  const aliasDrive = await makeBackupDrive('benchralias', 'bkalias', { sizeMb: 1024 })
  const config = configFor(src, [{ name: 'bench', drive: appDrive, target: 'backup/eds' }])
  const alias = `zpool import -d /dev/disk/by-id bkalias && syncoid --sendoptions=w --compress=none --delete-target-snapshots --no-sync-snap --no-rollback '${src.dataset}' bkalias/eds && zpool export bkalias && udisksctl power-off -b '${aliasDrive.usb.byId}'`
  const runAlias = () => timed(() => bash(alias)).then(([s]) => s)
  // The first copy of each, untimed, so every timed rep is the incremental a user runs every day.
  await runCli(config, { powerOff: true })
  await replug(aliasDrive.usb)
  await runAlias()
  const t = { app: [] as number[], alias: [] as number[] }
  const steps: Record<string, number>[] = []
  for (let i = 0; i < REPS; i++) {
    writeRandom(src, `r${i}.bin`, 10)
    await snap(src)
    for (const m of rotate(['alias', 'app'] as const, i)) {
      await replug(m === 'app' ? appDrive.usb : aliasDrive.usb)
      if (m === 'app') {
        const r = await runCli(config, { powerOff: true })
        t.app.push(r.seconds)
        steps.push(r.stepMs)
      } else t.alias.push(await runAlias())
    }
  }
  // Where the app's run goes: each step's median, and what is left (node starting, reading the config).
  const stepMedians = Object.fromEntries(Object.keys(steps[0] ?? {}).map((k) => [k, median(steps.map((s) => (s[k] ?? 0) / 1000))]))
  const outside = median(steps.map((s, i) => t.app[i]! - Object.values(s).reduce((a, b) => a + b, 0) / 1000))
  results.b = { appSeconds: t.app, aliasSeconds: t.alias, ratio: median(t.app) / median(t.alias), appStepSeconds: stepMedians, appOutsideStepsSeconds: outside }
  log(`(b) whole run, 10 MB incremental: guide's alias ${median(t.alias).toFixed(1)} s, zfs-drive-backup ${median(t.app).toFixed(1)} s → ${(median(t.app) / median(t.alias)).toFixed(2)} (target ≤ 0.6)`)
  log(`(b) the app's steps (medians): ${Object.entries(stepMedians).map(([k, v]) => `${k} ${v.toFixed(1)} s`).join(', ')}; outside the steps (start-up, config, history) ${outside.toFixed(1)} s`)
  await sh(['zpool', 'destroy', 'benchrun'], { ok: false })
}

/**
 * (c)'s fixture: a laptop dataset with `count` snapshots (one txg each, as sanoid takes them) and a drive
 * holding the same snapshots with the same guids. Receiving them one txg each took over a second per
 * snapshot under TCG, so the drive is not received: the pool is built as a mirror of two files, the
 * snapshots are taken once, `zpool split` makes the second file a pool of its own (same datasets, same
 * guids, a new pool GUID), and `zpool replace` moves that pool onto the USB drive (a resilver of a few
 * MB). Both images are kept in the host's cache (bench/run.ts), so later runs only copy them in.
 */
async function manySnapshots(count: number): Promise<{ src: SourcePool; drive: BackupDrive; seconds: number }> {
  const t0 = performance.now()
  const cache = join(guestShare(), 'bench-cache')
  const tag = `many-${count}-v1`
  const srcImg = '/dev/shm/benchmany.img'
  const src: SourcePool = { pool: 'benchmany', dataset: 'benchmany/home', mountpoint: '/srv/benchmany' }
  writeFileSync('/root/benchmany.key', PASSPHRASE)
  const usb = newDrive('benchmany', 256 * 1024 * 1024)
  if (existsSync(join(cache, `${tag}.json`))) {
    const { guid } = JSON.parse(readFileSync(join(cache, `${tag}.json`), 'utf8')) as { guid: string }
    await sh(['cp', '--sparse=always', join(cache, `${tag}-src.img`), srcImg])
    await sh(['cp', '--sparse=always', join(cache, `${tag}-drive.img`), usb.imagePath])
    await sh(['zpool', 'import', '-d', srcImg, src.pool])
    await plug(usb)
    return { src, drive: { usb, pool: 'bkmany', guid }, seconds: (performance.now() - t0) / 1000 }
  }
  const mirror = '/dev/shm/benchmany-b.img'
  await sh(['truncate', '-s', '192M', srcImg, mirror])
  await sh(['zpool', 'create', '-f', '-o', 'ashift=12', '-O', 'compression=lz4', '-O', 'mountpoint=none', src.pool, 'mirror', srcImg, mirror])
  await sh(['zfs', 'create', '-o', 'encryption=aes-256-gcm', '-o', 'keyformat=passphrase', '-o', 'keylocation=file:///root/benchmany.key', '-o', `mountpoint=${src.mountpoint}`, src.dataset])
  writeRandom(src, 'seed.bin', 1)
  // Sanoid-style hourly names, oldest first; each `zfs snapshot` is its own txg, so createtxg orders them.
  const hour = 3600_000
  const names = Array.from({ length: count }, (_, i) => `autosnap_${new Date(Date.UTC(2026, 0, 1) + i * hour).toISOString().slice(0, 19).replace('T', '_')}_hourly`)
  writeFileSync('/tmp/snaps.txt', names.map((n) => `${src.dataset}@${n}`).join('\n') + '\n')
  const [snapSeconds] = await timed(() => bash('while read -r s; do zfs snapshot "$s" || exit 1; done < /tmp/snaps.txt'))
  log(`(c) took ${count} snapshots in ${snapSeconds.toFixed(0)} s (built once, then cached)`)
  await sh(['zpool', 'split', src.pool, 'bkmany', mirror])
  await plug(usb)
  await sh(['parted', '--script', '--align=optimal', usb.byId, '--', 'mklabel', 'gpt', 'mkpart', 'bkmany', '0%', '100%'])
  await sh(['udevadm', 'settle'])
  await sh(['zpool', 'import', '-d', mirror, '-N', 'bkmany'])
  await sh(['zpool', 'replace', 'bkmany', mirror, `${usb.byId}-part1`])
  await sh(['zpool', 'wait', '-t', 'resilver', 'bkmany'])
  const guid = (await sh(['zpool', 'get', '-H', '-p', '-o', 'value', 'guid', 'bkmany'])).stdout.trim()
  await sh(['zpool', 'export', 'bkmany'])
  await sh(['rm', '-f', mirror])
  await unplug(usb)
  await sh(['zpool', 'export', src.pool])
  mkdirSync(cache, { recursive: true })
  await sh(['cp', '--sparse=always', srcImg, join(cache, `${tag}-src.img`)])
  await sh(['cp', '--sparse=always', usb.imagePath, join(cache, `${tag}-drive.img`)])
  writeFileSync(join(cache, `${tag}.json`), JSON.stringify({ guid, count }))
  await sh(['zpool', 'import', '-d', srcImg, src.pool])
  await plug(usb)
  return { src, drive: { usb, pool: 'bkmany', guid }, seconds: (performance.now() - t0) / 1000 }
}

/** (c): a no-op with many snapshots on both sides, both pools imported: the CLI's run vs bare syncoid. */
async function noop(count = Number(process.env.BENCH_SNAPSHOTS || 2000)): Promise<void> {
  const { src, drive, seconds } = await manySnapshots(count)
  log(`(c) fixture of ${count} snapshots on each side ready in ${seconds.toFixed(0)} s`)
  await sh(['zpool', 'import', '-d', '/dev/disk/by-id', '-N', drive.guid])
  const target = 'bkmany/home'
  const config = configFor(src, [{ name: 'many', drive, target }], { afterBackup: { export: false, powerOff: false } })
  const syncoid = async () => {
    const [s, out] = await timed(() => sh(['syncoid', '--sendoptions=w', '--compress=none', '--delete-target-snapshots', '--no-sync-snap', '--no-rollback', src.dataset, target]))
    if (!/Nothing to do/.test(out.stdout + out.stderr)) throw new Error(`syncoid was not a no-op:\n${out.stdout}${out.stderr}`)
    return s
  }
  // The app's first run lists both sides and records what it verified; the timed ones are the no-ops after it.
  const [settle] = await timed(() => runCli(config, { powerOff: false }))
  log(`(c) the app's first run over the fixture (lists both sides, leaves its bookmark) took ${settle.toFixed(1)} s`)
  const t = { app: [] as number[], syncoid: [] as number[], listed: [] as boolean[] }
  for (let i = 0; i < REPS; i++) {
    for (const m of rotate(['syncoid', 'app'] as const, i)) {
      if (m === 'syncoid') t.syncoid.push(await syncoid())
      else {
        const r = await runCli(config, { powerOff: false })
        t.app.push(r.seconds)
        t.listed.push(r.listed)
      }
    }
  }
  results.c = { snapshots: count, appSeconds: t.app, syncoidSeconds: t.syncoid, appListedSnapshots: t.listed, ratio: median(t.app) / median(t.syncoid) }
  log(`(c) no-op, ${count} snapshots each side, pool imported: bare syncoid ${median(t.syncoid).toFixed(1)} s, zfs-drive-backup ${median(t.app).toFixed(1)} s → ${(median(t.app) / median(t.syncoid)).toFixed(2)} (target ≤ 0.1); runs that listed snapshots: ${t.listed.filter(Boolean).length} of ${t.listed.length}`)
  await sh(['zpool', 'export', 'bkmany'], { ok: false })
  await unplug(drive.usb)
  await sh(['zpool', 'destroy', src.pool], { ok: false })
}

/** (e): peak RSS of each process of a run through a big send, against the same through a small one (flat?). */
async function memory(bigMb = Number(process.env.BENCH_BIG_MB || 1000)): Promise<void> {
  const src = await makeSource('benchbig', { sizeMb: bigMb + 1024 })
  writeRandom(src, 'small.bin', 50)
  await snap(src)
  const drive = await makeBackupDrive('benchbig', 'bkbig', { sizeMb: bigMb + 1024 })
  await sh(['zpool', 'import', '-d', '/dev/disk/by-id', '-N', drive.guid])
  const config = configFor(src, [{ name: 'big', drive }], { afterBackup: { export: false, powerOff: false } })
  const small = (await runCli(config, { powerOff: false })).rss
  for (let i = 0; i < bigMb / 100; i++) writeRandom(src, `big${i}.bin`, 100)
  await snap(src)
  const big = (await runCli(config, { powerOff: false })).rss
  results.e = { smallMb: 50, bigMb, small, big }
  const fmt = (r: Record<string, number>) => Object.entries(r).map(([k, v]) => `${k} ${v.toFixed(0)} MB`).join(', ')
  log(`(e) peak RSS through a 50 MB send: ${fmt(small)}; through a ${bigMb} MB send: ${fmt(big)}`)
  await sh(['zpool', 'export', 'bkbig'], { ok: false })
  await sh(['zpool', 'destroy', 'benchbig'], { ok: false })
}

const only = (process.env.BENCH_ONLY ?? '').split(',').filter(Boolean)
const want = (x: string) => only.length === 0 || only.includes(x)
if (want('a')) await throughput()
if (want('b')) await wholeRun()
if (want('c')) await noop()
if (want('e')) await memory()
saveArtifact('bench/results.json', JSON.stringify(results, null, 2))
