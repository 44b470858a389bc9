import react from '@vitejs/plugin-react'
import { playwright } from '@vitest/browser-playwright'
import { defineConfig } from 'vitest/config'

// The tiers. `unit`, `browser` and `packaging` run on the host; `vm` runs only inside the test VM as root, where
// real OpenZFS, udev and udisks exist (test/vm/run-tests.ts boots the guest and starts it there). `e2e`
// runs on the host against that same guest, right after `vm`.
export default defineConfig({
  test: {
    projects: [
      {
        // ZDB_CHECK_JSON: every --json line the CLI prints is validated against its published schema. Several
        // files start real processes (dbus-daemon, flock, udevadm stand-ins): on a loaded two-core machine 5 s
        // was seen to run out, so the guard is wider; no test asserts a duration.
        test: {
          name: 'unit',
          environment: 'node',
          include: ['test/unit/**/*.test.ts'],
          env: { ZDB_CHECK_JSON: '1' },
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        plugins: [react()],
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.tsx'],
          browser: {
            enabled: true,
            headless: true,
            provider: playwright({
              launchOptions: {
                executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
                // The sandbox cannot start as root; the background services only knock on a closed network.
                args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
              },
            }),
            instances: [{ browser: 'chromium' }],
          },
        },
      },
      {
        // On the host: what the packages would install (electron-builder with a stand-in fpm), the .desktop
        // file through desktop-file-validate, and the NixOS module evaluated by Debian's nix-instantiate.
        test: {
          name: 'packaging',
          environment: 'node',
          include: ['test/packaging/**/*.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
      {
        test: {
          name: 'vm',
          environment: 'node',
          env: { ZDB_CHECK_JSON: '1' },
          include: ['test/vm/**/*.vm.test.ts'],
          exclude: ['test/vm/**/*.last.vm.test.ts'],
          // One VM, real pools and drives: files run one at a time, and commands are slow under emulation.
          fileParallelism: false,
          testTimeout: 600_000,
          hookTimeout: 600_000,
        },
      },
      {
        // Files that may leave ZFS stuck in the guest's kernel (a pulled cable): run-tests.ts runs them
        // after everything else on their guest.
        test: {
          name: 'vm-last',
          environment: 'node',
          env: { ZDB_CHECK_JSON: '1' },
          include: ['test/vm/**/*.last.vm.test.ts'],
          fileParallelism: false,
          testTimeout: 600_000,
          hookTimeout: 600_000,
        },
      },
      {
        // On the host, while the test VM is up (test/vm/run-tests.ts starts it after the vm tier): the built
        // window in Chromium, bound to the real coordinator in the guest. Skipped when no VM is given.
        test: {
          name: 'e2e',
          environment: 'node',
          include: ['test/e2e/**/*.e2e.test.ts'],
          fileParallelism: false,
          testTimeout: 1_800_000,
          hookTimeout: 1_200_000,
        },
      },
    ],
  },
})
