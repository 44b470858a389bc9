// What the installed app hands the world outside Electron: the .desktop file's actions start it (or reach
// the running instance) with a flag, and files other processes read must be real files, not archive entries.

export type LaunchAction = 'backup' | 'eject'

/** The .desktop actions' flags (build/electron-builder.config.ts); anything else only opens the app. */
export function launchAction(argv: readonly string[]): LaunchAction | null {
  if (argv.includes('--backup-now')) return 'backup'
  if (argv.includes('--eject')) return 'eject'
  return null
}

/**
 * The unpacked copy of a file inside app.asar (packages unpack it with asarUnpack). Electron reads into
 * the archive; a notification daemon given the path cannot. From source there is no archive: unchanged.
 */
export function unpackedPath(path: string): string {
  return path.replace(/([\\/])app\.asar(?=[\\/]|$)/, '$1app.asar.unpacked')
}
