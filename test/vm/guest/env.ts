// Facts a test inside the guest needs about the VM it runs in (set by test/vm/run-tests.ts).
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'

export const inGuest = process.env.ZFSVM_GUEST === '1'

function need(name: string): string {
  const v = process.env[name]
  if (!v) throw new Error(`${name} is not set: vm tests run inside the test VM (npm test or npm run vm)`)
  return v
}

export const qmpAddress = () => {
  const [host, port] = need('ZFSVM_QMP').split(':')
  return { host: host!, port: Number(port) }
}
/** The same folder seen from the host (for QMP file names) and from the guest. */
export const hostShare = () => need('ZFSVM_HOST_SHARE')
export const guestShare = () => need('ZFSVM_GUEST_SHARE')

/** Saves a test artifact; it ends up in test-results/vm on the host. */
export function saveArtifact(relPath: string, content: string | Buffer): string {
  const path = join(guestShare(), 'out', relPath)
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, content)
  return path
}
