// The privileged helper's logic, without process globals so tests can drive it with streams and a
// recording runner. Protocol (stdin → stdout, one JSON document per line):
//
//   app → helper   line 1: the job (main/helper/job.ts), validated with zod
//                  line 2: the passphrase, for restore-open and verify-key only
//                  then nothing; closing stdin cancels the run (the engine still exports the pool)
//   helper → app   RunEvents (shared/events.ts), one per line, ending with run-finished
//
// Anything wrong with the job (not JSON, unknown verb, a field that fails its schema, a config that does
// not load or validate, a drive that is not in it, a missing passphrase) is answered with one `error`
// event and exit code 2, before a single command runs.
import type { Readable } from 'node:stream'
import type { Config } from '../config/schema'
import { RunEvent, type Emit } from '../../shared/events'
import { verbLabel } from '../../shared/verbs'
import type { Outcome } from '../engine/pipeline'
import type { Runner } from '../system/runner'
import type { HoldSleep } from '../engine/sleep'
import { lookupUser, userFiles } from '../config/owner'
import { JobConfigError, jobConfigSource, readJobConfig } from './config'
import { invokingUidFrom } from '../engine/delegation'
import { dispatch as defaultDispatch, type DispatchTable, type HelperContext } from './dispatch'
import { HELPER_EXIT, Job, MAX_JOB_BYTES, SECRET_VERBS } from './job'
import { LineTooLong, StdinLines } from './lines'

export interface HelperIo {
  stdin: Readable
  /** Writes one line (the newline is added). Must not throw when the app has gone away. */
  writeLine: (line: string) => void
  env: NodeJS.ProcessEnv
  /** Process signals that cancel the run, subscribed by the entry point. */
  onSignal?: (cancel: () => void) => void
}

export interface HelperDeps {
  runner: Runner
  dispatch?: DispatchTable
  readConfig?: (path: string, ownerUid: number | null) => Promise<Config>
  lockPath?: string
  /** passwd(5) to find the invoking user's home in (tests). */
  passwdPath?: string
  /** How long to wait for the job line. */
  jobTimeoutMs?: number
  holdSleep?: HoldSleep
  /** For the auto verb: the service command and (tests) where its files go. */
  auto?: HelperContext['auto']
}

const KNOWN_VERBS = Job.options.map((o) => o.shape.verb.value)

export async function helperMain(io: HelperIo, deps: HelperDeps): Promise<number> {
  const emit: Emit = (e) => {
    // The stream is a contract: an event that does not match the schema is a bug, reported as such.
    const checked = RunEvent.safeParse(e)
    io.writeLine(JSON.stringify(checked.success ? checked.data : { type: 'error', code: 'internal', message: `helper produced an invalid ${e.type} event` }))
  }
  const reject = (code: string, message: string, exit: number = HELPER_EXIT.invalidJob): number => {
    emit({ type: 'error', code, message })
    return exit
  }

  const input = new StdinLines(io.stdin, MAX_JOB_BYTES)
  let raw: string | null
  try {
    raw = await withTimeout(input.next(), deps.jobTimeoutMs ?? 60_000)
  } catch (err) {
    if (err instanceof LineTooLong) return reject('job-invalid', `The job is longer than ${MAX_JOB_BYTES} bytes.`)
    if (err instanceof Timeout) return reject('job-invalid', 'No job arrived on stdin.')
    throw err
  }
  if (raw === null || raw.trim() === '') return reject('job-invalid', 'No job arrived on stdin.')

  let data: unknown
  try {
    data = JSON.parse(raw)
  } catch {
    return reject('job-invalid', 'The job is not JSON.')
  }
  const verb = (data as { verb?: unknown } | null)?.verb
  if (typeof verb !== 'string' || !(KNOWN_VERBS as string[]).includes(verb)) {
    return reject('job-unknown-verb', `Unknown job verb${typeof verb === 'string' ? ` "${verb.slice(0, 40)}"` : ''}; the helper runs only ${KNOWN_VERBS.join(', ')}.`)
  }
  const parsed = Job.safeParse(data)
  if (!parsed.success) {
    return reject('job-invalid', `Invalid ${verb} job: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(job)'}: ${i.message}`).join('; ')}.`)
  }
  const job = parsed.data

  // The packaged wrappers say which polkit action let us in. The everyday one keeps its authorization for
  // a few minutes; setup and adopt must have asked for the password just now (their own action).
  if (io.env.ZFS_DRIVE_BACKUP_ACTION === 'run' && (job.verb === 'setup' || job.verb === 'adopt')) {
    return reject('job-refused', `${job.verb === 'setup' ? 'Setting up a drive' : 'Adopting a drive'} needs its own password prompt; the app starts it through the setup action (zfs-drive-backup-setup-helper).`)
  }

  let secret: string | null = null
  if (SECRET_VERBS.has(job.verb)) {
    try {
      secret = await withTimeout(input.next(), deps.jobTimeoutMs ?? 60_000)
    } catch {
      secret = null
    }
    if (!secret) return reject('job-invalid', `A ${job.verb} job needs the passphrase as the second line on stdin.`)
  }
  input.discard()

  let config: Config
  let invokingGid: number | null = null
  let invokingOwner: number | null = null
  try {
    const source = await jobConfigSource(job.configPath, io.env, deps.passwdPath)
    config = await (deps.readConfig ?? readJobConfig)(source.path, source.ownerUid)
    invokingGid = source.ownerGid
    invokingOwner = source.ownerUid
  } catch (err) {
    if (err instanceof JobConfigError) return reject(err.code === 'config-invalid' ? 'config-invalid' : err.code, err.message)
    throw err
  }

  const name = 'drive' in job ? job.drive : null
  if (name !== null && !config.drives.some((d) => d.name === name)) {
    return reject('drive-unknown', `No drive named "${name}" is configured in ${job.configPath}.`)
  }

  // Backup on plug is installed for the user who asked: their uid and history go into root's instance file.
  let invoker: HelperContext['invoker']
  if (job.verb === 'auto') {
    const uid = invokingOwner ?? 0
    const user = await lookupUser({ uid }, deps.passwdPath)
    if (!user) return reject('user-unknown', `No user has uid ${uid}.`)
    invoker = { uid, historyPath: userFiles(user).historyPath }
  }

  const table = deps.dispatch ?? defaultDispatch
  const handler = table[job.verb] as ((c: HelperContext) => Promise<Outcome>) | null
  if (!handler) return reject('not-available', `${verbLabel[job.verb]} is not available in this version yet.`, HELPER_EXIT.notAvailable)

  // From here on commands run. Closing stdin (or a signal) cancels; the pipeline's cleanup steps still
  // export the pool and then run-finished says "cancelled".
  const controller = new AbortController()
  const cancel = (): void => controller.abort()
  input.onEnd(cancel)
  io.onSignal?.(cancel)
  const outcome = await handler({ job, config, secret, invokingGid, invokingUid: invokingOwner ?? (await invokingUidFrom(io.env)), runner: deps.runner, emit, signal: controller.signal, ...(deps.lockPath ? { lockPath: deps.lockPath } : {}), ...(deps.holdSleep ? { holdSleep: deps.holdSleep } : {}), ...(invoker ? { invoker } : {}), ...(deps.auto ? { auto: deps.auto } : {}) })
  secret = null
  return outcome === 'succeeded' ? HELPER_EXIT.ok : outcome === 'cancelled' ? HELPER_EXIT.cancelled : HELPER_EXIT.failed
}

class Timeout extends Error {}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Timeout()), ms)))]).finally(() => clearTimeout(timer))
}
