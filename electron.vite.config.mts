import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import react from '@vitejs/plugin-react'

// electron-vite looks in src/ by default; this project keeps the customer's top-level folders.
export default defineConfig({
  main: {
    build: {
      // execa and its dependencies are ESM-only with no "require" export: bundle them into the CJS main.
      // zod is bundled too: required from node_modules it is 95 files for Node to resolve and compile at
      // every CLI start, which costs seconds under the test VM's emulation.
      externalizeDeps: { exclude: ['execa', 'zod'] },
      rolldownOptions: {
        input: { index: resolve('main/index.ts'), cli: resolve('main/cli.ts'), helper: resolve('main/helper.ts') },
      },
    },
  },
  preload: {
    // A sandboxed preload may only require('electron'): zod and the contract are bundled in.
    build: {
      externalizeDeps: false,
      rolldownOptions: { input: { index: resolve('preload/index.ts') }, output: { format: 'cjs' } },
    },
  },
  renderer: {
    root: 'renderer',
    plugins: [react()],
    build: { rolldownOptions: { input: resolve('renderer/index.html') } },
  },
})
