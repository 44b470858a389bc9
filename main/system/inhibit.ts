// systemd-inhibit: takes a logind inhibitor lock (org.freedesktop.login1.Manager.Inhibit over D-Bus) and
// holds it for as long as the command it starts runs. The lock is a file descriptor logind hands out; a
// pure-JS D-Bus client cannot receive one (dbus-next needs the native `usocket` addon for fd passing), so
// this small process holds it for us. Its command is `tail --pid=<us>`: if we die, tail ends within a
// second, and the kernel closes the fd, which releases the lock.

export interface InhibitRequest {
  what: string
  who: string
  why: string
  mode: 'block' | 'delay'
  /** The process the lock lives with. */
  pid: number
}

export function systemdInhibitArgv(r: InhibitRequest): string[] {
  for (const v of [r.what, r.who, r.why]) if (/[\0\r\n]/.test(v)) throw new Error('inhibitor fields are one line')
  return ['systemd-inhibit', `--what=${r.what}`, `--who=${r.who}`, `--why=${r.why}`, `--mode=${r.mode}`, 'tail', `--pid=${r.pid}`, '-f', '/dev/null']
}
