// `npm run bench`: boots the test VM and runs the benchmarks inside it (not part of npm test).
import { execa } from 'execa'
import { bootTestVm, guestEnv, GUEST_PROJECT } from '../test/vm/run-tests'

await execa('npx', ['electron-vite', 'build'], { stdio: ['ignore', 'ignore', 'inherit'] })
const { vm, runDir } = await bootTestVm()
// BENCH_ONLY=a,b,c,e picks parts; BENCH_REPS, BENCH_SNAPSHOTS and BENCH_BIG_MB scale them (digits only).
const knobs = ['BENCH_ONLY', 'BENCH_REPS', 'BENCH_SNAPSHOTS', 'BENCH_BIG_MB'].map((k) => `${k}='${(process.env[k] ?? '').replace(/[^a-z0-9,]/g, '')}'`).join(' ')
const r = await vm.run(`cd ${GUEST_PROJECT} && env ${guestEnv(vm, runDir)} ${knobs} node node_modules/tsx/dist/cli.mjs bench/backup.bench.ts`)
console.error(`[bench] results: ${runDir}/share/out/bench/results.json`)
await vm.stop()
process.exit(r.exitCode ?? 1)
