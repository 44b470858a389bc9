// Sleep held off during a run: the logind Inhibit call as systemd-inhibit makes it, on a private bus
// with a stand-in logind, and the holder's life: there while the run is, gone after it whatever the outcome.
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Message, type MessageBus } from 'dbus-next'
import { execa } from 'execa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { INHIBIT_WHO, sleepHolder, withSleepHeld } from '../../../main/engine/sleep'
import { systemdInhibitArgv } from '../../../main/system/inhibit'
import { which } from '../../../main/engine/tools'
import { ProcessRunner, type Runner } from '../../../main/system/runner'
import { startPrivateBus, type PrivateBus } from './private-bus'

const withEnv = (env: Record<string, string>): Runner => {
  const real = new ProcessRunner()
  return { run: (argv, o = {}) => real.run(argv, { ...o, env: { ...o.env, ...env } }) }
}

describe.skipIf(!which('systemd-inhibit'))('the Inhibit call, against a stand-in logind on a private bus', () => {
  let bus: PrivateBus
  let logind: MessageBus
  const calls: unknown[][] = []

  beforeAll(async () => {
    bus = await startPrivateBus()
    logind = await bus.connect()
    logind.addMethodHandler((msg: Message) => {
      if (msg.path !== '/org/freedesktop/login1' || msg.interface !== 'org.freedesktop.login1.Manager' || msg.member !== 'Inhibit') return false
      calls.push(msg.body as unknown[])
      // (dbus-next types newError's first argument wrongly as a string.) A pure-JS bus client cannot pass the lock's file descriptor, so the stand-in says no: which also
      // shows that a refused lock costs the run nothing.
      logind.send(Message.newError(msg as unknown as string, 'org.freedesktop.DBus.Error.NotSupported', 'the stand-in cannot pass file descriptors'))
      return true
    })
    await logind.requestName('org.freedesktop.login1', 0)
  })
  afterAll(async () => bus.close())

  it('asks for sleep:shutdown, mode block, as "ZFS Drive Backup" with the drive in the reason; the run goes on when refused', async () => {
    const unavailable: string[] = []
    const hold = sleepHolder({ runner: withEnv({ DBUS_SYSTEM_BUS_ADDRESS: bus.address }), onUnavailable: (r) => unavailable.push(r) })
    const result = await withSleepHeld(hold, 'Backing up to T7', async () => {
      // The stand-in answers, systemd-inhibit gives up, and the run is still going.
      while (unavailable.length === 0) await new Promise((r) => setTimeout(r, 20))
      return 'backed up'
    })
    expect(result).toBe('backed up')
    expect(calls).toEqual([['sleep:shutdown', INHIBIT_WHO, 'Backing up to T7', 'block']])
    expect(unavailable.join('\n')).toMatch(/systemd-inhibit exited/)
  })
})

describe('the lock holder', () => {
  const dir = mkdtempSync(join(tmpdir(), 'zdb-inhibit-'))
  const log = join(dir, 'args')
  const pidFile = join(dir, 'pid')
  // Stands in for systemd-inhibit once it holds the lock: records its arguments, then runs the command.
  writeFileSync(join(dir, 'systemd-inhibit'), `#!/bin/sh\necho "$@" > '${log}'\necho $$ > '${pidFile}'\nwhile [ "\${1#--}" != "$1" ]; do shift; done\nexec "$@"\n`)
  chmodSync(join(dir, 'systemd-inhibit'), 0o755)
  const path = `${dir}:/usr/bin:/bin`
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0)
      return true
    } catch {
      return false
    }
  }

  it.each([['succeeds', false], ['fails', true]])('is running while the run is and gone once it %s', async (_what, fails) => {
    const hold = sleepHolder({ runner: withEnv({ PATH: path }), path })
    let pid = 0
    const run = withSleepHeld(hold, 'Backing up to T7', async () => {
      while (!pid) {
        await new Promise((r) => setTimeout(r, 20))
        try {
          pid = Number(readFileSync(pidFile, 'utf8'))
        } catch {
          // not started yet
        }
      }
      expect(alive(pid)).toBe(true)
      if (fails) throw new Error('the drive was pulled')
    })
    if (fails) await expect(run).rejects.toThrow('pulled')
    else await run
    expect(readFileSync(log, 'utf8').trim()).toBe(`--what=sleep:shutdown --who=${INHIBIT_WHO} --why=Backing up to T7 --mode=block tail --pid=${process.pid} -f /dev/null`)
    expect(alive(pid)).toBe(false)
    writeFileSync(pidFile, '')
  })

  it('the lock as we ask for it ends with the process it lives with, even killed by SIGKILL (no clean-up of ours runs)', { timeout: 30_000 }, async () => {
    writeFileSync(pidFile, '')
    const run = execa('sleep', ['60'], { reject: false })
    const [cmd, ...args] = systemdInhibitArgv({ what: 'sleep:shutdown', who: INHIBIT_WHO, why: 'Backing up to T7', mode: 'block', pid: run.pid! })
    const holder = execa(join(dir, cmd!), args, { env: { PATH: path }, reject: false })
    for (let i = 0; i < 250 && !Number(readFileSync(pidFile, 'utf8')); i++) await new Promise((r) => setTimeout(r, 40))
    expect(alive(holder.pid!)).toBe(true)
    run.kill('SIGKILL')
    await run
    // tail --pid notices within a second: awaited, not timed.
    const r = await holder
    expect(r.exitCode).toBe(0)
    writeFileSync(pidFile, '')
  })

  it('without systemd-inhibit the run goes on, and says why', async () => {
    const said: string[] = []
    const release = await sleepHolder({ path: '/nonexistent', onUnavailable: (r) => said.push(r) })('Backing up to T7')
    await release()
    expect(said).toEqual(['systemd-inhibit is not installed'])
  })
})
