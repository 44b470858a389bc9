// The VM tier: build or reuse the image, boot one guest, run the `vm` vitest project inside it as root, then
// (same guest) the host's `e2e` project: the window in Chromium here, bound to the real coordinator there.
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
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

export async function runVmTier(filters: string[] = []): Promise<number> {
  const { vm, runDir } = await bootTestVm()
  try {
    await capturePackageForGuest(runDir, filters)
    const files = filters.map((f) => `'${f.replace(/'/g, '')}'`).join(' ')
    const result = await vm.run(`cd ${GUEST_PROJECT} && env ${guestEnv(vm, runDir)} node node_modules/vitest/vitest.mjs run --project vm ${files}`)
    collect(runDir)
    const guestCode = result.exitCode ?? 1
    const e2eCode = await runE2e(vm, runDir)
    return guestCode || e2eCode
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
  rmSync(dest, { recursive: true, force: true })
  mkdirSync(dest, { recursive: true })
  cpSync(out, dest, { recursive: true })
  const fixtures = join(out, 'fixtures')
  if (process.env.ZFSVM_UPDATE_FIXTURES === '1' && existsSync(fixtures)) {
    cpSync(fixtures, join(projectRoot, 'test/fixtures/zfs'), { recursive: true })
    console.error('[vm] fixtures updated in test/fixtures/zfs')
  }
}

if (import.meta.filename === process.argv[1]) {
  runVmTier(process.argv.slice(2)).then((code) => process.exit(code), (err: unknown) => {
    console.error(err instanceof Error ? err.message : err)
    process.exit(1)
  })
}
