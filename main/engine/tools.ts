// Which programs a pipeline needs, found on PATH the way execvp will find them.
import { accessSync, constants } from 'node:fs'
import { join } from 'node:path'

export function which(command: string, path = process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'): string | null {
  for (const dir of path.split(':')) {
    if (!dir) continue
    const candidate = join(dir, command)
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // not here
    }
  }
  return null
}

export function missingTools(commands: readonly string[]): string[] {
  return commands.filter((c) => which(c) === null)
}
