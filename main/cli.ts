#!/usr/bin/env node
// CLI entry. Ctrl-C, SIGTERM or SIGHUP (the terminal closed) cancels the run cleanly: the send stops,
// the pool is exported. SIGKILL cannot be caught: the transfer dies with the CLI anyway (setpriv
// --pdeathsig), and the next run resumes or discards what it left.
import { main } from './cli/index'

const controller = new AbortController()
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => controller.abort())
// After a hang-up the terminal is gone: writing to it fails (EIO/EPIPE), which must not stop the clean-up.
let gone = false
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => (gone = true))
const write = (stream: NodeJS.WriteStream) => (t: string): void => {
  if (!gone && !stream.destroyed) stream.write(t)
}
main(process.argv.slice(2), { out: write(process.stdout), err: write(process.stderr), isTty: Boolean(process.stdout.isTTY) }, controller.signal).then(
  (code) => process.exit(code),
  (err: unknown) => {
    // Never a stack trace: main() answers every failure it knows; this is the last word on the rest.
    process.stderr.write(`✗ Unexpected error: ${err instanceof Error ? err.message : String(err)} (this is a bug; please report it)\n`)
    process.exit(1)
  },
)
