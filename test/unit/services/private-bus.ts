// A private dbus-daemon per test file: the fake UDisks2 and notification servers live on it, so the tests
// never touch the host's real system or session bus.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sessionBus, type MessageBus } from 'dbus-next'
import { execa, type ResultPromise } from 'execa'
import { openBus } from '../../../main/services/dbus'

export interface PrivateBus {
  address: string
  connect(): Promise<MessageBus>
  close(): Promise<void>
}

// No <servicedir>: a call to a missing name must fail, not D-Bus-activate something from the host.
const CONFIG = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir=TMP</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`

export async function startPrivateBus(): Promise<PrivateBus> {
  const dir = mkdtempSync(join(tmpdir(), 'zdb-dbus-'))
  const config = join(dir, 'bus.conf')
  writeFileSync(config, CONFIG.replace('TMP', dir))
  const daemon: ResultPromise = execa('dbus-daemon', [`--config-file=${config}`, '--nofork', '--print-address=1'], { buffer: false, stdin: 'ignore', reject: false })
  const address = await new Promise<string>((resolve, reject) => {
    let out = ''
    daemon.stdout!.setEncoding('utf8')
    daemon.stdout!.on('data', (c: string) => {
      out += c
      if (out.includes('\n')) resolve(out.split('\n')[0]!.trim())
    })
    void daemon.then((r) => reject(new Error(`dbus-daemon exited: ${r.exitCode}`)))
  })
  const buses: MessageBus[] = []
  return {
    address,
    async connect() {
      const bus = await openBus(() => sessionBus({ busAddress: address }))
      buses.push(bus)
      return bus
    },
    async close() {
      for (const b of buses) b.disconnect()
      daemon.kill('SIGTERM')
      await daemon
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
