// The VM tier shared between two guests: every file runs exactly once, and neither guest is left with
// most of the work (CI's time limit is the slower guest's).
import { describe, expect, it } from 'vitest'
import { shareOut } from '../vm/run-tests'

const files = ['auto', 'backup', 'backup-errors', 'drive-watcher', 'guide', 'guide-rest', 'helper', 'lifecycle', 'native-parity', 'native-recovery', 'package', 'root-boundary', 'smoke', 'pulled-cable.last', 'new-one'].map((f) => `test/vm/${f}.vm.test.ts`)

describe('sharing the VM tier between two guests', () => {
  it('runs every file once, on one guest or the other', () => {
    const [a, b] = shareOut(files)
    expect([...a, ...b].sort()).toEqual([...files].sort())
    expect(a.filter((f) => b.includes(f))).toEqual([])
  })

  it('gives the guest that also runs the window e2e less of the rest, and splits the work about evenly', () => {
    const [a, b] = shareOut(files, 100)
    const [a0, b0] = shareOut(files, 0)
    expect(a.length).toBeLessThanOrEqual(a0.length)
    expect(a.length + b.length).toBe(b0.length + a0.length)
    expect(a.length).toBeGreaterThan(0)
    expect(b.length).toBeGreaterThan(0)
  })
})
