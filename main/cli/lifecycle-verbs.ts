// Drive lifecycle verbs (disks, setup, adopt, scrub, restore, verify-key): see issue 4.
import type { Verb } from './verb'

export const lifecycleVerbs: Record<string, Verb> = {}
