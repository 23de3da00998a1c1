import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

// Certificates for one test API server, made with the openssl CLI (Node can make keys but not
// certificates). ECDSA P-256 keeps generation fast on a busy machine; Go's TLS stack and the
// service-account token signer both accept it. Valid two days: tests are short, and a leaked
// test CA should not be useful for long.

/** File paths of everything {@link makeTestPki} writes. */
export interface TestPki {
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  adminCert: string;
  adminKey: string;
  serviceAccountKey: string;
  serviceAccountPub: string;
}

/** A client certificate for an identity other than the admin (e.g. the controller's service account). */
export interface ClientCert {
  cert: string;
  key: string;
}

async function openssl(args: string[]): Promise<void> {
  await run('openssl', args, { timeout: 30_000 });
}

async function newKey(path: string): Promise<void> {
  await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', path]);
}

/** Signs a leaf certificate for `subject` with the test CA; `extensions` go into an extfile. */
async function signLeaf(dir: string, pki: Pick<TestPki, 'caCert' | 'caKey'>, name: string, subject: string, extensions: string[]): Promise<ClientCert> {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const cert = join(dir, `${name}.crt`);
  const ext = join(dir, `${name}.ext`);
  await newKey(key);
  await openssl(['req', '-new', '-key', key, '-out', csr, '-subj', subject]);
  await writeFile(ext, ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment', ...extensions, ''].join('\n'));
  // A random serial per certificate: repeated runs must never hand out a duplicate serial.
  const serial = `0x${randomBytes(16).toString('hex')}`;
  await openssl(['x509', '-req', '-in', csr, '-CA', pki.caCert, '-CAkey', pki.caKey, '-set_serial', serial, '-days', '2', '-sha256', '-extfile', ext, '-out', cert]);
  return { cert, key };
}

/**
 * Writes a CA, a serving certificate for 127.0.0.1/localhost (and the in-cluster service
 * names, which the API server puts in its own discovery), an admin client certificate in
 * group system:masters, and a service-account signing key pair into `dir`.
 */
export async function makeTestPki(dir: string): Promise<TestPki> {
  const caKey = join(dir, 'ca.key');
  const caCert = join(dir, 'ca.crt');
  await newKey(caKey);
  await openssl([
    'req', '-x509', '-new', '-key', caKey, '-out', caCert, '-days', '2', '-sha256', '-subj', '/CN=merak-test-ca',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
  ]);
  const ca = { caCert, caKey };
  const server = await signLeaf(dir, ca, 'apiserver', '/CN=kube-apiserver', [
    'extendedKeyUsage=serverAuth',
    'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,IP:10.96.0.1',
  ]);
  const admin = await signLeaf(dir, ca, 'admin', '/O=system:masters/CN=merak-test-admin', ['extendedKeyUsage=clientAuth']);
  const serviceAccountKey = join(dir, 'sa.key');
  const serviceAccountPub = join(dir, 'sa.pub');
  await newKey(serviceAccountKey);
  await openssl(['pkey', '-in', serviceAccountKey, '-pubout', '-out', serviceAccountPub]);
  return {
    caCert,
    caKey,
    serverCert: server.cert,
    serverKey: server.key,
    adminCert: admin.cert,
    adminKey: admin.key,
    serviceAccountKey,
    serviceAccountPub,
  };
}

/**
 * A client certificate for `user` in `groups`. The API server takes the certificate's CN as
 * the user name and its O fields as groups, so a certificate for
 * `system:serviceaccount:<ns>:<name>` is authorised exactly like that service account's token:
 * tests use it to prove the RBAC in deploy/ is enough, and no more than enough.
 */
export async function makeClientCert(dir: string, pki: TestPki, name: string, user: string, groups: string[]): Promise<ClientCert> {
  const subject = `${groups.map((g) => `/O=${g}`).join('')}/CN=${user}`;
  return signLeaf(dir, pki, name, subject, ['extendedKeyUsage=clientAuth']);
}
