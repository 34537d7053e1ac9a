/**
 * ARM's `listClusterUserCredential` on the twin's ARM face: raw HTTPS for the REST shape (`CredentialResults`, an
 * exec-format kubeconfig as AKS writes it for Entra clusters, Azure's 404 for an unknown cluster), and the real
 * `@azure/arm-containerservice` SDK through the autopilot's own reader (`ArmAksEndpoints`), which must find the
 * twin's Kubernetes face and its CA in it.
 */
import { Agent, request } from 'node:https';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { StaticTokenCredential } from '../../local/fakeCredential.js';
import { ensureLocalCertificate } from '../../local/tls.js';
import { startArmFace, type ArmFace } from '../../local/twin/arm/armFace.js';
import { ArmTwin } from '../../local/twin/arm/armTwin.js';
import { startKubernetesFace, type KubernetesFace } from '../../local/twin/kubernetes/kubernetesFace.js';
import { FleetWorld } from '../../local/twin/world.js';
import { ArmAksEndpoints } from '../../shared/adapters/kubernetes/aksCredentials.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const SUB = '00000000-0000-0000-0000-00000000f1ee';
const RG = 'rg-fleet-eastus2';
const ID = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.ContainerService/managedClusters/aks-eastus2-a`;
const API = 'api-version=2025-10-01';

let arm: ArmFace;
let plain: ArmFace;
let kube: KubernetesFace;
let agent: Agent;

function post(face: ArmFace, path: string): Promise<{ status: number; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  return new Promise((resolve, reject) => {
    const req = request(`${face.url}${path}`, { method: 'POST', agent, headers: { authorization: 'Bearer x.y.', 'content-length': '0' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  const cert = await ensureLocalCertificate(join(REPO, '.local', 'certs'));
  agent = new Agent({ ca: cert.cert, keepAlive: true });
  const world = new FleetWorld([{ name: 'eastus2', displayName: 'East US 2' }], [{ id: ID, name: 'aks-eastus2-a', region: 'eastus2', gpus: 2 }], { write: async () => {} });
  kube = await startKubernetesFace({ world, tls: { cert: cert.cert, key: cert.key } });
  const twin = new ArmTwin({ now: () => Date.now(), timers: false });
  twin.addPool({ clusterId: ID, pool: 'gpu', vmSize: 'Standard_NC24ads_A100_v4', vcpusPerNode: 24, gpusPerNode: 1, count: 2, family: 'standardNCADSA100v4Family', region: 'eastus2', subscriptionId: SUB });
  arm = await startArmFace(twin, { cert: cert.cert, key: cert.key, kubeServerFor: (id) => kube.serverFor(id), kubeCaPem: kube.caPem });
  plain = await startArmFace(twin, { cert: cert.cert, key: cert.key });
});

afterAll(async () => {
  agent.destroy();
  await Promise.all([arm.close(), plain.close(), kube.close()]);
});

const credentialPath = (cluster: string, query = `${API}&format=exec`) =>
  `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.ContainerService/managedClusters/${cluster}/listClusterUserCredential?${query}`;

describe('listClusterUserCredential', () => {
  it('answers CredentialResults with an exec kubeconfig pointing at the Kubernetes face, trusting its CA', async () => {
    const { status, body } = await post(arm, credentialPath('aks-eastus2-a'));
    expect(status).toBe(200);
    expect(body).toEqual({ kubeconfigs: [{ name: 'clusterUser', value: expect.any(String) }] });
    const config = parseYaml(Buffer.from(body.kubeconfigs[0].value, 'base64').toString('utf8'));
    expect(config).toMatchObject({
      apiVersion: 'v1', kind: 'Config', 'current-context': 'aks-eastus2-a',
      clusters: [{ name: 'aks-eastus2-a', cluster: { server: kube.serverFor(ID), 'certificate-authority-data': Buffer.from(kube.caPem).toString('base64') } }],
      contexts: [{ name: 'aks-eastus2-a', context: { cluster: 'aks-eastus2-a', user: `clusterUser_${RG}_aks-eastus2-a` } }],
      users: [{ name: `clusterUser_${RG}_aks-eastus2-a`, user: { exec: { command: 'kubelogin', apiVersion: 'client.authentication.k8s.io/v1beta1', provideClusterInfo: false } } }],
    });
    const args: string[] = config.users[0].user.exec.args;
    expect(args.slice(0, 1)).toEqual(['get-token']);
    expect(args[args.indexOf('--server-id') + 1]).toBe('6dae42f8-4368-4678-94ff-3960e28e3630');
  });

  it('answers Azure\'s ResourceNotFound for a cluster ARM does not have', async () => {
    const { status, body } = await post(arm, credentialPath('aks-nowhere'));
    expect(status).toBe(404);
    expect(body).toEqual({ error: { code: 'ResourceNotFound', message: `The Resource 'Microsoft.ContainerService/managedClusters/aks-nowhere' under resource group '${RG}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix` } });
  });

  it('is not served by an ARM face that was given no Kubernetes face', async () => {
    const { status, body } = await post(plain, credentialPath('aks-eastus2-a'));
    expect(status).toBe(404);
    expect(body.error.code).toBe('InvalidResourceType');
  });

  it('gives the real SDK (through the autopilot\'s reader) the server and CA of the Kubernetes face', async () => {
    const endpoints = new ArmAksEndpoints({ credential: new StaticTokenCredential(), endpoint: arm.url, agent });
    await expect(endpoints.read(ID)).resolves.toEqual({ server: kube.serverFor(ID), caPem: kube.caPem });
  });
});
