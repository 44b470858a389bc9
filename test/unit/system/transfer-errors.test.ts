// A failed transfer's kind, read from what the tools really printed (test/fixtures/zfs/full/, captured by
// capture-full.sh in the VM; native/ for the refusals).
import { describe, expect, it } from 'vitest'
import { classifyTransferFailure, failureLines } from '../../../main/system/transfer-errors'
import { fixture } from './fixtures'

const pipe = (name: string, dir = 'full') => `${fixture(`${dir}/${name}.receive.stderr.txt`)}\n${fixture(`${dir}/${name}.send.stderr.txt`)}`

describe('what a failed transfer means', () => {
  it('a full drive, for an incremental and for a first copy, natively and under syncoid', () => {
    expect(classifyTransferFailure(pipe('receive-enospc-incremental'))).toBe('out-of-space')
    expect(classifyTransferFailure(pipe('receive-enospc-full'))).toBe('out-of-space')
    // syncoid's receive ends in 2>&1: zfs's sentence is on its stdout, mbuffer's broken pipe on stderr.
    expect(classifyTransferFailure(`${fixture('full/syncoid-enospc.stderr.txt')}\n${fixture('full/syncoid-enospc.txt')}`)).toBe('out-of-space')
  })

  it('a drive changed since the last backup, and a target that lacks the base', () => {
    expect(classifyTransferFailure(pipe('receive-diverged', 'native'))).toBe('target-modified')
    expect(classifyTransferFailure(fixture('native/receive-no-base.receive.stderr.txt'))).toBe('target-modified')
  })

  it('anything it cannot tell stays unknown (the sentence is then generic, the output kept)', () => {
    expect(classifyTransferFailure('something nobody has seen before')).toBe('unknown')
    expect(classifyTransferFailure('cannot receive: I/O error')).toBe('drive-io')
    expect(classifyTransferFailure("cannot open 'tank/home@x': dataset does not exist")).toBe('source-gone')
  })

  it('keeps the lines that say something, not the send\'s per-second progress', () => {
    const lines = failureLines(pipe('receive-enospc-incremental'))
    expect(lines).toContain('cannot receive incremental stream: out of space')
    expect(lines.some((l) => /^\d\d:\d\d:\d\d\t/.test(l))).toBe(false)
  })
})
