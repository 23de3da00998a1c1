import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request, type RequestOptions } from 'node:https';
import type { TestApiServer } from './apiserver';

/**
 * TEST DOUBLE — a stand-in for Mizar's operator, which cannot run here (it loads XDP programs
 * and needs Mizar's daemon on every host). It plays the operator's part on the real API server
 * the way the Kubernetes tests play the kubelet's, following the operator's published behaviour
 * (CentaurusInfra/mizar @ 73965a6, `mizar/dp/mizar/workflows/*` and `mizar/obj/*.py`):
 *
 * - it acts only on resources whose `spec.status` is `Init` and writes `Provisioned`
 *   (`LAMBDAS.*_status_init`, `set_*_provisioned`);
 * - Droplet: provisioned as is (DropletCreate);
 * - Vpc: waits while no droplet is provisioned (VpcCreate raises a temporary error and kopf
 *   retries), then overwrites `spec.vni` with a random 24-bit number (VpcOperator.allocate_vni)
 *   — every time it provisions, so a VPC set back to Init gets a new VNI;
 * - Subnet: waits for droplets and for its VPC to be provisioned (NetCreate), copies the VPC's VNI;
 * - Endpoint (type simple): waits for its droplet and subnet (EndpointCreate), keeps a given
 *   `ip` or allocates a free address of the subnet other than its network and gateway addresses
 *   (NetOperator.allocate_endpoint, Cidr.allocate_ip), writes `gw` (the subnet's first address),
 *   `prefix` (the subnet's), `vni` (the subnet's); the MAC stays the one the daemon registered;
 * - deletion: like kopf, it holds every resource it provisioned with the finalizer
 *   `kopf.zalando.org/KopfFinalizerMarker`, and lets a VPC go only when no subnet names it
 *   (VpcDelete) and a subnet only when no endpoint is in it (NetDelete).
 *
 * Not played (nothing here can run them): dividers, bouncers and the XDP programming of hosts.
 * It watches the four resources (list + watch over HTTPS with the test's admin certificate) and
 * reconciles after every event, and every `retryMs` while something waits, as kopf retries.
 */

export const KOPF_FINALIZER = 'kopf.zalando.org/KopfFinalizerMarker';
const PLURALS = ['droplets', 'vpcs', 'subnets', 'endpoints'] as const;
type Plural = (typeof PLURALS)[number];

interface Resource {
  apiVersion: string;
  kind: string;
  metadata: { name: string; resourceVersion?: string; deletionTimestamp?: string; finalizers?: string[] };
  spec?: Record<string, unknown>;
}

export interface MizarOperatorDouble {
  /** Everything the double did, one line per action, e.g. `Vpc blue: Provisioned, vni 123`. */
  readonly actions: string[];
  /** VNIs it allocated, by VPC name (the last one when a VPC was provisioned again). */
  readonly vnis: Map<string, number>;
  /** Stops watching; waits for a reconcile in progress. */
  stop(): Promise<void>;
}

function ipToInt(ip: string): number {
  return ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);
}
function intToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
}

/** Starts the double on namespace `namespace` of `api`. */
export function startMizarOperatorDouble(api: TestApiServer, namespace: string, options: { retryMs?: number } = {}): MizarOperatorDouble {
  const retryMs = options.retryMs ?? 200;
  const tls = { ca: readFileSync(api.pki.caCert), cert: readFileSync(api.pki.adminCert), key: readFileSync(api.pki.adminKey) };
  const base = `${api.url}/apis/mizar.com/v1/namespaces/${namespace}`;
  const actions: string[] = [];
  const vnis = new Map<string, number>();
  let stopped = false;
  const watches = new Set<ReturnType<typeof request>>();

  const call = (method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> =>
    new Promise((resolve, reject) => {
      const opts: RequestOptions = { ...tls, method, agent: false, timeout: 10_000, headers: body === undefined ? {} : { 'content-type': 'application/json' } };
      const req = request(`${base}/${path}`, opts, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          let json: unknown = text;
          try {
            json = JSON.parse(text);
          } catch {
            /* not JSON: keep the text */
          }
          resolve({ status: res.statusCode ?? 0, json });
        });
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
      req.on('error', reject);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });

  const list = async (plural: Plural): Promise<{ items: Resource[]; rv: string }> => {
    const r = await call('GET', plural);
    if (r.status !== 200) throw new Error(`operator double: list ${plural}: HTTP ${r.status} ${JSON.stringify(r.json).slice(0, 300)}`);
    const l = r.json as { items: Resource[]; metadata: { resourceVersion: string } };
    return { items: l.items, rv: l.metadata.resourceVersion };
  };

  /** PUT; a 409 (someone wrote meanwhile) or 404 (gone) is left to the next pass. */
  const put = async (plural: Plural, r: Resource, what: string): Promise<void> => {
    const res = await call('PUT', `${plural}/${r.metadata.name}`, r);
    if (res.status === 200 || res.status === 201) actions.push(`${r.kind} ${r.metadata.name}: ${what}`);
    else if (res.status !== 409 && res.status !== 404) throw new Error(`operator double: PUT ${plural}/${r.metadata.name}: HTTP ${res.status} ${JSON.stringify(res.json).slice(0, 300)}`);
  };

  const withFinalizer = (r: Resource): Resource['metadata'] => ({ ...r.metadata, finalizers: [...new Set([...(r.metadata.finalizers ?? []), KOPF_FINALIZER])] });
  const status = (r: Resource) => r.spec?.status;

  /** One pass over everything; returns true when something still waits (retry later). */
  const reconcile = async (): Promise<boolean> => {
    const all = Object.fromEntries(await Promise.all(PLURALS.map(async (p) => [p, (await list(p)).items] as const))) as Record<Plural, Resource[]>;
    let waiting = false;
    const live = (p: Plural) => all[p].filter((r) => !r.metadata.deletionTimestamp);
    const droplets = live('droplets').filter((d) => status(d) === 'Provisioned');

    // Deletions first, as kopf's delete handlers run on deletionTimestamp.
    for (const plural of PLURALS) {
      for (const r of all[plural].filter((x) => x.metadata.deletionTimestamp && x.metadata.finalizers?.includes(KOPF_FINALIZER))) {
        const blockers =
          plural === 'vpcs' ? all.subnets.filter((s) => s.spec?.vpc === r.metadata.name) : plural === 'subnets' ? all.endpoints.filter((e) => e.spec?.net === r.metadata.name) : [];
        if (blockers.length > 0) {
          waiting = true;
          continue;
        }
        await put(plural, { ...r, metadata: { ...r.metadata, finalizers: r.metadata.finalizers!.filter((f) => f !== KOPF_FINALIZER) } }, 'deleted (finalizer removed)');
      }
    }

    for (const d of live('droplets').filter((x) => status(x) === 'Init')) {
      await put('droplets', { ...d, metadata: withFinalizer(d), spec: { ...d.spec, status: 'Provisioned' } }, 'Provisioned');
    }
    for (const v of live('vpcs').filter((x) => status(x) === 'Init')) {
      if (droplets.length === 0) {
        waiting = true;
        continue;
      }
      const vni = randomInt(1, 1 << 24);
      vnis.set(v.metadata.name, vni);
      await put('vpcs', { ...v, metadata: withFinalizer(v), spec: { ...v.spec, vni: String(vni), status: 'Provisioned' } }, `Provisioned, vni ${vni}`);
    }
    const vpcs = await list('vpcs');
    for (const s of live('subnets').filter((x) => status(x) === 'Init')) {
      const vpc = vpcs.items.find((v) => v.metadata.name === s.spec?.vpc && status(v) === 'Provisioned' && !v.metadata.deletionTimestamp);
      if (droplets.length === 0 || vpc === undefined) {
        waiting = true;
        continue;
      }
      await put('subnets', { ...s, metadata: withFinalizer(s), spec: { ...s.spec, vni: String(vpc.spec?.vni), status: 'Provisioned' } }, `Provisioned, vni ${String(vpc.spec?.vni)}`);
    }
    const subnets = await list('subnets');
    const taken = new Map<string, Set<number>>();
    for (const e of all.endpoints) {
      if (typeof e.spec?.ip === 'string' && e.spec.ip !== '') {
        const set = taken.get(String(e.spec.net)) ?? new Set<number>();
        set.add(ipToInt(e.spec.ip));
        taken.set(String(e.spec.net), set);
      }
    }
    for (const e of live('endpoints').filter((x) => status(x) === 'Init')) {
      const net = subnets.items.find((s) => s.metadata.name === e.spec?.net && status(s) === 'Provisioned' && !s.metadata.deletionTimestamp);
      const droplet = droplets.find((d) => d.metadata.name === e.spec?.droplet);
      if (net === undefined || droplet === undefined) {
        waiting = true;
        continue;
      }
      const network = ipToInt(String(net.spec?.ip));
      const prefix = Number(net.spec?.prefix);
      const size = 2 ** (32 - prefix);
      const gw = network + 1;
      let ip = typeof e.spec?.ip === 'string' && e.spec.ip !== '' ? e.spec.ip : '';
      if (ip === '') {
        const used = taken.get(net.metadata.name) ?? new Set<number>();
        for (let a = network + 2; a < network + size - 1; a++) {
          if (!used.has(a)) {
            ip = intToIp(a);
            used.add(a);
            taken.set(net.metadata.name, used);
            break;
          }
        }
        if (ip === '') {
          waiting = true;
          actions.push(`Endpoint ${e.metadata.name}: no free address in ${net.metadata.name}`);
          continue;
        }
      }
      const spec = { ...e.spec, ip, gw: intToIp(gw), prefix: String(prefix), vni: String(net.spec?.vni), hostip: droplet.spec?.ip, hostmac: droplet.spec?.mac, status: 'Provisioned' };
      await put('endpoints', { ...e, metadata: withFinalizer(e), spec }, `Provisioned, ip ${ip}/${prefix} gw ${intToIp(gw)} vni ${String(net.spec?.vni)}`);
    }
    return waiting;
  };

  // Reconciles run one at a time; a request during a run asks for one more run after it.
  let running: Promise<void> = Promise.resolve();
  let again = false;
  let busy = false;
  let retryTimer: NodeJS.Timeout | undefined;
  const kick = (): void => {
    if (stopped) return;
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    running = (async () => {
      do {
        again = false;
        let waiting = false;
        try {
          waiting = await reconcile();
        } catch (err) {
          actions.push(`error: ${(err as Error).message}`);
          waiting = true;
        }
        if (waiting && !stopped) {
          clearTimeout(retryTimer);
          retryTimer = setTimeout(kick, retryMs);
        }
      } while (again && !stopped);
      busy = false;
    })();
  };

  const watch = (plural: Plural, rv: string): void => {
    if (stopped) return;
    const req = request(`${base}/${plural}?watch=1&allowWatchBookmarks=false&resourceVersion=${rv}`, { ...tls, agent: false }, (res) => {
      let partial = '';
      let last = rv;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        partial += chunk;
        const lines = partial.split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) {
          if (line.trim() === '') continue;
          try {
            const ev = JSON.parse(line) as { type: string; object: { metadata?: { resourceVersion?: string } } };
            if (ev.type === 'ERROR') last = '';
            else last = ev.object.metadata?.resourceVersion ?? last;
          } catch {
            /* a broken line: the next list catches up */
          }
          kick();
        }
      });
      res.on('end', () => {
        watches.delete(req);
        if (!stopped) setTimeout(() => void restart(plural, last), 100);
      });
    });
    req.on('error', () => {
      watches.delete(req);
      if (!stopped) setTimeout(() => void restart(plural, ''), 200);
    });
    watches.add(req);
    req.end();
  };
  const restart = async (plural: Plural, rv: string): Promise<void> => {
    if (stopped) return;
    try {
      watch(plural, rv !== '' ? rv : (await list(plural)).rv);
    } catch {
      setTimeout(() => void restart(plural, ''), 200);
    }
    kick();
  };
  for (const p of PLURALS) void restart(p, '');

  return {
    actions,
    vnis,
    async stop() {
      stopped = true;
      clearTimeout(retryTimer);
      for (const w of watches) w.destroy();
      watches.clear();
      await running;
    },
  };
}
