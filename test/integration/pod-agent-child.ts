// A Merak agent as a Kubernetes pod runs it, for k8s-pods.test.ts: started with
// `unshare --mount --propagation private -- nsenter --net=<pod namespace> -- node ... this file ARGS`,
// it gives the pod a /run/netns of its own (a pod's mount namespace: its VM namespaces are
// invisible to every other pod and to the host, as on a cluster), then runs `merak ARGS`.
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m,mode=0755', 'merak-test-pod-netns', '/run/netns']);
process.argv = [process.argv[0]!, path.join(__dirname, '..', '..', 'src', 'cli', 'main.ts'), ...process.argv.slice(2)];
// eslint-disable-next-line @typescript-eslint/no-require-imports
require('../../src/cli/main');
