#!/usr/bin/env node
// CLI entry. Ctrl-C or SIGTERM cancels the run cleanly (the send stops, the pool is exported).
import { main } from './cli/index'

const controller = new AbortController()
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => controller.abort())
main(process.argv.slice(2), { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t), isTty: Boolean(process.stdout.isTTY) }, controller.signal).then(
  (code) => process.exit(code),
  (err: unknown) => {
    // Never a stack trace: main() answers every failure it knows; this is the last word on the rest.
    process.stderr.write(`✗ Unexpected error: ${err instanceof Error ? err.message : String(err)} (this is a bug; please report it)\n`)
    process.exit(1)
  },
)
