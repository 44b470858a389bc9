import { existsSync, readFileSync, truncateSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { execa, type ResultPromise } from 'execa'
import { chooseAccel } from './accel'
import { sshKey } from './paths'

/** The guest port the window e2e test's RPC server listens on; the host reaches it at 127.0.0.1:vm.rpcPort. */
export const RPC_GUEST_PORT = 8765

export interface VmOptions {
  imageDir: string
  runDir: string
  projectImg?: string
  memoryMb?: number
  bootTimeoutMs?: number
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number }
      srv.close(() => resolve(port))
    })
    srv.on('error', reject)
  })
}

/** One booted guest. The root image is used with snapshot=on, so every boot starts pristine. */
export class Vm {
  sshPort = 0
  qmpPort = 0
  /** Forwarded to RPC_GUEST_PORT in the guest (test/e2e/guest-server.ts). */
  rpcPort = 0
  private qemu: ResultPromise | null = null
  readonly serialLog: string
  readonly share: string

  constructor(private readonly opts: VmOptions) {
    this.serialLog = join(opts.runDir, 'serial.log')
    this.share = join(opts.runDir, 'share')
  }

  async start(): Promise<void> {
    const { imageDir, runDir, projectImg } = this.opts
    this.sshPort = await freePort()
    this.qmpPort = await freePort()
    this.rpcPort = await freePort()
    const src = join(runDir, 'src.img')
    writeFileSync(src, '')
    truncateSync(src, 4 * 1024 ** 3)
    const { accel, cpu } = chooseAccel()
    const args = [
      '-name', 'zfsvm', '-accel', accel, '-cpu', cpu, '-smp', '2', '-m', String(this.opts.memoryMb ?? 3072),
      '-display', 'none', '-serial', `file:${this.serialLog}`, '-monitor', 'none',
      '-kernel', join(imageDir, 'vmlinuz'), '-initrd', join(imageDir, 'initrd.img'),
      '-append', 'console=ttyS0 root=LABEL=root rw quiet systemd.show_status=false',
      '-drive', `file=${join(imageDir, 'root.img')},if=virtio,format=raw,snapshot=on`,
      // The source pool's disk: /dev/disk/by-id/virtio-SRCDISK01 in the guest.
      '-drive', `file=${src},if=none,id=src,format=raw,cache=unsafe`, '-device', 'virtio-blk-pci,drive=src,serial=SRCDISK01',
      ...(projectImg ? ['-drive', `file=${projectImg},if=none,id=proj,format=raw,cache=unsafe`, '-device', 'virtio-blk-pci,drive=proj,serial=PROJECT'] : []),
      '-netdev', `user,id=n0,hostfwd=tcp:127.0.0.1:${this.sshPort}-:22,hostfwd=tcp:127.0.0.1:${this.rpcPort}-:${RPC_GUEST_PORT}`, '-device', 'virtio-net-pci,netdev=n0',
      '-virtfs', `local,path=${this.share},mount_tag=hostshare,security_model=none,id=hs`,
      // Root ports for hot-plugged "USB drives": the most xhci offers, since test files leave drives plugged in.
      '-device', 'qemu-xhci,id=xhci,p2=15,p3=15',
      '-qmp', `unix:${join(runDir, 'qmp.sock')},server=on,wait=off`,
      // The guest reaches this one at 10.0.2.2 (slirp maps it to the host's loopback).
      '-qmp', `tcp:127.0.0.1:${this.qmpPort},server=on,wait=off`,
    ]
    writeFileSync(join(runDir, 'qemu.args.json'), JSON.stringify(args, null, 1))
    this.qemu = execa('qemu-system-x86_64', args, { stdio: ['ignore', 'inherit', 'inherit'], reject: false, cleanup: true })
    await this.waitReady(this.opts.bootTimeoutMs ?? Number(process.env.ZFSVM_BOOT_TIMEOUT ?? 300) * 1000)
  }

  private async waitReady(timeoutMs: number): Promise<void> {
    const started = Date.now()
    let exited: string | null = null
    void this.qemu?.then((r) => (exited = r.signal ? `signal ${r.signal}` : `exit code ${r.exitCode}`))
    while (Date.now() - started < timeoutMs) {
      const log = existsSync(this.serialLog) ? readFileSync(this.serialLog, 'utf8') : ''
      const ready = /ZFSVM-READY ([\d.]+)/.exec(log)
      if (ready) {
        console.error(`[vm] guest ready after ${((Date.now() - started) / 1000).toFixed(1)} s (guest uptime ${ready[1]} s)`)
        return
      }
      const fatal = /ALERT!|Kernel panic|emergency mode|Give root password for maintenance/.exec(log)
      if (fatal) throw new Error(`guest failed to boot (${fatal[0]}); serial log: ${this.serialLog}\n${log.slice(-3000)}`)
      if (exited) throw new Error(`qemu exited during boot (${exited}); serial log: ${this.serialLog}`)
      await new Promise((r) => setTimeout(r, 500))
    }
    throw new Error(`guest not ready after ${timeoutMs / 1000} s; serial log: ${this.serialLog}`)
  }

  sshArgs(): string[] {
    return [
      '-i', sshKey, '-p', String(this.sshPort),
      '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR',
      '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=20', '-o', 'ServerAliveInterval=15',
      '-o', 'ControlMaster=auto', '-o', `ControlPath=${join(this.opts.runDir, 'ssh.ctl')}`, '-o', 'ControlPersist=120',
      'root@127.0.0.1',
    ]
  }

  /** Runs a shell command line in the guest, its output streamed to ours (each line after `prefix`, if given). */
  async run(command: string, options: { tty?: boolean; capture?: boolean; prefix?: string } = {}) {
    const args = [...(options.tty ? ['-t'] : []), ...this.sshArgs(), command]
    if (options.capture) return execa('ssh', args, { reject: false })
    if (!options.prefix) return execa('ssh', args, { stdio: 'inherit', reject: false })
    const child = execa('ssh', args, { stdin: 'ignore', reject: false, buffer: false })
    for (const [stream, out] of [[child.stdout, process.stdout], [child.stderr, process.stderr]] as const) prefixLines(stream, out, options.prefix)
    return child
  }

  async stop(): Promise<void> {
    if (!this.qemu) return
    this.qemu.kill('SIGTERM')
    const timer = setTimeout(() => this.qemu?.kill('SIGKILL'), 10_000)
    await this.qemu
    clearTimeout(timer)
    this.qemu = null
  }
}

/** Copies a stream line by line with a prefix, so two guests' output can be told apart in one log. */
function prefixLines(from: NodeJS.ReadableStream, to: NodeJS.WritableStream, prefix: string): void {
  let buf = ''
  from.setEncoding('utf8')
  from.on('data', (chunk: string) => {
    buf += chunk
    const lines = buf.split('\n')
    buf = lines.pop() ?? ''
    for (const l of lines) to.write(`${prefix}${l}\n`)
  })
  from.on('end', () => buf && to.write(`${prefix}${buf}\n`))
}
