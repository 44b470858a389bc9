// One stand-in for zpool, zfs, syncoid, udisksctl, udevadm and pv: logs its argv (one JSON array a line
// to $ZDB_LOG) and answers from a small world of pools and datasets in $ZDB_WORLD (JSON), which import,
// export, destroy, mount and load-key change. Output formats are those of OpenZFS 2.3 (test/fixtures/zfs).
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs'

const [tool, ...args] = process.argv.slice(2)
appendFileSync(process.env.ZDB_LOG, JSON.stringify([tool, ...args]) + '\n')
const worldPath = process.env.ZDB_WORLD
const world = JSON.parse(readFileSync(worldPath, 'utf8'))
const save = () => writeFileSync(worldPath, JSON.stringify(world, null, 2))
const out = (s) => process.stdout.write(s)
const fail = (msg, code = 1) => {
  process.stderr.write(msg + '\n')
  process.exit(code)
}
const imported = () => world.pools.filter((p) => p.imported)
const byName = (name) => imported().find((p) => p.name === name)
/** `pool/rel` → the imported pool and the dataset record ('' is the pool root). */
function dataset(full) {
  const [pool, ...rest] = full.split('/')
  const p = byName(pool)
  const ds = p?.datasets[rest.join('/')]
  return p && ds ? { p, ds, rel: rest.join('/') } : null
}
const last = args.at(-1)

function zpoolStatus(p) {
  const leaf = { name: p.disk.split('/').pop() + '-part1', vdev_type: 'disk', guid: '7', path: p.disk + '-part1', state: 'ONLINE', read_errors: '0', write_errors: '0', checksum_errors: '0' }
  return { name: p.name, pool_guid: p.guid, state: 'ONLINE', error_count: '0', vdevs: { [p.name]: { name: p.name, vdev_type: 'root', guid: p.guid, state: 'ONLINE', read_errors: '0', write_errors: '0', checksum_errors: '0', vdevs: { [leaf.name]: leaf } } } }
}

if (tool === 'zpool') {
  const sub = args[0]
  if (sub === 'list') {
    for (const p of imported()) out(`${p.name}\t${p.guid}\tONLINE\t1000000\t1000\t999000\t${p.readonly ? 'on' : 'off'}\t${p.altroot ?? '-'}\n`)
  } else if (sub === 'import') {
    const p = world.pools.find((x) => x.guid === last && !x.imported)
    if (!p) fail(`cannot import '${last}': no such pool available`)
    Object.assign(p, { imported: true, readonly: args.includes('readonly=on'), altroot: args.includes('-R') ? args[args.indexOf('-R') + 1] : null })
    save()
  } else if (sub === 'export') {
    const p = byName(last)
    if (!p) fail(`cannot open '${last}': no such pool`)
    p.imported = false
    for (const ds of Object.values(p.datasets)) Object.assign(ds, { mounted: false, keystatus: ds.encryption === 'off' ? '-' : 'unavailable' })
    save()
  } else if (sub === 'status') {
    const pools = args.length > 1 && !last.startsWith('-') ? [byName(last)] : imported()
    if (pools[0] === undefined) fail(`cannot open '${last}': no such pool`)
    out(JSON.stringify({ output_version: { command: 'zpool status', vers_major: 0, vers_minor: 1 }, pools: Object.fromEntries(pools.map((p) => [p.name, zpoolStatus(p)])) }))
  } else if (sub === 'get') {
    const p = byName(last)
    out(`${p.name}\tfailmode\t${p.failmode ?? 'wait'}\tdefault\n`)
  } else if (sub === 'set') {
    byName(last).failmode = args[1].split('=')[1]
    save()
  } else if (sub === 'scrub') {
    if (!byName(last)) fail(`cannot open '${last}': no such pool`)
  } else if (sub === 'version') out('zfs-2.3.3-1\nzfs-kmod-2.3.3-1\n')
} else if (tool === 'zfs') {
  const sub = args[0]
  if (sub === 'version') out('zfs-2.3.3-1\nzfs-kmod-2.3.3-1\n')
  else if (sub === 'list' && args.some((a) => a.startsWith('snapshot'))) {
    // One listing of several datasets (-d 1 A B …), as the planner asks; bookmarks only when asked for.
    const names = args.includes('-d') ? args.slice(args.indexOf('-d') + 2) : [last]
    const cols = args[args.indexOf('-o') + 1].split(',')
    const withBookmarks = args[args.indexOf('-t') + 1].split(',').includes('bookmark')
    let missing = false
    for (const name of names) {
      const d = dataset(name)
      if (!d) {
        process.stderr.write(`cannot open '${name}': dataset does not exist\n`)
        missing = true
        continue
      }
      const rows = d.ds.snapshots.map(([snap, guid, txg, creation]) => ({ name: `${name}@${snap}`, guid, createtxg: txg, creation }))
      if (withBookmarks) rows.push(...(d.ds.bookmarks ?? []).map(([bm, guid, txg]) => ({ name: `${name}#${bm}`, guid, createtxg: txg })))
      for (const v of rows) out(cols.map((c) => v[c] ?? '-').join('\t') + '\n')
    }
    if (missing) process.exit(1)
  } else if (sub === 'list') {
    if (!dataset(last)) fail(`cannot open '${last}': dataset does not exist`)
    out(last + '\n')
  } else if (sub === 'get') {
    // zfs get -Hp -o name,property,value,source PROPS NAME…: datasets and snapshots; a missing one is
    // said on stderr (exit 1) while the others are printed, as zfs does.
    let missing = false
    for (const name of args.slice(5)) {
      const [dsName, snapName] = name.split('@')
      const d = dataset(dsName)
      const snap = snapName === undefined ? null : d?.ds.snapshots.find((x) => x[0] === snapName)
      if (!d || snap === undefined) {
        process.stderr.write(`cannot open '${name}': dataset does not exist\n`)
        missing = true
        continue
      }
      const mp = d.ds.mountpoint ?? `/mnt/${d.p.name}/${d.rel}`
      const v = {
        encryption: d.ds.encryption, keystatus: d.ds.encryption === 'off' ? '-' : d.ds.keystatus, keylocation: d.ds.encryption === 'off' ? 'none' : 'prompt',
        encryptionroot: d.ds.encryption === 'off' ? '-' : dsName, readonly: 'on', snapdir: 'visible', mountpoint: (d.p.altroot ?? '') + mp, canmount: 'on',
        mounted: d.ds.mounted ? 'yes' : 'no', receive_resume_token: '-', snapshots_changed: '-',
        ...(snap ? { guid: snap[1], createtxg: snap[2], creation: snap[3] } : {}),
      }
      for (const prop of args[4].split(',')) out(`${name}\t${prop}\t${v[prop] ?? '-'}\t-\n`)
    }
    if (missing) process.exit(1)
  } else if (sub === 'send') out('full\t' + last + '\t1000\nsize\t1000\n')
  else if (sub === 'destroy') {
    if (last.includes('#')) {
      const [ds, bm] = last.split('#')
      const d = dataset(ds)
      if (d) d.ds.bookmarks = (d.ds.bookmarks ?? []).filter((b) => b[0] !== bm)
    } else {
      // ds@a,b,c destroys a batch.
      const [ds, snaps] = last.split('@')
      const gone = snaps.split(',')
      const d = dataset(ds)
      if (d) d.ds.snapshots = d.ds.snapshots.filter((s) => !gone.includes(s[0]))
    }
    save()
  } else if (sub === 'bookmark') {
    const [snapFull, bmFull] = args.slice(-2)
    const [ds, snapName] = snapFull.split('@')
    const d = dataset(ds)
    const snap = d?.ds.snapshots.find((x) => x[0] === snapName)
    if (!snap) fail(`cannot open '${snapFull}': dataset does not exist`)
    d.ds.bookmarks = [...(d.ds.bookmarks ?? []), [bmFull.split('#')[1], snap[1], snap[2]]]
    save()
  } else if (sub === 'mount') {
    const d = dataset(last)
    d.ds.mounted = true
    d.ds.mountOptions = args.includes('-o') ? args[args.indexOf('-o') + 1] : ''
    save()
  } else if (sub === 'load-key') {
    const d = dataset(last)
    const pass = readFileSync(0, 'utf8').replace(/\n$/, '')
    if (args.includes('-n')) {
      if (pass !== world.passphrase) fail('Key load error: Incorrect key provided for ' + last)
    } else {
      if (pass !== world.passphrase) fail('Key load error: Incorrect key provided for ' + last)
      d.ds.keystatus = 'available'
      save()
    }
  } else if (sub === 'unload-key') {
    dataset(last).ds.keystatus = 'unavailable'
    save()
  } else if (sub === 'unmount') {
    dataset(last).ds.mounted = false
    save()
  }
} else if (tool === 'syncoid') {
  if (args.includes('--version')) out('/usr/sbin/syncoid version 2.2.0\n(Getopt::Long::GetOptions version 2.52; Perl version 5.36.0)\n')
  else {
    // Receives every source snapshot into the target (creating it), as a full replication would.
    const [src, tgt] = args.slice(-2)
    const s = dataset(src)
    const [pool, ...rest] = tgt.split('/')
    const p = byName(pool)
    if (!p) fail(`CRITICAL ERROR: target ${tgt} does not exist`)
    p.datasets[rest.join('/')] = { ...s.ds, snapshots: s.ds.snapshots.map((x) => [...x]), bookmarks: [], keystatus: 'unavailable', mounted: false }
    save()
  }
} else if (tool === 'pv' && args.includes('--version')) out('pv 1.8.5\n')
