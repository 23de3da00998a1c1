/**
 * deploy/ renders with kustomize and a real API server accepts every object in a server-side
 * dry run (schema, defaulting, admission, RBAC validation), with the project's kubectl.
 */
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { startApiServer, type TestApiServer } from '../helpers/apiserver';

jest.setTimeout(240_000);

const DEPLOY = join(resolve(__dirname, '..', '..'), 'deploy');
let api: TestApiServer;

beforeAll(async () => {
  api = await startApiServer();
});
afterAll(async () => {
  await api?.stop();
});

interface Obj {
  kind: string;
  metadata: { name: string; namespace?: string };
  spec?: { template?: { spec?: { containers?: { securityContext?: { capabilities?: { add?: string[] }; allowPrivilegeEscalation?: boolean; seccompProfile?: { type: string } }; args?: string[] }[] } } };
  rules?: { resources: string[]; verbs: string[] }[];
}

test('kubectl kustomize deploy/ renders every component', async () => {
  const { stdout } = await api.kubectl(['kustomize', DEPLOY]);
  const objects = parseAllDocuments(stdout).map((d) => d.toJSON() as Obj);
  const names = objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
  expect(names).toEqual(
    [
      'ConfigMap/merak-scenario',
      'ConfigMap/merak-temporal',
      'Deployment/merak-compute',
      'Deployment/merak-controller',
      'Deployment/merak-plugin',
      'Namespace/merak',
      'Role/merak-controller',
      'RoleBinding/merak-controller',
      'Service/merak-agent',
      'Service/merak-plugin',
      'ServiceAccount/merak-controller',
      'StatefulSet/merak-agent',
    ].sort(),
  );
  expect(objects.filter((o) => o.kind !== 'Namespace').every((o) => o.metadata.namespace === 'merak')).toBe(true);
  // Least privilege: read pods and ConfigMaps, create Events, nothing else; no cluster-wide kinds.
  const role = objects.find((o) => o.kind === 'Role');
  expect(role?.rules).toEqual([
    { apiGroups: [''], resources: ['pods', 'configmaps'], verbs: ['get', 'list', 'watch'] },
    { apiGroups: [''], resources: ['events'], verbs: ['create'] },
  ]);
  expect(objects.some((o) => o.kind.startsWith('Cluster'))).toBe(false);
  const agent = objects.find((o) => o.kind === 'StatefulSet')?.spec?.template?.spec?.containers?.[0];
  expect(agent?.securityContext?.capabilities?.add).toEqual(['NET_ADMIN', 'SYS_ADMIN', 'NET_RAW']);
  // What test/integration/image.test.ts runs the image with (and shows to be the minimum).
  expect(agent?.securityContext).toMatchObject({ allowPrivilegeEscalation: false, seccompProfile: { type: 'RuntimeDefault' } });
  expect(agent?.args).toEqual(['worker', 'agent', '--mode', 'pod', '--node', '$(POD_NAME)']);
});

test('kubectl apply --dry-run=server -k deploy/ is accepted by the API server', async () => {
  // Namespaced objects are admitted only into a namespace that exists, and a dry run creates
  // nothing; so the namespace is made first, as a first real apply would have.
  await api.createNamespace('merak');
  const { stdout } = await api.kubectl(['apply', '--dry-run=server', '-k', DEPLOY]);
  const lines = stdout.trim().split('\n');
  expect(lines).toHaveLength(12);
  for (const line of lines) expect(line).toMatch(/ (created|configured|unchanged) \(server dry run\)$/);
  // Nothing was created by the dry run.
  const { stdout: after } = await api.kubectl(['get', 'deployments,statefulsets,roles,configmaps', '-n', 'merak', '-o', 'name']);
  expect(after.split('\n').filter((l) => /merak-(controller|compute|plugin|agent|scenario|temporal)/.test(l))).toEqual([]);
});

test('a server-side dry run refuses a broken manifest (the check can fail)', async () => {
  const broken = JSON.stringify({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x', namespace: 'merak' }, spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'c' } }, spec: { containers: [{ name: 'c', image: 'merak' }] } } } });
  await expect(api.kubectl(['apply', '--dry-run=server', '-f', '-'], { input: broken })).rejects.toMatchObject({ stderr: expect.stringContaining('selector') });
});
