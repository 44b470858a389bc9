// `npm test`: every tier, ending with the VM tier's vitest summary.
//   unit     node, Electron mocked
//   browser  the renderer in Debian's Chromium
//   packaging  what deb/rpm/pacman install (electron-builder, stand-in fpm), the .desktop file, the NixOS module
//   vm       real OpenZFS, udev and udisks in a QEMU guest (ZFSVM_SKIP=1 skips it for quick local loops; CI never does)
import { execa } from 'execa'
import { ensureHostDeps } from './host-deps'
import { runVmTier } from './vm/run-tests'

const skipVm = process.env.ZFSVM_SKIP === '1'
await ensureHostDeps(new Set(skipVm ? ['browser', 'packaging'] : ['browser', 'packaging', 'vm']))

// The VM tier runs the built CLI too, so build before anything is copied into the guest.
await execa('npx', ['electron-vite', 'build'], { stdio: ['ignore', 'ignore', 'inherit'] })
const host = await execa('npx', ['vitest', 'run', '--project', 'unit', '--project', 'browser', '--project', 'packaging'], { stdio: 'inherit', reject: false })
let code = host.exitCode ?? 1
if (skipVm) {
  console.error('[test] ZFSVM_SKIP=1: the real-ZFS tier was skipped')
} else {
  code = (await runVmTier()) || code
}
process.exit(code)
