// What the test tiers need from the host system. As root the test command installs it; otherwise it
// names the one command to run, because a test run must not half-work on a machine that lacks a tool.
import { execa } from 'execa'

export type Tier = 'browser' | 'packaging' | 'vm'

const needs: { command: string; pkg: string; tier: Tier }[] = [
  { command: 'chromium', pkg: 'chromium', tier: 'browser' },
  { command: 'qemu-system-x86_64', pkg: 'qemu-system-x86', tier: 'vm' },
  { command: 'qemu-img', pkg: 'qemu-utils', tier: 'vm' },
  { command: 'debootstrap', pkg: 'debootstrap', tier: 'vm' },
  { command: 'mke2fs', pkg: 'e2fsprogs', tier: 'vm' },
  { command: 'zstd', pkg: 'zstd', tier: 'vm' },
  { command: 'ssh', pkg: 'openssh-client', tier: 'vm' },
  { command: 'ssh-keygen', pkg: 'openssh-client', tier: 'vm' },
  { command: 'dbus-daemon', pkg: 'dbus', tier: 'browser' }, // the unit tier's private buses
  { command: 'desktop-file-validate', pkg: 'desktop-file-utils', tier: 'packaging' },
  { command: 'nix-instantiate', pkg: 'nix-bin', tier: 'packaging' }, // evaluates the NixOS module (cannot build)
]

async function has(command: string): Promise<boolean> {
  return (await execa('sh', ['-c', `command -v ${command}`], { reject: false })).exitCode === 0
}

export async function ensureHostDeps(tiers: Set<Tier>): Promise<void> {
  const missing: string[] = []
  for (const n of needs) if (tiers.has(n.tier) && !(await has(n.command)) && !missing.includes(n.pkg)) missing.push(n.pkg)
  if (missing.length === 0) return
  const install = ['apt-get', 'install', '-y', '--no-install-recommends', ...missing]
  if (process.getuid?.() !== 0) {
    throw new Error(`the tests need these Debian packages; install them with:\n  sudo ${install.join(' ')}`)
  }
  console.error(`[test] installing ${missing.join(' ')}`)
  await execa('apt-get', ['update', '-qq'], { stdio: 'inherit', env: { DEBIAN_FRONTEND: 'noninteractive' } })
  await execa(install[0]!, install.slice(1), { stdio: 'inherit', env: { DEBIAN_FRONTEND: 'noninteractive' } })
}
