// `npm run vm`: boot the test VM and open a root shell in it (or run the given command), for debugging.
import { bootTestVm, guestEnv, GUEST_PROJECT } from './run-tests'

const { vm, runDir } = await bootTestVm()
const command = process.argv.slice(2).join(' ')
console.error(`[vm] project at ${GUEST_PROJECT}, shared folder ${runDir}/share at /mnt/host; ssh ${vm.sshArgs().join(' ')}`)
const result = await vm.run(command ? `cd ${GUEST_PROJECT} && env ${guestEnv(vm, runDir)} bash -c '${command.replace(/'/g, `'\\''`)}'` : `cd ${GUEST_PROJECT} && exec env ${guestEnv(vm, runDir)} bash -l`, { tty: !command && process.stdin.isTTY })
await vm.stop()
process.exit(result.exitCode ?? 1)
