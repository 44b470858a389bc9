// Read-only verbs: doctor, status, snapshots, diff.
import type { Verb } from './verb'

export const infoVerbs: Record<string, Verb> = {}
