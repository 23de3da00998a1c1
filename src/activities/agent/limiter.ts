/** Turn-taking for the agent's kernel batches (see kernelConcurrency in activities.ts). */
/** A FIFO of turns: at most `size` functions run at once; waiters call `waiting` every `waitingEveryMs` (a heartbeat). */
export function createLimiter(size: number, waitingEveryMs = 5_000) {
  let running = 0;
  const queue: Array<() => void> = [];
  return {
    async run<R>(fn: () => Promise<R>, waiting: () => void): Promise<R> {
      if (running >= size) {
        const ticket = new Promise<void>((resolve) => queue.push(resolve));
        const timer = setInterval(() => {
          try {
            waiting();
          } catch {
            // cancelled: the turn is still taken and given back below, the call then fails
          }
        }, waitingEveryMs);
        try {
          await ticket;
        } finally {
          clearInterval(timer);
        }
      } else running++;
      try {
        return await fn();
      } finally {
        const next = queue.shift();
        if (next) next();
        else running--;
      }
    },
  };
}
