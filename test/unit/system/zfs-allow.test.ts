// `zfs allow` parsed on output captured from OpenZFS 2.3.2 in the test VM (test/fixtures/zfs/delegation/,
// by capture-delegation.sh), and the permissions a user really holds worked out from it.
import { describe, expect, it } from 'vitest'
import { allowArgv, directGrants, effectivePermissions, parseAllow, unallowArgv } from '../../../main/system/zfs-allow'
import { fixture } from './fixtures'

/** The capture without its "# command" and "# exit N" lines. */
const captured = (name: string): string => fixture(`delegation/${name}.txt`).split('\n').filter((l) => !l.startsWith('# ')).join('\n')
const manuel = { user: 'manuel', groups: ['manuel'] }

describe('zfs allow, parsed', () => {
  it('nothing delegated prints nothing', () => {
    expect(parseAllow(captured('zfs-allow-none'))).toEqual([])
    expect([...effectivePermissions([], 'deleg/home', manuel)]).toEqual([])
  })

  it('the app\'s grant: a local+descendent user entry', () => {
    const s = parseAllow(captured('zfs-allow-user'))
    expect(s).toEqual([{ dataset: 'deleg/home', sets: {}, createTime: [], local: [], descendent: [], localDescendent: [{ who: 'user', name: 'manuel', perms: ['diff', 'mount'] }] }])
    expect([...effectivePermissions(s, 'deleg/home', manuel)].sort()).toEqual(['diff', 'mount'])
    expect([...directGrants(s, 'deleg/home', 'manuel')].sort()).toEqual(['diff', 'mount'])
    expect([...effectivePermissions(s, 'deleg/home', { user: 'other', groups: [] })]).toEqual([])
  })

  it('every kind of entry, on the dataset and an ancestor', () => {
    const s = parseAllow(captured('zfs-allow-mixed'))
    expect(s.map((x) => x.dataset)).toEqual(['deleg/home', 'deleg'])
    expect(s[0]).toMatchObject({
      sets: { '@backup': ['diff', 'mount', 'snapshot'] },
      createTime: ['destroy'],
      local: [{ who: 'user', name: 'manuel', perms: ['userprop'] }],
      descendent: [{ who: 'group', name: 'backupers', perms: ['send'] }],
      localDescendent: [{ who: 'user', name: 'manuel', perms: ['create', 'destroy', 'mount', 'snapshot'] }, { who: 'everyone', name: null, perms: ['hold'] }],
    })
    // On deleg/home: its local and local+descendent entries, the parent's descendent and local+descendent
    // ones (@backup expanded); not its own descendent-only entry (send for backupers applies below it).
    expect([...effectivePermissions(s, 'deleg/home', { user: 'manuel', groups: ['backupers'] })].sort()).toEqual(['create', 'destroy', 'diff', 'hold', 'mount', 'snapshot', 'userprop'])
    // On the child: deleg/home's local-only userprop no longer applies, its descendent send does.
    const child = parseAllow(captured('zfs-allow-mixed-child'))
    expect([...effectivePermissions(child, 'deleg/home/sub', { user: 'manuel', groups: ['backupers'] })].sort()).toEqual(['create', 'destroy', 'diff', 'hold', 'mount', 'send', 'snapshot'])
    expect([...effectivePermissions(s, 'deleg/home', { user: 'nobody', groups: [] })]).toEqual(['hold'])
    // What zfs unallow -u manuel … deleg/home can take back: only its own local+descendent user entry.
    expect([...directGrants(s, 'deleg/home', 'manuel')].sort()).toEqual(['create', 'destroy', 'mount', 'snapshot'])
  })

  it('builds allow and unallow from a user name and a permission list only', () => {
    expect(allowArgv('manuel', ['diff'], 'rpool/nixos/home')).toEqual(['zfs', 'allow', '-u', 'manuel', 'diff', 'rpool/nixos/home'])
    expect(unallowArgv('manuel', ['diff', 'mount'], 'rpool/nixos/home')).toEqual(['zfs', 'unallow', '-u', 'manuel', 'diff,mount', 'rpool/nixos/home'])
    expect(() => allowArgv('-e', ['diff'], 'rpool/home')).toThrow()
    expect(() => allowArgv('manuel,root', ['diff'], 'rpool/home')).toThrow()
    expect(() => allowArgv('manuel', ['diff,destroy'], 'rpool/home')).toThrow()
    expect(() => allowArgv('manuel', ['@set'], 'rpool/home')).toThrow()
    expect(() => allowArgv('manuel', [], 'rpool/home')).toThrow()
    expect(() => allowArgv('manuel', ['diff'], 'rpool/home@snap')).toThrow()
  })

  it('the measurements behind the app\'s permission set: diff alone makes zfs diff work, mount alone does not', () => {
    expect(captured('as-user-list-none')).toMatch(/deleg\/home@autosnap_2026-01-01_00:00:00_hourly\t/)
    expect(fixture('delegation/as-user-list-none.txt')).toMatch(/# exit 0/)
    expect(fixture('delegation/as-user-diff-none.txt')).toMatch(/diff delegated permission is needed[\s\S]*# exit 1/)
    expect(fixture('delegation/as-user-diff-only-mount.txt')).toMatch(/# exit 1/)
    expect(fixture('delegation/as-user-diff-only-diff.txt')).toMatch(/\+\t\/srv\/deleg\/b\.txt[\s\S]*# exit 0/)
    // zfs allow exits 0 even when it refuses a name: the app re-reads the listing after a grant.
    expect(fixture('delegation/allow-bad-user.txt')).toMatch(/invalid user nosuchuser\n# exit 0/)
  })
})
