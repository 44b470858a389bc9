// The helper's verbs for the guide's section 10: delegation (10.4) and snapshots by hand (10.3). Each is a
// fixed engine run: the user is the one pkexec/sudo names, the permission set is the app's, the snapshot
// must belong to a configured source (main/engine/delegation.ts, main/engine/hand-snapshot.ts).
import { changeDelegation } from '../engine/delegation'
import { handSnapshot } from '../engine/hand-snapshot'
import type { DispatchTable } from './dispatch'

type GuideVerb = 'delegation-grant' | 'delegation-revoke' | 'snapshot-create' | 'snapshot-destroy'

export const guideDispatch: Pick<DispatchTable, GuideVerb> = {
  'delegation-grant': (c) =>
    changeDelegation({ config: c.config, uid: c.invokingUid ?? 0, mode: 'grant', ...(c.job.source ? { source: c.job.source } : {}), runner: c.runner, emit: c.emit, signal: c.signal }),
  'delegation-revoke': (c) =>
    changeDelegation({ config: c.config, uid: c.invokingUid ?? 0, mode: 'revoke', ...(c.job.source ? { source: c.job.source } : {}), runner: c.runner, emit: c.emit, signal: c.signal }),
  'snapshot-create': (c) => handSnapshot({ config: c.config, action: { kind: 'create', source: c.job.source, name: c.job.name }, runner: c.runner, emit: c.emit, signal: c.signal }),
  'snapshot-destroy': (c) => handSnapshot({ config: c.config, action: { kind: 'destroy', snapshot: c.job.snapshot, confirm: c.job.confirm }, runner: c.runner, emit: c.emit, signal: c.signal }),
}
