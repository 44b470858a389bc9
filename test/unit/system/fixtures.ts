// Real command output captured in the test VM by test/fixtures/zfs/capture.sh.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

const dir = join(import.meta.dirname, '../../fixtures/zfs')

export function fixture(name: string): string {
  return readFileSync(join(dir, name), 'utf8')
}
