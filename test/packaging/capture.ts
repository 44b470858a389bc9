// Runs the real electron-builder on the real config with a stand-in fpm (fpm-standin.mjs on CUSTOM_FPM_PATH)
// and a stand-in Electron (electronDist: a script that runs Node), and returns what each format's fpm run
// was handed. Needs `electron-vite build` first (out/). Used by the packaging tier and by the VM test,
// which makes a .deb from the very same file list.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { Arch, build, Platform } from 'electron-builder'
import { config, type LinuxFormat } from '../../build/electron-builder.config'

export const projectDir = resolve(import.meta.dirname, '../..')

export interface CapturedFile {
  path: string
  type: 'file' | 'dir' | 'link'
  mode: number
  size?: number
  target?: string
}

export interface Capture {
  target: LinuxFormat
  argv: string[]
  name: string
  version: string
  architecture: string
  maintainer: string
  vendor: string
  url: string
  license: string
  description: string
  depends: string[]
  recommends: string[]
  mappings: { source: string; destination: string }[]
  scripts: { 'after-install'?: string; 'after-remove'?: string }
  files: CapturedFile[]
  /** Where the stand-in put the tree (root/) and the scripts (scripts/). */
  dir: string
}

/**
 * A folder shaped like Electron's Linux zip, whose `electron` runs Node: installed, the package's CLI and
 * helper wrappers start it with ELECTRON_RUN_AS_NODE=1 on unpacked files, exactly as they would Electron.
 */
function standInElectron(dir: string, node: string): string {
  mkdirSync(join(dir, 'resources'), { recursive: true })
  writeFileSync(join(dir, 'electron'), `#!/bin/sh\n# Stand-in for Electron (its binary cannot be fetched here): Node, as ELECTRON_RUN_AS_NODE=1 would give.\nexec '${node}' "$@"\n`)
  chmodSync(join(dir, 'electron'), 0o755)
  writeFileSync(join(dir, 'chrome-sandbox'), '')
  chmodSync(join(dir, 'chrome-sandbox'), 0o755)
  writeFileSync(join(dir, 'version'), '45.5.0')
  return dir
}

export async function capturePackages(o: { outDir: string; targets: readonly LinuxFormat[]; version?: string; node?: string }): Promise<Record<string, Capture>> {
  if (!existsSync(join(projectDir, 'out/main/cli.js'))) throw new Error('out/ is missing: run `npx electron-vite build` first')
  const captureDir = join(o.outDir, 'fpm')
  const electronDist = standInElectron(join(o.outDir, 'electron-dist'), o.node ?? process.execPath)
  const base = config(projectDir)
  const previous = { fpm: process.env.CUSTOM_FPM_PATH, capture: process.env.FPM_CAPTURE_DIR }
  chmodSync(join(import.meta.dirname, 'fpm-standin.mjs'), 0o755)
  process.env.CUSTOM_FPM_PATH = join(import.meta.dirname, 'fpm-standin.mjs')
  process.env.FPM_CAPTURE_DIR = captureDir
  try {
    await build({
      projectDir,
      targets: Platform.LINUX.createTarget([...o.targets], Arch.x64),
      publish: 'never',
      config: {
        ...base,
        electronDist,
        directories: { ...base.directories, output: join(o.outDir, 'dist') },
        ...(o.version ? { extraMetadata: { version: o.version } } : {}),
      },
    })
  } finally {
    restore('CUSTOM_FPM_PATH', previous.fpm)
    restore('FPM_CAPTURE_DIR', previous.capture)
  }
  const result: Record<string, Capture> = {}
  for (const t of o.targets) {
    const dir = join(captureDir, t)
    result[t] = { ...(JSON.parse(readFileSync(join(dir, 'capture.json'), 'utf8')) as Omit<Capture, 'dir'>), dir }
  }
  return result
}

function restore(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name]
  else process.env[name] = value
}

/** The captured entry at an absolute install path. */
export function entry(c: Capture, path: string): CapturedFile | undefined {
  return c.files.find((f) => f.path === path)
}
