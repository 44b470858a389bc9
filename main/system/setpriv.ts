// setpriv (util-linux, in every Debian and NixOS system): runs a command with PR_SET_PDEATHSIG set, so the
// kernel kills it when the process that started it dies, even by SIGKILL, where no cleanup code can run.
// A transfer must never outlive its run: the next run would meet a `zfs receive` still writing.
// The signal follows the thread that forked the child; Node forks from its main thread, which lives as
// long as the process.

export function dieWithParentArgv(argv: readonly string[]): string[] {
  if (argv.length === 0) throw new Error('empty command')
  return ['setpriv', '--pdeathsig', 'KILL', '--', ...argv]
}

/**
 * For a command that starts its own children (syncoid runs `zfs send | pv | zfs receive` through a shell):
 * it runs as the first process of a new PID namespace (util-linux unshare), and unshare, which dies with
 * this process, takes it along (--kill-child). When a namespace's first process dies the kernel kills
 * every process in it, so nothing of the command outlives the run, however it ends. Root only.
 */
export function dieWithParentTreeArgv(argv: readonly string[]): string[] {
  if (argv.length === 0) throw new Error('empty command')
  return dieWithParentArgv(['unshare', '--pid', '--fork', '--kill-child', '--', ...argv])
}

/** The command a dieWithParentArgv or dieWithParentTreeArgv wraps, for matching recorded commands. */
export function unwrapDieWithParent(argv: readonly string[]): readonly string[] {
  const inner = argv[0] === 'setpriv' && argv[1] === '--pdeathsig' && argv[3] === '--' ? argv.slice(4) : argv
  return inner[0] === 'unshare' && inner[1] === '--pid' && inner[4] === '--' ? inner.slice(5) : inner
}
