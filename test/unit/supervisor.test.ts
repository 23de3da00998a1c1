import { Supervisor, type Watched } from '../../src/dataplane/supervisor';

function fake(key: string, state: { alive: boolean; wanted: boolean; failStarts: number; starts: number }): Watched {
  return {
    key,
    describe: `daemon ${key}`,
    alive: async () => state.alive,
    wanted: async () => state.wanted,
    restart: async () => {
      state.starts++;
      if (state.failStarts > 0) {
        state.failStarts--;
        throw new Error('no binary');
      }
      state.alive = true;
    },
  };
}

describe('Supervisor', () => {
  test('restarts a daemon that is gone and still wanted, once, and logs it', async () => {
    const lines: string[] = [];
    const s = new Supervisor({ intervalMs: 60_000, log: (l) => lines.push(l) });
    const st = { alive: true, wanted: true, failStarts: 0, starts: 0 };
    s.watch(fake('a', st));
    await s.check();
    expect(st.starts).toBe(0);
    st.alive = false;
    await s.check();
    await s.check();
    expect(st.starts).toBe(1);
    expect(s.events.map((e) => e.outcome)).toEqual(['restarted']);
    expect(lines).toEqual(['supervisor: daemon a: restarted (it had exited)']);
    s.stop();
  });

  test('drops a daemon whose owner removed it instead of restarting it', async () => {
    const s = new Supervisor({ intervalMs: 60_000, log: () => undefined });
    const st = { alive: false, wanted: false, failStarts: 0, starts: 0 };
    s.watch(fake('b', st));
    await s.check();
    expect(st.starts).toBe(0);
    expect(s.keys()).toEqual([]);
    expect(s.events.map((e) => e.outcome)).toEqual(['dropped']);
  });

  test('a failing restart backs off (1 s, 2 s, ...), then succeeds', async () => {
    let now = 0;
    const s = new Supervisor({ intervalMs: 60_000, log: () => undefined, clock: () => now });
    const st = { alive: false, wanted: true, failStarts: 2, starts: 0 };
    s.watch(fake('c', st));
    await s.check(); // fails, next try after 1 s
    await s.check();
    expect(st.starts).toBe(1);
    now = 1000;
    await s.check(); // fails again, next after 2 s
    now = 2500;
    await s.check();
    expect(st.starts).toBe(2);
    now = 3000;
    await s.check();
    expect(st.starts).toBe(3);
    expect(st.alive).toBe(true);
    expect(s.events.map((e) => e.outcome)).toEqual(['restart-failed', 'restart-failed', 'restarted']);
    expect(s.events[1]!.detail).toMatch(/next try in 2000 ms/);
    s.stop();
  });

  test('unwatch stops the checks of the daemons it names', async () => {
    const s = new Supervisor({ intervalMs: 60_000, log: () => undefined });
    const st = { alive: false, wanted: true, failStarts: 0, starts: 0 };
    s.watch(fake('/run/merak/ovn/x/a.pid', st));
    s.unwatch((k) => k.startsWith('/run/merak/ovn/x/'));
    await s.check();
    expect(st.starts).toBe(0);
  });
});
