import { existsSync } from 'node:fs';
import { startApiServer, type TestApiServer } from '../helpers/apiserver';

// Proves the test API server is a real one: it stores a pod in etcd, serves the status
// subresource the way a kubelet uses it, enforces RBAC for a non-admin identity, and comes
// back after a restart with its data.

jest.setTimeout(240_000);

let api: TestApiServer;

beforeAll(async () => {
  api = await startApiServer();
});

afterAll(async () => {
  const dir = api?.dir;
  await api?.stop();
  if (dir) expect(existsSync(dir)).toBe(false);
});

interface PodJson {
  metadata: { name: string; resourceVersion: string; annotations?: Record<string, string> };
  status: { phase?: string; podIP?: string };
}

async function getPod(ns: string, name: string): Promise<PodJson> {
  const { stdout } = await api.kubectl(['get', 'pod', name, '-n', ns, '-o', 'json']);
  return JSON.parse(stdout) as PodJson;
}

const podManifest = (ns: string, name: string): string =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, annotations: { 'meraksim.com/num_vms': '3' } },
    spec: { containers: [{ name: 'agent', image: 'merak:test' }] },
  });

test('reports the pinned Kubernetes version', async () => {
  const { stdout } = await api.kubectl(['version', '-o', 'json']);
  const v = JSON.parse(stdout) as { serverVersion: { gitVersion: string; major: string; minor: string } };
  expect(v.serverVersion.gitVersion).toBe('v1.21.14');
});

test('creates a pod and sets its status through the status subresource, as a kubelet would', async () => {
  await api.createNamespace('apiserver-test');
  await api.kubectl(['apply', '-f', '-'], { input: podManifest('apiserver-test', 'agent-0') });
  const created = await getPod('apiserver-test', 'agent-0');
  expect(created.status.phase).toBe('Pending');
  expect(created.metadata.annotations?.['meraksim.com/num_vms']).toBe('3');

  // A plain patch of the pod ignores status; only the subresource changes it.
  const status = { status: { phase: 'Running', podIP: '10.244.0.7', podIPs: [{ ip: '10.244.0.7' }] } };
  await api.kubectl(['patch', 'pod', 'agent-0', '-n', 'apiserver-test', '--type', 'merge', '-p', JSON.stringify(status)]);
  expect((await getPod('apiserver-test', 'agent-0')).status.phase).toBe('Pending');

  const { stdout } = await api.kubectl(['get', '--raw', '/api/v1/namespaces/apiserver-test/pods/agent-0/status']);
  const pod = JSON.parse(stdout) as PodJson & { kind: string };
  await api.kubectl(['replace', '--raw', '/api/v1/namespaces/apiserver-test/pods/agent-0/status', '-f', '-'], {
    input: JSON.stringify({ ...pod, status: { ...pod.status, ...status.status } }),
  });
  const running = await getPod('apiserver-test', 'agent-0');
  expect(running.status).toMatchObject({ phase: 'Running', podIP: '10.244.0.7' });
  expect(Number(running.metadata.resourceVersion)).toBeGreaterThan(Number(created.metadata.resourceVersion));
});

test('enforces RBAC for an identity without a role', async () => {
  const kubeconfig = await api.kubeconfigFor('nobody', 'merak-test-nobody', []);
  await expect(api.kubectl(['get', 'pods', '-n', 'apiserver-test'], { kubeconfig })).rejects.toMatchObject({
    stderr: expect.stringContaining('Forbidden'),
  });
});

test('keeps its data across an API server restart', async () => {
  await api.stopApiServer();
  await expect(api.kubectl(['get', 'pods', '-n', 'apiserver-test', '--request-timeout', '3s'])).rejects.toBeDefined();
  await api.startApiServer();
  expect((await getPod('apiserver-test', 'agent-0')).status.phase).toBe('Running');
});
