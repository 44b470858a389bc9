// Builds the renderer exactly as shipped (production bundle, the page's own strict CSP intact) and serves
// it on 127.0.0.1. A dev server would not do: its inline scripts and <style> tags break the CSP.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import react from '@vitejs/plugin-react'
import { build, preview } from 'vite'

export interface RendererServer {
  url: string
  close(): Promise<void>
}

const root = resolve(import.meta.dirname, '../../renderer')

export async function serveRenderer(): Promise<RendererServer> {
  const outDir = await mkdtemp(join(tmpdir(), 'zfs-drive-backup-renderer-'))
  try {
    await build({ root, configFile: false, base: './', logLevel: 'warn', plugins: [react()], build: { outDir, emptyOutDir: true, chunkSizeWarningLimit: 2048 } })
    const server = await preview({ root, configFile: false, logLevel: 'warn', build: { outDir }, preview: { host: '127.0.0.1', port: 0, strictPort: false, open: false } })
    const address = server.httpServer.address()
    if (!address || typeof address === 'string') throw new Error('preview server has no TCP address')
    return {
      url: `http://127.0.0.1:${address.port}/`,
      async close() {
        await server.close()
        await rm(outDir, { recursive: true, force: true })
      },
    }
  } catch (err) {
    await rm(outDir, { recursive: true, force: true })
    throw err
  }
}
