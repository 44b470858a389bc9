// Every CLI failure as one sentence with a hint and a documented exit code, never a stack trace or an
// object dump. With --json it is one error object on stdout, the same shape as a run's error event.
import { ConfigError } from '../config/load'
import { OwnedConfigError } from '../config/owned'
import { OwnerError } from '../config/owner'
import { EngineError } from '../engine/errors'
import { HistoryError } from '../history/store'
import { CommandError } from '../system/runner'
import { exitCodeFor } from './run-events'
import { EXIT, type Io } from './command'

export interface CliError {
  code: string
  message: string
  hint?: string
  exitCode: number
}

const oneLine = (s: string): string => s.replace(/\s*\n\s*/g, '; ').trim()

export function describeError(err: unknown): CliError {
  if (err instanceof OwnedConfigError) return { code: err.code, message: oneLine(err.message), ...(err.hint ? { hint: err.hint } : {}), exitCode: EXIT.usage }
  if (err instanceof ConfigError) return { code: 'config-invalid', message: oneLine(err.message), hint: 'Fix the file (every problem is named by its field), or set the drive up again in the tray app.', exitCode: EXIT.usage }
  if (err instanceof OwnerError) return { code: err.code, message: err.message, ...(err.hint ? { hint: err.hint } : {}), exitCode: EXIT.usage }
  if (err instanceof EngineError) return { code: err.code, message: oneLine(err.message), ...(err.hint ? { hint: err.hint } : {}), exitCode: exitCodeFor('failed', err.code) }
  if (err instanceof HistoryError) return { code: 'history-refused', message: err.message, hint: 'The run itself finished; fix or remove that file so the next run is recorded.', exitCode: EXIT.failed }
  if (err instanceof CommandError) {
    const tool = err.argv[0] ?? 'a command'
    if (err.exitCode === null && /ENOENT/.test(err.stderr)) return { code: 'tool-missing', message: `${tool} is not installed (or not on PATH).`, hint: 'zfs-drive-backup doctor shows what is missing and how to install it.', exitCode: EXIT.failed }
    return { code: 'command-failed', message: oneLine(err.message), hint: 'The command and its error are above; zfs-drive-backup doctor checks the prerequisites.', exitCode: EXIT.failed }
  }
  const code = (err as NodeJS.ErrnoException | null)?.code
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) {
    const path = (err as NodeJS.ErrnoException).path
    return { code: 'file-error', message: `${path ?? 'a file'}: ${code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a folder' : code}.`, exitCode: EXIT.failed }
  }
  return { code: 'internal', message: `Unexpected error: ${oneLine(err instanceof Error ? err.message : String(err))}`, hint: 'This is a bug; please report it with the command you ran.', exitCode: EXIT.failed }
}

export function printError(io: Io, json: boolean, e: Omit<CliError, 'exitCode'> & { exitCode?: number }): void {
  if (json) io.out(JSON.stringify({ type: 'error', code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}), ...(e.exitCode !== undefined ? { exitCode: e.exitCode } : {}) }) + '\n')
  else io.err(`✗ ${e.message}${e.hint ? ` (${e.hint})` : ''}\n`)
}
