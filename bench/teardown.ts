/**
 * What every bench does around its run: undo steps registered as it goes (in reverse), run them on
 * Ctrl-C, SIGTERM or an overall time limit too, and survive its output being piped into `head`.
 */
export function benchTeardown(name: string, limitMs?: number) {
  const steps: (() => unknown)[] = [];
  const cleanup = async () => {
    // A step may be synchronous, and may throw rather than reject: either way the others still run.
    while (steps.length) {
      try {
        await steps.pop()!();
      } catch (err) {
        console.error('cleanup:', (err as Error).message);
      }
    }
  };
  process.stdout.on('error', () => {});
  process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));
  process.once('SIGTERM', () => void cleanup().then(() => process.exit(143)));
  // Whatever happens, the bench ends.
  const guard =
    limitMs === undefined
      ? undefined
      : setTimeout(() => {
          console.error(`${name}: overall time limit reached, stopping`);
          void cleanup().then(() => process.exit(2));
        }, limitMs).unref();
  /** The run is over: the time limit no longer applies. */
  const finished = () => clearTimeout(guard);
  return { cleanups: steps, cleanup, finished };
}
