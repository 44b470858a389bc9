// The tray app's side of a privileged run, without Electron: the same PkexecLauncher the coordinator
// uses, starting the real helper (as root already, so without pkexec) on one backup job and printing its
// events. Killing this process is killing the app mid-run. Run: node --import tsx app-launch.ts CONFIG DRIVE
import { PkexecLauncher } from '../../../main/app/privileged'

const [configPath, drive] = process.argv.slice(2)
if (!configPath || !drive) throw new Error('usage: app-launch.ts CONFIG DRIVE')
const launcher = new PkexecLauncher({ command: [process.execPath, 'out/main/helper.js'], cwd: process.cwd() })
const run = launcher.run({ verb: 'backup', configPath, drive }, { onEvent: (e) => void process.stdout.write(`${JSON.stringify(e)}\n`) })
process.stdout.write(`${JSON.stringify({ type: 'launched', command: run.command })}\n`)
void run.done.then((r) => process.exit(r.exitCode ?? 1))
