// Runs a command as the guide's reader would, keeping what it printed so tests can assert on it and
// save it as a fixture for the parsers' unit tests.
import { execa } from 'execa'
import { saveArtifact } from './env'

export interface Ran {
  stdout: string
  stderr: string
  exitCode: number
}

export async function sh(argv: string[], opts: { input?: string; ok?: boolean; fixture?: string; timeoutMs?: number } = {}): Promise<Ran> {
  const [file, ...args] = argv
  const r = await execa(file!, args, { input: opts.input, reject: false, timeout: opts.timeoutMs ?? 300_000, env: { LC_ALL: 'C' } })
  const ran = { stdout: String(r.stdout), stderr: String(r.stderr), exitCode: r.exitCode ?? -1 }
  if (opts.fixture) {
    saveArtifact(`fixtures/${opts.fixture}`, `# ${argv.join(' ')}\n# exit ${ran.exitCode}\n${ran.stdout}${ran.stderr ? `\n# stderr\n${ran.stderr}` : ''}\n`)
  }
  if ((opts.ok ?? true) && ran.exitCode !== 0) {
    throw new Error(`${argv.join(' ')} exited ${ran.exitCode}\n${ran.stdout}\n${ran.stderr}`)
  }
  return ran
}
