// Entry of the window e2e test's RPC server inside the test VM (root, started over ssh by
// test/e2e/vm-window.e2e.test.ts): `node node_modules/tsx/dist/cli.mjs test/e2e/guest-server.ts`.
//
// The server itself (guest-app.ts) imports main/'s TypeScript, which tsx would load as CommonJS (main/ has
// no "type": "module") and then fail on execa, which is ESM only. So this entry loads it through Vite's
// module runner instead, the way vitest runs the vm tier: main/ is transformed as ESM and node_modules are
// imported natively. Only Vite is imported here.
import { resolve } from 'node:path'
import { createServer, createServerModuleRunner } from 'vite'

const t0 = Date.now()
const root = resolve(import.meta.dirname, '../..')
const vite = await createServer({
  root,
  configFile: false,
  logLevel: 'error',
  appType: 'custom',
  server: { middlewareMode: true, watch: null, hmr: false },
  optimizeDeps: { noDiscovery: true, include: [] },
})
const runner = createServerModuleRunner(vite.environments.ssr, { hmr: false })
const app = (await runner.import(resolve(import.meta.dirname, 'guest-app.ts'))) as { main(): Promise<void> }
process.stderr.write(`[guest-server] main/ loaded through Vite's module runner in ${((Date.now() - t0) / 1000).toFixed(1)} s (process up ${process.uptime().toFixed(1)} s)\n`)
await app.main()
