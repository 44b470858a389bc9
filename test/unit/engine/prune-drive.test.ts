// The prune step on a keep-policy drive, with a runner that answers listings like real zfs.
import { it, expect } from 'vitest'
import { pruneDrive } from '../../../main/engine/prune-drive'
import { configSchema } from '../../../main/config/schema'
it('a dry run shows what the keep policy would prune, counting the snapshots it would send (whose source createtxg says nothing about the drive)', async () => {
  const H = 3600
  const t0 = 1796160000
  const mk = (ds: string, n: string, g: string, txg: number, c: number) => ({ name: `${ds}@${n}`, dataset: ds, snapshot: n, guid: g, createtxg: String(txg), creation: c })
  const srcList = [mk('nrlap/home', 's2', '2', 12, t0 + 3 * H), mk('nrlap/home', 's3', '3', 13, t0 + 4 * H)]
  const tgtList = [mk('nrbk/laptop', 's0', '0', 20, t0 + H), mk('nrbk/laptop', 's1', '1', 21, t0 + 2 * H), mk('nrbk/laptop', 's2', '2', 22, t0 + 3 * H)]
  const runner = { run: async (argv: readonly string[]) => {
    const ds = argv.at(-1)
    const rows = (ds === 'nrlap/home' ? srcList : tgtList).map((s) => [s.name, s.guid, s.createtxg, s.creation].join('\t')).join('\n')
    return { argv, exitCode: 0, stdout: rows + '\n', stderr: '', durationMs: 0 }
  } }
  const infos: string[] = []
  const ctx = { runner, info: (m: string) => infos.push(m), signal: new AbortController().signal, progress() {}, warn() {}, emit() {} }
  const config = configSchema.parse({ version: 1 })
  const drive = { name: 'N1', pool: 'nrbk', poolGuid: '5', disk: '/dev/disk/by-id/x', targets: { 'nrlap/home': 'nrbk/laptop' }, retention: { hourly: 3 } }
  const plan = { source: 'nrlap/home', target: 'nrbk/laptop', targetExists: true, resumeToken: null, common: 's2', newest: 's3', transfers: [{ base: { kind: 'incremental', from: 'nrlap/home@s2', intermediates: true }, to: 'nrlap/home@s3', estimateBytes: 5 }], totalBytes: 5, sourceSnapshots: srcList, targetSnapshots: tgtList, sourceBookmarks: [], sourceProps: null }
  const { targetAfter } = await import('../../../main/engine/plan')
  const after = new Map([['nrbk/laptop', { src: srcList, tgt: targetAfter(plan as never) }]])
  const r = await pruneDrive(ctx as never, config, drive as never, [plan as never], after as never, true)
  expect(infos).toEqual(['nrbk/laptop (keep 3 hourly): would remove @s0; keeping 3'])
  expect(r.removed).toBe(1)
})
