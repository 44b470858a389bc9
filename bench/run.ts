// `npm run bench`: boots the test VM and runs the benchmarks inside it (not part of npm test).
import { execa } from 'execa'
import { bootTestVm, guestEnv, GUEST_PROJECT } from '../test/vm/run-tests'

await execa('npx', ['electron-vite', 'build'], { stdio: ['ignore', 'ignore', 'inherit'] })
const { vm, runDir } = await bootTestVm()
const r = await vm.run(`cd ${GUEST_PROJECT} && env ${guestEnv(vm, runDir)} BENCH_ONLY='${process.env.BENCH_ONLY ?? ''}' node node_modules/tsx/dist/cli.mjs bench/backup.bench.ts`)
console.error(`[bench] results: ${runDir}/share/out/bench/results.json`)
await vm.stop()
process.exit(r.exitCode ?? 1)
