// Resume: the drive's token is judged against what the laptop knows before anything is sent.
import { describe, expect, it } from 'vitest'
import { judgeResumeToken, type ResumeFacts } from '../../../main/engine/resume'
import type { ResumeToken } from '../../../main/system/resume-token'

const facts: ResumeFacts = {
  source: 'laptop/home',
  sourceSnapshotGuids: new Set(['11', '12', '13']),
  sourceBookmarkGuids: new Set(['10']),
  targetSnapshotGuids: new Set(['10', '11']),
  raw: true,
  sourceEncrypted: true,
}
const tok = (over: Partial<ResumeToken> = {}): ResumeToken => ({ toname: 'laptop/home@c', toguid: '13', fromguid: '11', rawok: true, bytes: 4096, ...over })

describe('a resume token from the drive', () => {
  it('is accepted when it continues a raw send of this source, to a snapshot the laptop has, from a base both hold', () => {
    expect(judgeResumeToken(tok(), facts)).toEqual({ accept: true, token: tok() })
    expect(judgeResumeToken(tok({ fromguid: '10' }), facts).accept).toBe(true) // from the drive's bookmark
  })

  it('is refused, saying why, when it names another dataset', () => {
    expect(judgeResumeToken(tok({ toname: 'laptop/secret@c' }), facts)).toEqual({ accept: false, reason: 'it continues a send of "laptop/secret@c", not of laptop/home' })
    expect(judgeResumeToken(tok({ toname: 'laptop/home/child@c' }), facts).accept).toBe(false)
  })

  it('is refused when the laptop no longer has the snapshot (by guid, whatever the name says)', () => {
    expect(judgeResumeToken(tok({ toguid: '99' }), facts)).toMatchObject({ accept: false, reason: expect.stringMatching(/no longer on the laptop/) })
  })

  it('is refused when it is not a raw stream: resuming would put decrypted data on the drive', () => {
    expect(judgeResumeToken(tok({ rawok: false }), facts)).toMatchObject({ accept: false, reason: expect.stringMatching(/decrypted/) })
    expect(judgeResumeToken(tok({ rawok: true }), { ...facts, raw: false }).accept).toBe(false)
    // An unencrypted source's raw send is only compressed: zfs gives it no rawok, and that is fine.
    expect(judgeResumeToken(tok({ rawok: false }), { ...facts, sourceEncrypted: false }).accept).toBe(true)
  })

  it('is refused when its base is missing on either side, or it would send what the drive has', () => {
    expect(judgeResumeToken(tok({ fromguid: '12' }), facts)).toMatchObject({ accept: false, reason: expect.stringMatching(/not on the drive/) })
    expect(judgeResumeToken(tok({ fromguid: '10' }), { ...facts, sourceBookmarkGuids: new Set() })).toMatchObject({ accept: false, reason: expect.stringMatching(/no longer on the laptop/) })
    expect(judgeResumeToken(tok({ toguid: '11', toname: 'laptop/home@a' }), facts)).toMatchObject({ accept: false, reason: expect.stringMatching(/already holds/) })
  })

  it('a full send is continued only into a dataset that has no snapshots yet', () => {
    expect(judgeResumeToken(tok({ fromguid: null }), facts).accept).toBe(false)
    expect(judgeResumeToken(tok({ fromguid: null }), { ...facts, targetSnapshotGuids: new Set() }).accept).toBe(true)
  })

  it('is refused when it could not be read at all', () => {
    expect(judgeResumeToken(null, facts)).toMatchObject({ accept: false })
  })
})
