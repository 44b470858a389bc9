#!/usr/bin/env node
// A stand-in for fpm on CUSTOM_FPM_PATH (fpm cannot be downloaded here). It records what electron-builder
// hands fpm: every option, the scripts, and every `source=destination` as a tree of files with their
// modes, in $FPM_CAPTURE_DIR/<target>/ (capture.json, root/, scripts/). The package file it is asked for
// is written empty, so electron-builder carries on as after a real fpm run.
import { cpSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'

const NO_VALUE = new Set(['--force', '--debug'])
const LIST = new Set(['-d', '--depends', '--deb-recommends'])

const argv = process.argv.slice(2)
const options = {}
const mappings = []
for (let i = 0; i < argv.length; i++) {
  const a = argv[i]
  if (a.startsWith('-')) {
    if (NO_VALUE.has(a)) {
      options[a] = true
      continue
    }
    const v = argv[++i]
    if (LIST.has(a)) (options[a] ??= []).push(v)
    else options[a] = v
  } else {
    const eq = a.indexOf('=')
    mappings.push({ source: a.slice(0, eq), destination: a.slice(eq + 1) })
  }
}

const target = options['-t']
const out = join(process.env.FPM_CAPTURE_DIR ?? (() => { throw new Error('FPM_CAPTURE_DIR is not set') })(), target)
const root = join(out, 'root')
mkdirSync(join(out, 'scripts'), { recursive: true })
for (const m of mappings) {
  // fpm's dir source: "dir/=dest" copies the folder's contents into dest, "file=dest" installs the file as dest.
  const to = join(root, m.destination)
  mkdirSync(m.source.endsWith('/') ? to : dirname(to), { recursive: true })
  cpSync(m.source, to, { recursive: true, verbatimSymlinks: true })
}
const scripts = {}
for (const [key, name] of [['--after-install', 'after-install'], ['--after-remove', 'after-remove']]) {
  if (!options[key]) continue
  writeFileSync(join(out, 'scripts', name), readFileSync(options[key]), { mode: 0o755 })
  scripts[name] = readFileSync(options[key], 'utf8')
}

function walk(dir, prefix, files) {
  for (const name of readdirSync(dir).sort()) {
    const full = join(dir, name)
    const path = `${prefix}/${name}`
    const st = lstatSync(full)
    const mode = st.mode & 0o7777
    if (st.isSymbolicLink()) files.push({ path, type: 'link', mode, target: readlinkSync(full) })
    else if (st.isDirectory()) {
      files.push({ path, type: 'dir', mode })
      walk(full, path, files)
    } else files.push({ path, type: 'file', mode, size: st.size })
  }
  return files
}

const capture = {
  target,
  argv,
  name: options['--name'],
  version: options['--version'],
  architecture: options['--architecture'],
  maintainer: options['--maintainer'],
  vendor: options['--vendor'],
  url: options['--url'],
  license: options['--license'],
  description: options['--description'],
  depends: options['-d'] ?? [],
  recommends: options['--deb-recommends'] ?? [],
  mappings,
  scripts,
  files: walk(root, '', []),
}
writeFileSync(join(out, 'capture.json'), JSON.stringify(capture, null, 2))
if (options['--package']) {
  mkdirSync(dirname(options['--package']), { recursive: true })
  writeFileSync(options['--package'], '')
}
