// `npm run bench`: boots the test VM and runs the benchmarks inside it (not part of npm test).
import { cpSync, existsSync, mkdirSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { execa } from 'execa'
import { cacheDir } from '../test/vm/host/paths'
import { bootTestVm, guestEnv, GUEST_PROJECT } from '../test/vm/run-tests'

// Fixtures that take many minutes to build under emulation (2,000 snapshots on each side) are kept here
// between runs; the guest sees them in the shared folder's bench-cache/.
const fixtures = join(cacheDir, 'bench')

await execa('npx', ['electron-vite', 'build'], { stdio: ['ignore', 'ignore', 'inherit'] })
const { vm, runDir } = await bootTestVm()
const shared = join(runDir, 'share/bench-cache')
mkdirSync(shared, { recursive: true })
const copy = (from: string, to: string) => execa('cp', ['--sparse=always', from, to])
for (const f of existsSync(fixtures) ? readdirSync(fixtures) : []) await copy(join(fixtures, f), join(shared, f))
// BENCH_ONLY=a,b,c,e picks parts; BENCH_REPS, BENCH_SNAPSHOTS and BENCH_BIG_MB scale them (digits only).
const knobs = ['BENCH_ONLY', 'BENCH_REPS', 'BENCH_SNAPSHOTS', 'BENCH_BIG_MB'].map((k) => `${k}='${(process.env[k] ?? '').replace(/[^a-z0-9,]/g, '')}'`).join(' ')
const r = await vm.run(`cd ${GUEST_PROJECT} && env ${guestEnv(vm, runDir)} ${knobs} node node_modules/tsx/dist/cli.mjs bench/backup.bench.ts`)
console.error(`[bench] results: ${runDir}/share/out/bench/results.json`)
await vm.stop()
mkdirSync(fixtures, { recursive: true })
// A fixture is complete once the guest wrote its .json (last); its images are copied before it.
for (const meta of readdirSync(shared).filter((f) => f.endsWith('.json') && !existsSync(join(fixtures, f)))) {
  const tag = meta.slice(0, -'.json'.length)
  for (const f of readdirSync(shared).filter((x) => x.startsWith(`${tag}-`))) await copy(join(shared, f), join(fixtures, f))
  await copy(join(shared, meta), join(fixtures, meta))
}
cpSync(join(runDir, 'share/out/bench'), join(process.cwd(), 'test-results/vm/bench'), { recursive: true })
process.exit(r.exitCode ?? 1)
