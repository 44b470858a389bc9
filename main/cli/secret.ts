// Reading a passphrase for the CLI: from the terminal without echo, or one line per question from stdin
// when it is piped (`printf '%s\n' "$PASS" | zfs-drive-backup verify-key`). Never from argv or the
// environment; the text goes straight to the stdin of `zfs load-key`.
import { openSync, closeSync } from 'node:fs'
import { ReadStream } from 'node:tty'

export type SecretReader = (prompt: string) => Promise<string>

/** Reads lines from a non-terminal stream, one per call (several keys → several lines). */
export function lineReader(stream: NodeJS.ReadableStream): SecretReader {
  let buf = ''
  let ended = false
  const waiting: (() => void)[] = []
  stream.setEncoding?.('utf8')
  stream.on('data', (c: string | Buffer) => {
    buf += c.toString()
    waiting.splice(0).forEach((w) => w())
  })
  stream.on('end', () => {
    ended = true
    waiting.splice(0).forEach((w) => w())
  })
  return async () => {
    for (;;) {
      const nl = buf.indexOf('\n')
      if (nl >= 0) {
        const line = buf.slice(0, nl).replace(/\r$/, '')
        buf = buf.slice(nl + 1)
        return line
      }
      if (ended) {
        if (buf) {
          const line = buf
          buf = ''
          return line
        }
        throw new Error('no passphrase on stdin')
      }
      await new Promise<void>((r) => waiting.push(r))
    }
  }
}

/** Interprets keys typed in raw mode: Enter ends, Backspace deletes, Ctrl-C/Ctrl-D cancel. */
export function applyKeys(current: string, chunk: string): { value: string; done: boolean; cancelled: boolean } {
  let value = current
  for (const ch of chunk) {
    if (ch === '\r' || ch === '\n') return { value, done: true, cancelled: false }
    if (ch === '\u0003' || ch === '\u0004') return { value: '', done: true, cancelled: true }
    if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1)
    else if (ch === '\u0015') value = ''
    else if (ch >= ' ') value += ch
  }
  return { value, done: false, cancelled: false }
}

/** Asks on the controlling terminal (/dev/tty), echoing nothing. */
export function ttyReader(output: NodeJS.WritableStream = process.stderr): SecretReader {
  return (prompt) =>
    new Promise((resolve, reject) => {
      const fd = openSync('/dev/tty', 'r')
      const tty = new ReadStream(fd)
      tty.setRawMode(true)
      tty.setEncoding('utf8')
      output.write(prompt)
      let value = ''
      const finish = (err: Error | null): void => {
        tty.setRawMode(false)
        tty.pause()
        tty.destroy()
        try {
          closeSync(fd)
        } catch {
          // closed by destroy
        }
        output.write('\n')
        if (err) reject(err)
        else resolve(value)
      }
      tty.on('data', (chunk: string) => {
        const r = applyKeys(value, chunk)
        value = r.value
        if (r.done) finish(r.cancelled ? new Error('cancelled') : null)
      })
    })
}

let piped: SecretReader | null = null

/** The reader for this process: the terminal when stdin is one, otherwise lines from stdin. */
export function defaultSecretReader(): SecretReader {
  if (process.stdin.isTTY) return ttyReader()
  piped ??= lineReader(process.stdin)
  return piped
}
