// The privileged helper's entry: started as root by pkexec through the app's polkit action (see
// build/linux/), or by root directly. It reads one job on stdin, runs it, streams RunEvents on stdout and
// exits when done; closing its stdin cancels the run. It takes no arguments and trusts no environment.
import { ProcessRunner } from './system/runner'
import { helperMain } from './helper/main'
import { HELPER_EXIT } from './helper/job'
import { sleepHolder } from './engine/sleep'
import { dirname, join } from 'node:path'
import { serviceCommand } from './engine/auto-switch'

// pkexec starts us with a minimal environment; the tools are looked up on a fixed PATH that also covers
// NixOS (/run/current-system/sw/bin), never on one the caller chose.
const SAFE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/run/current-system/sw/bin'
if (process.env.PKEXEC_UID !== undefined) process.env.PATH = SAFE_PATH
else process.env.PATH ||= SAFE_PATH

// The app may go away mid-run: writing to a closed pipe must not kill the helper before it has exported the pool.
process.stdout.on('error', () => undefined)
const writeLine = (line: string): void => {
  if (!process.stdout.destroyed) process.stdout.write(line + '\n')
}

helperMain(
  {
    stdin: process.stdin,
    writeLine,
    env: process.env,
    onSignal: (cancel) => {
      for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(sig, cancel)
    },
  },
  // The backup-on-plug service runs the CLI, which is built (and packaged) next to this file.
  { runner: new ProcessRunner(), holdSleep: sleepHolder(), auto: { service: serviceCommand(join(dirname(process.argv[1] ?? '/'), 'cli.js')) } },
).then(
  (code) => {
    process.stdin.destroy()
    // Let stdout drain, then leave even if a stray handle is open.
    process.stdout.write('', () => process.exit(code))
  },
  (err: unknown) => {
    writeLine(JSON.stringify({ type: 'error', code: 'internal', message: err instanceof Error ? err.message : String(err) }))
    process.exit(HELPER_EXIT.failed)
  },
)
