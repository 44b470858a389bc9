// setpriv (util-linux, in every Debian and NixOS system): runs a command with PR_SET_PDEATHSIG set, so the
// kernel kills it when the process that started it dies, even by SIGKILL, where no cleanup code can run.
// A transfer must never outlive its run: the next run would meet a `zfs receive` still writing.
// The signal follows the thread that forked the child; Node forks from its main thread, which lives as
// long as the process.

export function dieWithParentArgv(argv: readonly string[]): string[] {
  if (argv.length === 0) throw new Error('empty command')
  return ['setpriv', '--pdeathsig', 'KILL', '--', ...argv]
}

/** The command a dieWithParentArgv wraps, for matching recorded commands. */
export function unwrapDieWithParent(argv: readonly string[]): readonly string[] {
  return argv[0] === 'setpriv' && argv[1] === '--pdeathsig' && argv[3] === '--' ? argv.slice(4) : argv
}
