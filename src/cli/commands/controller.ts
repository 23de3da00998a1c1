import type { Command } from 'commander';
import { checkControllerOptions, parseWatchTimeout } from '../../k8s/views';
import { addTemporalOptions, connectClient, resolveTemporalOptions, type TemporalFlagValues } from '../../temporal/connection';

// `merak controller`: the Kubernetes pod watcher (src/k8s/controller.ts, docs/kubernetes.md).
// The Kubernetes client is loaded only when the command runs: it is a large ESM package and
// every other command would otherwise pay for it at start-up.

interface ControllerFlags extends TemporalFlagValues {
  kubeconfig?: string;
  watchNamespace: string[];
  selector?: string;
  taskQueue: string;
  watchTimeout?: string;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, ...value.split(',').map((v) => v.trim()).filter((v) => v !== '')];
}

/**
 * Namespaces to watch: flags, else MERAK_WATCH_NAMESPACES (comma-separated), else the
 * controller pod's own namespace (POD_NAMESPACE from the downward API).
 */
export function resolveWatchNamespaces(flags: string[], env: Readonly<Record<string, string | undefined>>): string[] {
  if (flags.length > 0) return flags;
  const fromEnv = collect(env.MERAK_WATCH_NAMESPACES ?? '', []);
  if (fromEnv.length > 0) return fromEnv;
  return env.POD_NAMESPACE ? [env.POD_NAMESPACE] : [];
}

export function register(program: Command): void {
  const cmd = program
    .command('controller')
    .description('watch pods annotated meraksim.com/* and drive one scenario workflow per scenario (runs until SIGINT/SIGTERM)')
    .option('--kubeconfig <file>', 'kubeconfig file (default: in-cluster service account, else $KUBECONFIG, else ~/.kube/config)')
    .option('--watch-namespace <ns>', 'namespace to watch; repeat or comma-separate for more (env MERAK_WATCH_NAMESPACES; default: $POD_NAMESPACE)', collect, [])
    .option('-l, --selector <selector>', 'only pods matching this label selector, e.g. app=merak-agent (env MERAK_POD_SELECTOR; default: all pods)')
    .option('--task-queue <name>', 'task queue of the scenario workflows', 'merak-compute')
    .option('--watch-timeout <seconds>', 'seconds the API server keeps one watch open before the controller resumes it from its resourceVersion (1-1800)', '290');
  addTemporalOptions(cmd).action(async (flags: ControllerFlags) => {
    const namespaces = resolveWatchNamespaces(flags.watchNamespace, process.env);
    const selector = flags.selector ?? (process.env.MERAK_POD_SELECTOR || undefined);
    // Bad options are refused before anything connects.
    checkControllerOptions(namespaces, selector);
    const watchTimeoutSeconds = parseWatchTimeout(flags.watchTimeout ?? '290');
    const temporal = resolveTemporalOptions(flags, process.env);
    const { startController } = await import('../../k8s/controller');
    const { client, connection } = await connectClient(temporal);
    const controller = startController({
      namespaces,
      client,
      taskQueue: flags.taskQueue,
      watchTimeoutSeconds,
      ...(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {}),
      ...(selector ? { labelSelector: selector } : {}),
    });
    controller.ready.catch((err: unknown) => process.stderr.write(`merak: controller failed to start: ${String(err)}\n`));
    process.stderr.write(`merak: controller watching namespaces ${namespaces.join(', ')} (Temporal ${temporal.address}, namespace ${temporal.namespace})\n`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    process.stderr.write('merak: controller stopping\n');
    await controller.stop();
    await connection.close();
  });
}
