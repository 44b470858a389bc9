// `zfs allow` / `zfs unallow`: delegated permissions (the guide's 10.4). The listing is parsed into one
// section per dataset it names (the dataset itself and each ancestor that delegates anything), and the
// permissions a user really holds on a dataset are worked out from it the way OpenZFS applies them:
// local and local+descendent entries of the dataset itself, descendent and local+descendent entries of
// its ancestors, for the user, any of the user's groups and everyone, with @sets expanded.
import { assertDatasetName } from './names'
import { CommandError, type Runner } from './runner'

export type Who = 'user' | 'group' | 'everyone'

export interface AllowEntry {
  who: Who
  /** null for everyone. */
  name: string | null
  /** Permission names and @set names, as listed. */
  perms: string[]
}

export interface AllowSection {
  dataset: string
  sets: Record<string, string[]>
  createTime: string[]
  local: AllowEntry[]
  descendent: AllowEntry[]
  localDescendent: AllowEntry[]
}

export const allowShowArgv = (dataset: string): string[] => {
  assertDatasetName(dataset)
  return ['zfs', 'allow', dataset]
}

/** A user name as passwd and zfs allow take it: never option-like, never a list. */
const USER_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}\$?$/
/** Permission names zfs knows are lower-case words with dashes (load-key); a list is built here, not taken. */
const PERM = /^[a-z][a-z-]{1,30}$/

function grantArgs(verb: 'allow' | 'unallow', user: string, perms: readonly string[], dataset: string): string[] {
  if (!USER_NAME.test(user)) throw new Error(`not a user name: ${JSON.stringify(user)}`)
  if (perms.length === 0 || !perms.every((p) => PERM.test(p))) throw new Error(`not a permission list: ${JSON.stringify(perms)}`)
  assertDatasetName(dataset)
  // Neither -l nor -d: local+descendent, as the guide's `zfs allow -u manuel …`.
  return ['zfs', verb, '-u', user, perms.join(','), dataset]
}

export const allowArgv = (user: string, perms: readonly string[], dataset: string): string[] => grantArgs('allow', user, perms, dataset)
export const unallowArgv = (user: string, perms: readonly string[], dataset: string): string[] => grantArgs('unallow', user, perms, dataset)

const HEADINGS: Record<string, keyof Pick<AllowSection, 'local' | 'descendent' | 'localDescendent'> | 'sets' | 'createTime'> = {
  'Permission sets:': 'sets',
  'Create time permissions:': 'createTime',
  'Local permissions:': 'local',
  'Descendent permissions:': 'descendent',
  'Local+Descendent permissions:': 'localDescendent',
}

/** Parses `zfs allow DATASET` (empty output: nothing delegated anywhere above or on it). */
export function parseAllow(stdout: string): AllowSection[] {
  const sections: AllowSection[] = []
  let cur: AllowSection | null = null
  let part: (typeof HEADINGS)[string] | null = null
  for (const line of stdout.split('\n')) {
    const head = /^---- Permissions on (.+?) -+$/.exec(line)
    if (head) {
      cur = { dataset: head[1]!, sets: {}, createTime: [], local: [], descendent: [], localDescendent: [] }
      sections.push(cur)
      part = null
      continue
    }
    if (!cur || line.trim() === '') continue
    if (line in HEADINGS) {
      part = HEADINGS[line]!
      continue
    }
    if (!line.startsWith('\t') || !part) continue
    const words = line.slice(1).split(' ')
    const list = (s: string | undefined): string[] => (s ? s.split(',').filter(Boolean) : [])
    if (part === 'createTime') cur.createTime.push(...list(words[0]))
    else if (part === 'sets') cur.sets[words[0]!] = list(words[1])
    else if (words[0] === 'everyone') cur[part].push({ who: 'everyone', name: null, perms: list(words[1]) })
    else if (words[0] === 'user' || words[0] === 'group') cur[part].push({ who: words[0], name: words[1] ?? '', perms: list(words[2]) })
  }
  return sections
}

export interface Principal {
  user: string
  groups: readonly string[]
}

const applies = (e: AllowEntry, p: Principal): boolean => e.who === 'everyone' || (e.who === 'user' && e.name === p.user) || (e.who === 'group' && p.groups.includes(e.name ?? ''))

/** The permissions `p` holds on `dataset`, @sets expanded (a set is looked up on the dataset and up). */
export function effectivePermissions(sections: readonly AllowSection[], dataset: string, p: Principal): Set<string> {
  const held = new Set<string>()
  // zfs lists the dataset first, then each ancestor: a set used in section i is defined there or above.
  const setDef = (name: string, from: number): string[] | undefined => sections.slice(from).find((s) => name in s.sets)?.sets[name]
  const add = (perm: string, from: number, depth = 0): void => {
    if (!perm.startsWith('@')) return void held.add(perm)
    if (depth < 8) for (const q of setDef(perm, from) ?? []) add(q, from, depth + 1)
  }
  sections.forEach((s, i) => {
    const own = s.dataset === dataset
    if (!own && !dataset.startsWith(`${s.dataset}/`)) return
    for (const e of [...(own ? s.local : s.descendent), ...s.localDescendent]) if (applies(e, p)) e.perms.forEach((perm) => add(perm, i))
  })
  return held
}

/**
 * The permissions `user` was given directly by a user entry on `dataset` itself, local+descendent (what
 * `zfs unallow -u user … dataset` can take back).
 */
export function directGrants(sections: readonly AllowSection[], dataset: string, user: string): Set<string> {
  const own = sections.find((s) => s.dataset === dataset)
  return new Set((own?.localDescendent ?? []).filter((e) => e.who === 'user' && e.name === user).flatMap((e) => e.perms))
}

export async function readAllow(runner: Runner, dataset: string): Promise<AllowSection[]> {
  const argv = allowShowArgv(dataset)
  const r = await runner.run(argv, { allowFailure: true })
  if (r.exitCode !== 0) throw new CommandError(argv, r.exitCode, r.stderr)
  return parseAllow(r.stdout)
}

/** `id -Gn USER`: the user's groups by name (group entries of zfs allow name groups). */
export const groupsArgv = (user: string): string[] => {
  if (!USER_NAME.test(user)) throw new Error(`not a user name: ${JSON.stringify(user)}`)
  return ['id', '-Gn', '--', user]
}

export async function userGroups(runner: Runner, user: string): Promise<string[]> {
  const r = await runner.run(groupsArgv(user), { allowFailure: true })
  return r.exitCode === 0 ? r.stdout.trim().split(/\s+/).filter(Boolean) : []
}
