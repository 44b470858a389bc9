// Which table holds each verb, so that a command loads only its own table and the engines behind it.
// Node parses every module it loads; under emulation, loading every verb's engine was most of the time
// a short command took (a no-op backup among them). --help and the man page load them all.
import type { CliCommand } from './command'

type Table = Record<string, CliCommand>

export const TABLES = {
  info: async (): Promise<Table> => (await import('./info-verbs')).infoVerbs,
  backup: async (): Promise<Table> => (await import('./backup-verbs')).backupVerbs,
  lifecycle: async (): Promise<Table> => (await import('./lifecycle-verbs')).lifecycleVerbs,
  guide: async (): Promise<Table> => (await import('./guide-verbs')).guideVerbs,
  auto: async (): Promise<Table> => (await import('./auto-verbs')).autoVerbs,
} as const

/** Every verb, in --help order, with its table (a unit test holds this to the tables themselves). */
export const VERB_TABLE: Record<string, keyof typeof TABLES> = {
  doctor: 'info', status: 'info', snapshots: 'info', diff: 'info',
  backup: 'backup', eject: 'backup', history: 'backup',
  disks: 'lifecycle', setup: 'lifecycle', adopt: 'lifecycle', scrub: 'lifecycle', restore: 'lifecycle', 'verify-key': 'lifecycle',
  delegation: 'guide', snapshot: 'guide',
  auto: 'auto',
}

/** The one verb's declaration, loading only its table; undefined for a name that is no verb. */
export async function loadVerb(name: string): Promise<CliCommand | undefined> {
  const table = Object.hasOwn(VERB_TABLE, name) ? VERB_TABLE[name] : undefined
  return table ? (await TABLES[table]())[name] : undefined
}

/** Every verb, in --help order (the man page is generated from it too: main/cli/manpage.ts). */
export async function allVerbs(): Promise<Table> {
  const tables = await Promise.all(Object.values(TABLES).map((load) => load()))
  return Object.assign({}, ...tables) as Table
}
