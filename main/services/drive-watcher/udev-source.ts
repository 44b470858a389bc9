// Pool members from udev directly, for systems without UDisks2: `udevadm monitor` streams events, and
// `udevadm info --export-db` enumerates what is already there. The monitor is started first and the
// enumeration only runs once udevadm says it listens, so nothing falls between the two; events that
// arrive during the enumeration are applied after it (each is newer than or equal to what it saw).
import { execa, type ResultPromise } from 'execa'
import { MonitorParser, memberFromUdev, parseExportDb, type UdevProperties } from './udev-parse'
import type { MemberSink, MemberSource } from './types'

export interface UdevSourceOptions {
  udevadm?: string
  /** Called when udevadm dies unexpectedly; the source restarts it. */
  onError?: (err: Error) => void
  readyTimeoutMs?: number
}

export class UdevSource implements MemberSource {
  readonly name = 'udev'
  private child: ResultPromise | undefined
  private sink: MemberSink | undefined
  private stopped = false
  private held: UdevProperties[] | undefined
  private restartTimer: NodeJS.Timeout | undefined
  private restartDelayMs = 1000

  constructor(private readonly opts: UdevSourceOptions = {}) {}

  async start(sink: MemberSink): Promise<void> {
    this.sink = sink
    this.stopped = false
    await this.launch()
  }

  async stop(): Promise<void> {
    this.stopped = true
    clearTimeout(this.restartTimer)
    const child = this.child
    this.child = undefined
    if (child) {
      child.kill('SIGTERM')
      await child.catch(() => undefined)
    }
    this.sink = undefined
  }

  private udevadm(): string {
    return this.opts.udevadm ?? 'udevadm'
  }

  private async launch(): Promise<void> {
    this.held = []
    const child = execa(this.udevadm(), ['monitor', '--udev', '--subsystem-match=block', '--property'], {
      buffer: false,
      stdin: 'ignore',
      stderr: 'ignore',
      reject: false,
      env: { LC_ALL: 'C' },
    })
    this.child = child
    let ready!: () => void
    const listening = new Promise<void>((resolve) => (ready = resolve))
    const parser = new MonitorParser((p) => this.event(p), () => ready())
    let buf = ''
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (chunk: string) => {
      buf += chunk
      const lines = buf.split('\n')
      buf = lines.pop() ?? ''
      for (const l of lines) parser.line(l)
    })
    let running = false
    const exited = child.then((r) => r)
    void exited.then((r) => {
      // Before it ran, the failure is launch()'s to report; after, the source recovers on its own.
      if (!running || this.child !== child || this.stopped) return
      this.child = undefined
      this.opts.onError?.(new Error(`udevadm monitor exited (${r.exitCode ?? r.signal ?? 'unknown'}); restarting in ${this.restartDelayMs / 1000} s`))
      this.scheduleRestart()
    })
    const timeoutMs = this.opts.readyTimeoutMs ?? 10_000
    let timer: NodeJS.Timeout | undefined
    const outcome = await Promise.race([
      listening.then(() => 'ready' as const),
      exited.then(() => 'exited' as const),
      new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs))),
    ])
    clearTimeout(timer)
    if (outcome !== 'ready') {
      this.child = undefined
      child.kill('SIGTERM')
      throw new Error(outcome === 'exited' ? 'udevadm monitor exited at start' : `udevadm monitor did not start listening within ${timeoutMs} ms`)
    }
    running = true
    const db = await execa(this.udevadm(), ['info', '--export-db'], { reject: false, stdin: 'ignore', env: { LC_ALL: 'C' }, maxBuffer: 64 * 1024 * 1024 })
    if (db.exitCode !== 0) {
      this.child = undefined
      child.kill('SIGTERM')
      throw new Error(`udevadm info --export-db failed (exit ${db.exitCode}): ${String(db.stderr).trim()}`)
    }
    const held = this.held ?? []
    this.held = undefined
    this.sink?.sync(parseExportDb(String(db.stdout)).flatMap((p) => memberFromUdev(p) ?? []))
    for (const p of held) this.event(p)
    this.restartDelayMs = 1000
  }

  private scheduleRestart(): void {
    this.restartTimer = setTimeout(() => {
      if (this.stopped) return
      this.launch().catch((err: unknown) => {
        this.opts.onError?.(err instanceof Error ? err : new Error(String(err)))
        this.restartDelayMs = Math.min(this.restartDelayMs * 2, 60_000)
        if (!this.stopped) this.scheduleRestart()
      })
    }, this.restartDelayMs)
  }

  private event(p: UdevProperties): void {
    if (this.held) {
      this.held.push(p)
      return
    }
    if (!p.DEVPATH || (p.SUBSYSTEM && p.SUBSYSTEM !== 'block')) return
    const member = p.ACTION === 'remove' ? undefined : memberFromUdev(p)
    if (member) this.sink?.upsert(member)
    else this.sink?.remove(p.DEVPATH)
  }
}
