// Inside the test VM, as root: the REAL main-process service (main/app/coordinator.ts) with the real
// launcher running the built helper (out/main/helper.js, no pkexec: we are root already), the real drive
// watcher on udisks2/udev, and a real encrypted source pool plus a guide-made backup drive that QMP
// hot-plugs. Its IPC handlers and event streams are served over HTTP for the window on the host
// (test/e2e/rpc-client.ts), reached through QEMU's forwarded port:
//
//   POST /invoke  {channel, request}  → {value} | 500 {error}   (validated as registerIpc does)
//   GET  /events                       server-sent events {channel, payload}, the current state first
//   POST /test/plug                    plugs the backup drive in (QMP, writes throttled), resolves once udev named it
//   GET  /test/facts                   what the guest says about the drive, the pools and the history
//   POST /test/shutdown                disposes the coordinator and exits
//
// Loaded by guest-server.ts through Vite's module runner (see there why).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { join } from 'node:path'
import { execa } from 'execa'
import { createCoordinator, type Coordinator } from '../../main/app/coordinator'
import { PkexecLauncher } from '../../main/app/privileged'
import { availableVerbs } from '../../main/helper/dispatch'
import { readRuns } from '../../main/history/store'
import { DriveWatcher } from '../../main/services/drive-watcher'
import { ProcessRunner } from '../../main/system/runner'
import { invokeContract, type InvokeChannel } from '../../preload/contract'
import { waitFor, type UsbDrive } from '../vm/guest/drives'
import { hostShare, qmpAddress } from '../vm/guest/env'
import { configFor, importedPools, makeBackupDrive, makeSource, snap, writeRandom } from '../vm/guest/pools'
import { sh } from '../vm/guest/sh'
import { Qmp } from '../vm/qmp'
import { bindService } from './bind'

const PROJECT = '/opt/proj'
const DIR = '/root/e2e'
const PORT = Number(process.env.ZFSVM_E2E_GUEST_PORT ?? 8765)
/** Enough data that the transfer lasts a few seconds under emulation: long enough to photograph. */
const MB = Number(process.env.ZFSVM_E2E_MB ?? 160)
const DRIVE = 'T7'
/**
 * The drive writes at most this fast (a QEMU throttle group), like a slow USB stick: the transfer then
 * lasts about MB / MBPS seconds however fast the machine is, so the running state can be photographed.
 */
const MBPS = Number(process.env.ZFSVM_E2E_MBPS ?? 16)

const log = (m: string): void => void process.stderr.write(`[guest-server] ${m}\n`)
const since = (t0: number): string => `${((Date.now() - t0) / 1000).toFixed(1)} s`

export async function main(): Promise<void> {
  const t0 = Date.now()
  if (process.getuid?.() !== 0) throw new Error('the guest server runs as root inside the test VM')
  mkdirSync(DIR, { recursive: true })
  const configPath = `${DIR}/config.json`
  const historyPath = `${DIR}/history.jsonl`

  // A laptop's encrypted home with one sanoid-style snapshot, and a drive made by the guide, unplugged.
  const src = await makeSource('e2elaptop', { sizeMb: 1024 })
  writeRandom(src, 'photos.bin', MB)
  await snap(src, 'daily')
  const drive = await makeBackupDrive('e2et7', 'e2ebk', { plugged: false, sizeMb: 1024 })
  writeFileSync(configPath, JSON.stringify(configFor(src, [{ name: DRIVE, drive, target: 'e2ebk/home' }]), null, 1), { mode: 0o600 })
  log(`source ${src.dataset} (${MB} MiB) and drive ${drive.usb.byId} ready after ${since(t0)}`)

  const helper = [process.execPath, `${PROJECT}/out/main/helper.js`]
  const coordinator: Coordinator = createCoordinator({
    configPath,
    historyPath,
    launcher: new PkexecLauncher({ command: helper, cwd: PROJECT }),
    runner: new ProcessRunner(),
    availableVerbs: availableVerbs(),
    startWatcher: (drives, listen) => DriveWatcher.start({ drives }, listen),
    // No session bus in the guest, and nobody to read a notification: the window is what is tested.
    notifier: {
      driveConnected: async () => ({ kind: 'skipped' }),
      backupDone: async () => ({ kind: 'skipped' }),
      failed: async () => ({ kind: 'skipped' }),
      stale: async () => ({ kind: 'skipped' }),
      driveRemoved: async () => undefined,
    },
    openWindow: () => undefined,
    chooseFolder: async () => null,
    log,
  })
  await coordinator.start()
  const handlers = bindService(coordinator)

  const server = createServer((req, res) => {
    route(req, res).catch((err: unknown) => send(res, 500, { error: err instanceof Error ? err.message : String(err) }))
  })

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://guest')
    if (req.method === 'POST' && url.pathname === '/invoke') {
      const { channel, request } = JSON.parse(await body(req)) as { channel: string; request?: unknown }
      if (!Object.hasOwn(invokeContract, channel)) return send(res, 404, { error: `unknown channel ${channel}` })
      // As registerIpc does in Electron: the request is validated before the handler, the answer after.
      const spec = invokeContract[channel as InvokeChannel]
      const parsed = spec.request.safeParse(request)
      if (!parsed.success) return send(res, 400, { error: `${channel}: invalid request: ${parsed.error.issues.map((i) => i.message).join('; ')}` })
      const value = spec.response.parse(await handlers.invoke(channel as InvokeChannel, parsed.data))
      return send(res, 200, { value })
    }
    if (req.method === 'GET' && url.pathname === '/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' })
      const write = (channel: string, payload: unknown): void => void res.write(`data: ${JSON.stringify({ channel, payload })}\n\n`)
      write('state:changed', coordinator.state())
      const off = handlers.subscribe(write)
      const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000)
      req.on('close', () => {
        clearInterval(keepAlive)
        if (typeof off === 'function') off()
      })
      return
    }
    if (req.method === 'POST' && url.pathname === '/test/plug') {
      const started = Date.now()
      await plugThrottled(drive.usb, MBPS * 1024 ** 2)
      log(`drive plugged in, writes limited to ${MBPS} MiB/s (${since(started)})`)
      return send(res, 200, { ms: Date.now() - started })
    }
    if (req.method === 'GET' && url.pathname === '/test/facts') {
      return send(res, 200, {
        byIdExists: existsSync(drive.usb.byId),
        byId: drive.usb.byId,
        poolImported: (await importedPools()).includes(drive.pool),
        helper,
        writeLimitMiBps: MBPS,
        history: await readRuns(historyPath, 10),
        sourceSnapshots: (await sh(['zfs', 'list', '-H', '-t', 'snapshot', '-o', 'name', src.dataset])).stdout.trim().split('\n'),
      })
    }
    if (req.method === 'POST' && url.pathname === '/test/shutdown') {
      send(res, 200, { ok: true })
      await coordinator.dispose()
      server.closeAllConnections()
      server.close(() => process.exit(0))
      return
    }
    send(res, 404, { error: `${req.method} ${url.pathname}: no such route` })
  }

  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.on(sig, () => void coordinator.dispose().finally(() => process.exit(130)))
  }
  await new Promise<void>((resolve) => server.listen(PORT, '0.0.0.0', resolve))
  log(`listening on 0.0.0.0:${PORT} after ${since(t0)}`)
  // The host test waits for this line.
  process.stdout.write(`E2E-READY ${JSON.stringify({ port: PORT, setupMs: Date.now() - t0, byId: drive.usb.byId, dataset: src.dataset, mb: MB })}\n`)
}

/** As drives.ts's plug(), with a throttle filter between the device and its image. */
async function plugThrottled(usb: UsbDrive, bytesPerSecond: number): Promise<void> {
  const q = await Qmp.connect(qmpAddress())
  try {
    await q.execute('object-add', { 'qom-type': 'throttle-group', id: `tg-${usb.id}`, limits: { 'bps-write': bytesPerSecond } })
    await q.execute('blockdev-add', {
      driver: 'throttle',
      'node-name': `blk-${usb.id}`,
      'throttle-group': `tg-${usb.id}`,
      file: { driver: 'raw', 'node-name': `raw-${usb.id}`, file: { driver: 'file', filename: join(hostShare(), 'drives', `${usb.id}.img`) } },
    })
    await q.execute('device_add', { driver: 'usb-storage', bus: 'xhci.0', drive: `blk-${usb.id}`, id: `usb-${usb.id}`, serial: usb.serial })
  } finally {
    q.close()
  }
  await waitFor(`${usb.byId} to appear`, () => existsSync(usb.byId))
  await execa('udevadm', ['settle', '--timeout=30'])
}

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = ''
    req.setEncoding('utf8')
    req.on('data', (chunk: string) => (text += chunk))
    req.on('end', () => resolve(text))
    req.on('error', reject)
  })
}

function send(res: ServerResponse, status: number, value: unknown): void {
  if (res.headersSent) return void res.end()
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(JSON.stringify(value))
}
