// What a failed transfer (`zfs send | zfs receive`, or syncoid around the same pipe) means, read from the
// tools' own output: libzfs's sentences ("cannot receive incremental stream: out of space", "destination
// … has been modified …"), the kernel's errno texts, and syncoid's wrapper lines. The output itself is
// never shown as the headline; the engine turns a kind into a sentence about the drive or the data and
// keeps the raw text in the run's command record. test/fixtures/zfs/full/ holds the real thing.

export type TransferFailureKind =
  /** ENOSPC or EDQUOT on the drive. */
  | 'out-of-space'
  /** The target changed since the last backup (a snapshot, a rollback, a write on the drive itself). */
  | 'target-modified'
  /** The target holds an interrupted receive this transfer did not continue. */
  | 'partial-receive'
  /** The drive's device failed or went away mid-transfer (EIO, a suspended pool). */
  | 'drive-io'
  /** The laptop's snapshot (or base) the send needed is gone. */
  | 'source-gone'
  /** The stream arrived damaged or incomplete (a send that died, a checksum error in the stream). */
  | 'stream-broken'
  /** The drive's pool or this kernel lacks a feature the stream needs. */
  | 'feature-missing'
  /** Anything else: reported with the tool's exit status only. */
  | 'unknown'

const RULES: readonly [TransferFailureKind, RegExp][] = [
  ['out-of-space', /out of space|no space left on device|quota exceeded|ENOSPC/i],
  ['drive-io', /I\/O error|pool I\/O is currently suspended|input\/output error|pool is suspended|no such device or address|no such pool/i],
  ['partial-receive', /contains partially-complete state/i],
  ['target-modified', /has been modified|destination .* does not exist|destination .* has snapshots|destination .* exists|does not match incremental source|most recent snapshot of .* does not match/i],
  ['feature-missing', /must be upgraded|feature .* not (enabled|supported)|unsupported feature|stream has unsupported/i],
  ['source-gone', /^cannot open '[^']+': (dataset|snapshot) does not exist|incremental source .* does not exist|bookmark .* does not exist|could not find any snapshots to send/im],
  ['stream-broken', /invalid backup stream|checksum mismatch|incomplete stream|failed to read from stream|stream ends? (prematurely|unexpectedly)|bad magic number/i],
]

/** The most telling kind in a failed transfer's output (both sides' stderr, and syncoid's stdout). */
export function classifyTransferFailure(output: string): TransferFailureKind {
  for (const [kind, re] of RULES) if (re.test(output)) return kind
  return 'unknown'
}

/**
 * The lines of a transfer's output worth keeping for the record: without the send's per-second progress
 * and size header, which say nothing about the failure and would push it out of a bounded record.
 */
export function failureLines(output: string, max = 40): string[] {
  return output
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() !== '' && !/^(\d\d:\d\d:\d\d|full|incremental|size)\t/.test(l))
    .slice(-max)
}
