// The VM tier: build or reuse the image, boot two guests (one for a filtered run), run the `vm` vitest project
// inside them as root, then (on guest A) the host's `e2e` project: the window in Chromium here, bound to the
// real coordinator there.
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs'
import { basename, join } from 'node:path'
import { execa } from 'execa'
import { ensureImage } from './host/image'
import { newRunDir, projectRoot } from './host/paths'
import { makeProjectDisk } from './host/project-disk'
import { Vm } from './host/vm'

export const GUEST_PROJECT = '/opt/proj'

export async function bootTestVm(): Promise<{ vm: Vm; runDir: string }> {
  const image = await ensureImage()
  const runDir = newRunDir()
  const projectImg = await makeProjectDisk(runDir)
  let vm = new Vm({ imageDir: image.dir, runDir, projectImg })
  const stop = (): void => void vm.stop()
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  try {
    await vm.start()
  } catch (err) {
    // Seen once on a loaded machine: qemu gone during boot with nothing on its stderr. One more boot.
    if (!(err instanceof Error && /qemu exited during boot/.test(err.message))) throw err
    console.error(`[vm] ${err.message}; booting once more`)
    vm = new Vm({ imageDir: image.dir, runDir, projectImg })
    await vm.start()
  }
  await vm.run(`mkdir -p ${GUEST_PROJECT} && mount /dev/disk/by-id/virtio-PROJECT ${GUEST_PROJECT}`)
  return { vm, runDir }
}

/** The environment a test inside the guest uses to find the VM's QMP socket and the shared folder. */
export function guestEnv(vm: Vm, runDir: string): string {
  const env = {
    ZFSVM_GUEST: '1',
    ZFSVM_QMP: `10.0.2.2:${vm.qmpPort}`,
    ZFSVM_HOST_SHARE: join(runDir, 'share'),
    ZFSVM_GUEST_SHARE: '/mnt/host',
    PATH: `${GUEST_PROJECT}/.zfsvm/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
    CI: process.env.CI ?? '',
    ...(process.stdout.isTTY ? { FORCE_COLOR: '1' } : { NO_COLOR: '1' }),
  }
  return Object.entries(env).map(([k, v]) => `${k}='${v}'`).join(' ')
}

/**
 * Seconds each file took in a clean-clone run on a 2-core machine, to share the whole tier between two
 * guests evenly (a file not listed counts as DEFAULT_SECONDS). One guest keeps about 1.4 of its two
 * vCPUs busy, so two guests side by side finish the tier sooner than one guest running it all.
 */
const SECONDS: Record<string, number> = {
  lifecycle: 413, 'backup-errors': 269, 'guide-rest': 170, guide: 139, backup: 123,
  'root-boundary': 117, 'native-parity': 67, package: 67, helper: 61, auto: 53, 'drive-watcher': 44, smoke: 4,
  // These two from one guest on a quiet machine, once setWriteLimit(0) really lifted the throttle.
  'native-recovery': 170, 'drive-trouble': 210,
  // Alone on a quiet machine (488 s with the replugged headless run at 1 MiB/s, since lifted).
  'pulled-cable.last': 420,
}
const DEFAULT_SECONDS = 120
/** The window e2e runs on guest A after its files. */
const E2E_SECONDS = 100

export const weight = (f: string): number => SECONDS[basename(f).replace(/\.vm\.test\.ts$/, '')] ?? DEFAULT_SECONDS

/** Longest first, each file to the guest with less to do so far; A starts with the e2e's share, B with the *.last files'. */
export function shareOut(files: readonly string[], aHead = E2E_SECONDS, bHead = 0): [string[], string[]] {
  const guests: [{ files: string[]; load: number }, { files: string[]; load: number }] = [{ files: [], load: aHead }, { files: [], load: bHead }]
  for (const f of [...files].sort((x, y) => weight(y) - weight(x) || x.localeCompare(y))) {
    const g = guests[0].load <= guests[1].load ? guests[0] : guests[1]
    g.files.push(f)
    g.load += weight(f)
  }
  return [guests[0].files, guests[1].files]
}

function vmTestFiles(): string[] {
  return readdirSync(join(projectRoot, 'test/vm')).filter((f) => f.endsWith('.vm.test.ts')).map((f) => `test/vm/${f}`).sort()
}

/** *.last.vm.test.ts may leave ZFS stuck in the guest's kernel (a pulled cable): they run last on their guest. */
const isLast = (f: string): boolean => /\.last\.vm\.test\.ts$/.test(f)

/**
 * The whole tier (no filters) runs on two guests at once: A, then the window e2e on A; B, then the
 * *.last files on B. ZFSVM_GUESTS=1, or any filter, runs everything on one guest in that order.
 */
export async function runVmTier(filters: string[] = []): Promise<number> {
  rmSync(join(projectRoot, 'test-results/vm'), { recursive: true, force: true })
  if (filters.length > 0 || process.env.ZFSVM_GUESTS === '1') {
    const main = filters.filter((f) => !isLast(f))
    const last = filters.length ? filters.filter(isLast) : vmTestFiles().filter(isLast)
    const everything = filters.length === 0
    return runOnGuest({ files: main, runMain: everything || main.length > 0, e2e: everything || main.length > 0, last })
  }
  const all = vmTestFiles()
  const last = all.filter(isLast)
  const [a, b] = shareOut(all.filter((f) => !isLast(f)), E2E_SECONDS, last.reduce((n, f) => n + weight(f), 0))
  const names = (fs: string[]): string => fs.map((f) => basename(f)).join(', ')
  console.error(`[vm] two guests: A runs ${names(a)}, then the window e2e; B runs ${names(b)}${last.length ? `, then ${names(last)}` : ''}`)
  const codes = await Promise.all([
    runOnGuest({ files: a, runMain: true, e2e: true, last: [], label: 'A' }),
    runOnGuest({ files: b, runMain: true, e2e: false, last, label: 'B' }),
  ])
  return codes.find((c) => c !== 0) ?? 0
}

interface GuestPlan {
  /** The vm project's files (none: all of them, when runMain). */
  files: string[]
  runMain: boolean
  e2e: boolean
  /** Run after everything else on this guest, in the vm-last project. */
  last: string[]
  label?: string
}

async function runOnGuest(p: GuestPlan): Promise<number> {
  const prefix = p.label ? `[${p.label}] ` : undefined
  const { vm, runDir } = await bootTestVm()
  const quote = (fs: string[]): string => fs.map((f) => `'${f.replace(/'/g, '')}'`).join(' ')
  const vitest = async (project: string, fs: string[]): Promise<number> =>
    (await vm.run(`cd ${GUEST_PROJECT} && env ${guestEnv(vm, runDir)} node node_modules/vitest/vitest.mjs run --project ${project} ${quote(fs)}`, { prefix })).exitCode ?? 1
  try {
    if (p.runMain) await capturePackageForGuest(runDir, p.files)
    const mainCode = p.runMain ? await vitest('vm', p.files) : 0
    collect(runDir)
    const e2eCode = p.e2e ? await runE2e(vm, runDir) : 0
    const lastCode = p.last.length ? await vitest('vm-last', p.last) : 0
    if (p.last.length) collect(runDir)
    return mainCode || e2eCode || lastCode
  } finally {
    await vm.stop()
  }
}

/**
 * test/vm/package.vm.test.ts installs a .deb made from what electron-builder hands fpm. That capture runs
 * here, into the shared folder: on the host it takes seconds, under emulation minutes. The package's
 * stand-in Electron runs the guest's node.
 */
async function capturePackageForGuest(runDir: string, filters: string[]): Promise<void> {
  if (filters.length > 0 && !filters.some((f) => f.includes('package.vm'))) return
  const { capturePackages } = await import('../packaging/capture')
  const t0 = Date.now()
  await capturePackages({ outDir: join(runDir, 'share/package'), targets: ['deb'], node: `${GUEST_PROJECT}/.zfsvm/bin/node` })
  console.error(`[vm] captured the .deb's files for the package test (${((Date.now() - t0) / 1000).toFixed(1)} s)`)
}

/**
 * The window end to end (test/e2e/vm-window.e2e.test.ts), on the host while the same guest is up: Chromium
 * here, the real coordinator there, joined through the forwarded RPC port. ZFSVM_E2E=0 leaves it out.
 */
async function runE2e(vm: Vm, runDir: string): Promise<number> {
  if (process.env.ZFSVM_E2E === '0') {
    console.error('[vm] ZFSVM_E2E=0: the window e2e run was skipped')
    return 0
  }
  const env = {
    ZFSVM_E2E_SSH_PORT: String(vm.sshPort),
    ZFSVM_E2E_RPC_PORT: String(vm.rpcPort),
    ZFSVM_E2E_RUN_DIR: runDir,
    ZFSVM_E2E_GUEST_ENV: guestEnv(vm, runDir),
    ZFSVM_E2E_GUEST_PROJECT: GUEST_PROJECT,
  }
  const r = await execa('npx', ['vitest', 'run', '--project', 'e2e'], { stdio: 'inherit', reject: false, env })
  return r.exitCode ?? 1
}

/** Artifacts (screenshots, outputs) go to test-results/vm; captured fixtures replace the committed ones on request. */
function collect(runDir: string): void {
  const out = join(runDir, 'share/out')
  const dest = join(projectRoot, 'test-results/vm')
  mkdirSync(dest, { recursive: true })
  cpSync(out, dest, { recursive: true })
  const fixtures = join(out, 'fixtures')
  if (process.env.ZFSVM_UPDATE_FIXTURES === '1' && existsSync(fixtures)) {
    cpSync(fixtures, join(projectRoot, 'test/fixtures/zfs'), { recursive: true })
    console.error('[vm] fixtures updated in test/fixtures/zfs')
  }
}

if (import.meta.filename === process.argv[1]) {
  // The guest runs the built CLI and helper (out/main): built here as npm test does, so a VM file run on
  // its own never tests a stale build, or none (a fresh worktree has no out/: every CLI case failed).
  execa('npx', ['electron-vite', 'build'], { stdio: ['ignore', 'ignore', 'inherit'] }).then(() => runVmTier(process.argv.slice(2))).then((code) => process.exit(code), (err: unknown) => {
    console.error(err instanceof Error ? err.message : err)
    process.exit(1)
  })
}
