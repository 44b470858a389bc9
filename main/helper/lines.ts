// Reads the helper's stdin as lines: the job, then (for some verbs) the passphrase, then nothing but the
// end of the stream, which is the app's way of saying "stop" (it closes stdin on cancel, and the OS closes
// it when the app dies, so the helper never outlives the app).
import type { Readable } from 'node:stream'

export class LineTooLong extends Error {}

export class StdinLines {
  private buf = ''
  private lines: string[] = []
  private ended = false
  private failed: Error | null = null
  private waiter: (() => void) | null = null
  private endListeners: (() => void)[] = []

  constructor(
    stream: Readable,
    private readonly maxLineBytes: number,
  ) {
    stream.setEncoding('utf8')
    stream.on('data', (chunk: string) => {
      this.buf += chunk
      let nl: number
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        this.lines.push(this.buf.slice(0, nl).replace(/\r$/, ''))
        this.buf = this.buf.slice(nl + 1)
      }
      // Past the lines the helper reads, anything more is ignored; a huge partial line is an error.
      if (this.buf.length > this.maxLineBytes) {
        this.failed ??= new LineTooLong(`a line on stdin is longer than ${this.maxLineBytes} bytes`)
        this.buf = ''
      }
      this.wake()
    })
    const end = (): void => {
      if (this.ended) return
      this.ended = true
      if (this.buf) this.lines.push(this.buf)
      this.buf = ''
      this.wake()
      for (const l of this.endListeners.splice(0)) l()
    }
    stream.on('end', end)
    stream.on('close', end)
    stream.on('error', end)
  }

  /** The next line, or null once stdin has ended. */
  async next(): Promise<string | null> {
    for (;;) {
      if (this.failed) throw this.failed
      if (this.lines.length) return this.lines.shift()!
      if (this.ended) return null
      await new Promise<void>((resolve) => (this.waiter = resolve))
    }
  }

  get isEnded(): boolean {
    return this.ended
  }

  /** Called once when stdin ends (immediately if it already has). */
  onEnd(listener: () => void): void {
    if (this.ended) listener()
    else this.endListeners.push(listener)
  }

  /** Drops whatever else was sent: the helper reads only the lines it asked for. */
  discard(): void {
    this.lines = []
  }

  private wake(): void {
    const w = this.waiter
    this.waiter = null
    w?.()
  }
}
