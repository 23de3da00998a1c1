/**
 * The `none` dataplane: no namespace, no device, nothing in the kernel. The agent only keeps
 * counts, so a provider's control plane can be driven with millions of emulated VMs.
 */
import type { EndpointPlugin } from './types';

export function createNonePlugin(): EndpointPlugin {
  const nothing = async (): Promise<void> => undefined;
  return {
    name: 'none',
    kernel: false,
    createsInterface: false,
    version: async () => ({ name: 'none', protocol: '1', builtin: true }),
    vmAdd: nothing,
    vmUpdate: nothing,
    vmDel: nothing,
    epAdd: nothing,
    epUpdate: nothing,
    epDel: nothing,
  };
}
