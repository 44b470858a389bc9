// The VM tier shared between two guests: every file runs exactly once, and neither guest is left with
// most of the work (CI's time limit is the slower guest's).
import { describe, expect, it } from 'vitest'
import { shareOut, weight } from '../vm/run-tests'

const files = ['auto', 'backup', 'backup-errors', 'drive-watcher', 'guide', 'guide-rest', 'helper', 'lifecycle', 'native-parity', 'native-recovery', 'package', 'root-boundary', 'smoke', 'drive-trouble', 'new-one'].map((f) => `test/vm/${f}.vm.test.ts`)

describe('sharing the VM tier between two guests', () => {
  it('runs every file once, on one guest or the other', () => {
    const [a, b] = shareOut(files)
    expect([...a, ...b].sort()).toEqual([...files].sort())
    expect(a.filter((f) => b.includes(f))).toEqual([])
  })

  const load = (fs: string[]): number => fs.reduce((n, f) => n + weight(f), 0)
  const heaviest = Math.max(...files.map(weight))

  it('splits the work about evenly, counting the window e2e on A and the *.last files on B', () => {
    for (const [aHead, bHead] of [[0, 0], [100, 0], [100, 420]] as const) {
      const [a, b] = shareOut(files, aHead, bHead)
      expect(a.length).toBeGreaterThan(0)
      expect(b.length).toBeGreaterThan(0)
      expect(Math.abs(aHead + load(a) - (bHead + load(b)))).toBeLessThanOrEqual(heaviest)
    }
  })

  it('gives guest B less of the rest when it also runs the *.last files', () => {
    expect(load(shareOut(files, 100, 420)[1])).toBeLessThan(load(shareOut(files, 100, 0)[1]))
  })
})
