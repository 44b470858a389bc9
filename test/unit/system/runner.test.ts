// ProcessRunner.run with real programs: what a step sees of a command (its output, its exit, why it
// failed), with no library between the app and child_process.
import { readdirSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { describeError } from '../../../main/cli/errors'
import { CommandError, ProcessRunner, StuckCommandError } from '../../../main/system/runner'

const runner = new ProcessRunner()

describe('a command run by the app', () => {
  it('gets its input on stdin (how a passphrase travels) and the C locale, and gives back stdout and stderr whole', async () => {
    const r = await runner.run(['sh', '-c', 'read -r p; printf "%s|%s\\n" "$p" "$LC_ALL"; printf "warn\\n" >&2'], { input: 'correct horse\n' })
    expect(r).toMatchObject({ exitCode: 0, stdout: 'correct horse|C\n', stderr: 'warn\n' })
  })

  it('reports each output line as it comes, and keeps multibyte text intact', async () => {
    const seen: string[] = []
    const r = await runner.run(['printf', 'Größe\\nzweite\\n'], { onStdoutLine: (l) => seen.push(l) })
    expect(seen).toEqual(['Größe', 'zweite'])
    expect(r.stdout).toBe('Größe\nzweite\n')
  })

  it('throws a CommandError with the exit code and stderr, unless the caller reads the exit code itself', async () => {
    const failing = ['sh', '-c', 'echo "cannot open \'x\': no such pool" >&2; exit 1']
    await expect(runner.run(failing)).rejects.toMatchObject({ exitCode: 1, stderr: "cannot open 'x': no such pool\n" })
    expect((await runner.run(failing, { allowFailure: true })).exitCode).toBe(1)
  })

  it('a missing program is told apart from a failing one (doctor then says what to install)', async () => {
    const err = await runner.run(['zfs-drive-backup-no-such-tool', 'list']).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(CommandError)
    expect((err as CommandError).exitCode).toBeNull()
    expect(describeError(err).code).toBe('tool-missing')
  })

  it('a timeout ends the command and says so', async () => {
    const err = (await runner.run(['sleep', '5'], { timeoutMs: 100 }).catch((e: unknown) => e)) as CommandError
    expect(err.exitCode).toBeNull()
    expect(err.message).toMatch(/timed out after 100 ms/)
  })

  it('a cancel stops it (its whole group when asked) and is reported as cancelled', async () => {
    const controller = new AbortController()
    const t0 = Date.now()
    const p = runner.run(['sh', '-c', 'sleep 5 & wait'], { signal: controller.signal, group: true })
    setTimeout(() => controller.abort(), 100)
    await expect(p).rejects.toMatchObject({ cancelled: true })
    expect(Date.now() - t0).toBeLessThan(4000)
  })

  it('a command past its deadline is left behind with its pid, and the run goes on', async () => {
    const err = await runner.run(['sleep', '5'], { deadlineMs: 100 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(StuckCommandError)
    expect((err as StuckCommandError).pid).toBeGreaterThan(0)
  })
})

describe('a FIFO made ahead of its pipe', () => {
  const fds = (): number => readdirSync('/proc/self/fd').length

  it('is made once, while the caller waits on something else, and the next pipe takes it', async () => {
    const r = new ProcessRunner()
    const shown: string[] = []
    r.onCommand((argv) => shown.push(argv[0]!))
    r.preparePipe()
    expect(shown).toEqual(['mkfifo'])
    const result = await r.pipe(['sh', '-c', 'stat -L -c %F /proc/$$/fd/1'], ['sh', '-c', 'cat >&2'])
    expect(result.receive.stderr.trim()).toBe('fifo')
    expect(shown).toEqual(['mkfifo', 'sh', 'sh'])
  })

  it('one no pipe took is closed, leaving no descriptor behind', async () => {
    const before = fds()
    const r = new ProcessRunner()
    const settled = async (n: number): Promise<number> => {
      for (const t0 = Date.now(); fds() !== n && Date.now() - t0 < 10_000; ) await new Promise((ok) => setTimeout(ok, 20))
      return fds()
    }
    r.preparePipe()
    expect(await settled(before + 2)).toBe(before + 2)
    r.discardPrepared()
    expect(await settled(before)).toBe(before)
  })
})
