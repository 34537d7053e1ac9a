/**
 * Contract: `HttpRayJobs` (the real adapter) against the Ray Jobs face of the twin, over loopback HTTP.
 * Expected wire texts are copied from the research fixtures (`fixtures/control-plane/ray-*.json`).
 */
import { createServer as createHttpServer, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HttpRayJobs, RayApiError } from '../../shared/adapters/ray/httpRayJobs.js';
import { InMemoryRayBackend, type RayDriverJobDetails, type RayJobDetails } from '../../local/twin/ray/rayBackend.js';
import { startRayJobsFace, type RayFaceRequestInfo, type RayJobsFace } from '../../local/twin/ray/rayJobsFace.js';

// --- fixtures (fixtures/control-plane/ray-job-errors.json and friends) ---------------------------------
const ERRORS = {
  notFound: { status: 404, contentType: 'text/plain', body: 'Job llama-ft-7f3a-attempt-9 does not exist' },
  notSubmissionJob: { status: 400, contentType: 'text/plain', body: 'Can only stop submission type jobs' },
  duplicateSubmissionId: {
    contentType: 'text/plain',
    body: 'Traceback (most recent call last):\n  ...\nValueError: Job with submission_id llama-ft-7f3a-attempt-2 already exists. Please use a different submission_id.',
  },
  noAgent: { status: 500, contentType: 'text/plain', body: 'No available agent to submit job, please try again later.' },
};
const SUBMIT_REQUEST = {
  entrypoint: 'python train.py --run-name llama-ft-7f3a --resume-from-latest',
  submission_id: 'llama-ft-7f3a-attempt-2',
  runtime_env: {
    working_dir: 'https://example.invalid/code/llama-ft-7f3a.zip',
    env_vars: { RUN_NAME: 'llama-ft-7f3a', STORAGE_PATH: '/mnt/ckpt' },
  },
  metadata: { run: 'llama-ft-7f3a', attempt: '2', 'origin-region': 'eastus2' },
  entrypoint_num_cpus: 1,
  entrypoint_num_gpus: 0,
  entrypoint_resources: {},
};
const SUBMIT_RESPONSE = { job_id: 'llama-ft-7f3a-attempt-2', submission_id: 'llama-ft-7f3a-attempt-2' };
const JOB_GET: RayJobDetails = {
  type: 'SUBMISSION',
  job_id: '03000000',
  submission_id: 'llama-ft-7f3a-attempt-2',
  driver_info: { id: '03000000', node_ip_address: '10.244.3.17', pid: '4211' },
  status: 'PENDING',
  entrypoint: 'python train.py --run-name llama-ft-7f3a --resume-from-latest',
  message: 'Job has not started yet. It may be waiting for the runtime environment to be set up.',
  error_type: null,
  start_time: 1763633702123,
  end_time: null,
  metadata: { run: 'llama-ft-7f3a', attempt: '2', 'origin-region': 'eastus2' },
  runtime_env: { env_vars: { RUN_NAME: 'llama-ft-7f3a', STORAGE_PATH: '/mnt/ckpt' } },
  driver_agent_http_address: null,
  driver_node_id: null,
  driver_exit_code: null,
};
const LIST: [RayJobDetails, RayJobDetails, RayDriverJobDetails] = [
  {
    ...JOB_GET,
    status: 'RUNNING',
    message: 'Job is currently running.',
    driver_agent_http_address: 'http://10.244.3.17:52365',
    driver_node_id: '3f9c1e5a0b7d2c4e6f8a1b3c5d7e9f0a2b4c6d8e0f1a3b5c7d9e1f3a',
  },
  {
    type: 'SUBMISSION',
    job_id: '02000000',
    submission_id: 'llama-ft-7f3a-attempt-1',
    driver_info: { id: '02000000', node_ip_address: '10.244.3.17', pid: '3120' },
    status: 'FAILED',
    entrypoint: 'python train.py --run-name llama-ft-7f3a --resume-from-latest',
    message: 'Job entrypoint command failed with exit code 1, last available logs (truncated to 20,000 chars):\n...',
    error_type: 'JOB_ENTRYPOINT_COMMAND_ERROR',
    start_time: 1763620000456,
    end_time: 1763629991789,
    metadata: { run: 'llama-ft-7f3a', attempt: '1', 'origin-region': 'westus3' },
    runtime_env: { env_vars: { RUN_NAME: 'llama-ft-7f3a', STORAGE_PATH: '/mnt/ckpt' } },
    driver_agent_http_address: 'http://10.244.3.17:52365',
    driver_node_id: '3f9c1e5a0b7d2c4e6f8a1b3c5d7e9f0a2b4c6d8e0f1a3b5c7d9e1f3a',
    driver_exit_code: 1,
  },
  {
    type: 'DRIVER',
    job_id: '01000000',
    submission_id: null,
    driver_info: { id: '01000000', node_ip_address: '10.244.3.17', pid: '1502' },
    status: 'SUCCEEDED',
    entrypoint: '',
    message: null,
    error_type: null,
    start_time: 1763610000000,
    end_time: 1763610123000,
    metadata: {},
    runtime_env: {},
    driver_agent_http_address: null,
    driver_node_id: null,
    driver_exit_code: null,
  },
];
const VERSION = {
  version: '4',
  ray_version: '2.52.0',
  ray_commit: '0000000000000000000000000000000000000000',
  session_name: 'session_2025-11-20_09-58-11_123456_1',
};

const RUN = 'llama-ft-7f3a-attempt-2';
const submitRequest = (submissionId = RUN) => ({
  entrypoint: SUBMIT_REQUEST.entrypoint,
  submissionId,
  entrypointNumGpus: 8,
  runtimeEnv: SUBMIT_REQUEST.runtime_env,
  metadata: SUBMIT_REQUEST.metadata,
});

async function raw(url: string, init: RequestInit = {}): Promise<{ status: number; type: string; body: string }> {
  const res = await fetch(url, { ...init, redirect: 'manual' });
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() };
}

async function elapsed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - start };
}

function listen(server: Server | ReturnType<typeof createNetServer>): Promise<number> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
}

describe('HttpRayJobs against the Ray Jobs face', () => {
  let backend: InMemoryRayBackend;
  let face: RayJobsFace;
  let ray: HttpRayJobs;
  let seen: RayFaceRequestInfo[];

  beforeEach(async () => {
    seen = [];
    backend = new InMemoryRayBackend();
    face = await startRayJobsFace(backend, { onRequest: (info) => seen.push(info) });
    // These tests look at every call on its own; the breaker has its own test below.
    ray = new HttpRayJobs({ timeoutMs: 3000, breakerMs: 0 });
  });
  afterEach(async () => {
    await face.close();
  });

  describe('submit', () => {
    it('submits with Ray field names to POST /api/jobs/ and the job exists with what was sent', async () => {
      expect(await ray.submit(face.url, submitRequest())).toBe('submitted');

      expect(seen.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /api/jobs/']);
      expect(JSON.parse(seen[0]!.body)).toEqual({
        entrypoint: SUBMIT_REQUEST.entrypoint,
        submission_id: RUN,
        runtime_env: SUBMIT_REQUEST.runtime_env,
        metadata: SUBMIT_REQUEST.metadata,
        entrypoint_num_gpus: 8,
      });
      const job = backend.get(RUN);
      expect(job).toMatchObject({
        submission_id: RUN,
        entrypoint: SUBMIT_REQUEST.entrypoint,
        runtime_env: SUBMIT_REQUEST.runtime_env,
        metadata: SUBMIT_REQUEST.metadata,
        entrypoint_num_gpus: 8,
        status: 'RUNNING',
      });
    });

    it('the face answers the fixture request with the fixture response', async () => {
      const res = await raw(`${face.url}/api/jobs/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(SUBMIT_REQUEST),
      });
      expect(res.status).toBe(200);
      expect(res.type).toMatch(/^application\/json/);
      expect(JSON.parse(res.body)).toEqual(SUBMIT_RESPONSE);
    });

    it('a repeated submission id is a duplicate (400 with Ray\'s traceback text)', async () => {
      expect(await ray.submit(face.url, submitRequest())).toBe('submitted');
      expect(await ray.submit(face.url, submitRequest())).toBe('duplicate');

      const res = await raw(`${face.url}/api/jobs/`, { method: 'POST', body: JSON.stringify(SUBMIT_REQUEST) });
      expect(res.status).toBe(400);
      expect(res.type).toMatch(/^text\/plain/);
      expect(res.body).toBe(ERRORS.duplicateSubmissionId.body);
      expect(backend.list()).toHaveLength(1);
    });

    it('the 500 flavour of a duplicate (older Ray) is also a duplicate: matched on the text', async () => {
      face.configure({ duplicateStatus: 500 });
      expect(await ray.submit(face.url, submitRequest())).toBe('submitted');
      expect(await ray.submit(face.url, submitRequest())).toBe('duplicate');

      const res = await raw(`${face.url}/api/jobs/`, { method: 'POST', body: JSON.stringify(SUBMIT_REQUEST) });
      expect(res.status).toBe(500);
      expect(res.body).toContain(ERRORS.duplicateSubmissionId.body.split('\n').at(-1)!);
    });

    it('"No available agent" is a retryable RayApiError with the fixture text', async () => {
      face.configure({ noAvailableAgent: true });
      const error = await ray.submit(face.url, submitRequest()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RayApiError);
      expect(error).toMatchObject({ status: ERRORS.noAgent.status, body: ERRORS.noAgent.body, retryable: true });
      expect(backend.list()).toHaveLength(0);
    });

    it('metadata with a non-string value is a 400 TypeError, surfaced as a non-retryable RayApiError', async () => {
      const res = await raw(`${face.url}/api/jobs/`, {
        method: 'POST',
        body: JSON.stringify({ entrypoint: 'python x.py', metadata: { attempt: 2 } }),
      });
      expect(res.status).toBe(400);
      expect(res.type).toMatch(/^text\/plain/);
      expect(res.body).toBe(
        "Traceback (most recent call last):\n  ...\nTypeError: metadata values must be strings, got <class 'int'>",
      );

      const bad = { ...submitRequest(), metadata: { attempt: 2 } as unknown as Record<string, string> };
      const error = await ray.submit(face.url, bad).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RayApiError);
      expect(error).toMatchObject({ status: 400, retryable: false });
      expect((error as RayApiError).body).toContain('TypeError: metadata values must be strings');
      expect(backend.list()).toHaveLength(0);
    });

    it('a missing entrypoint or an unknown field is a 400 TypeError', async () => {
      const missing = await raw(`${face.url}/api/jobs/`, { method: 'POST', body: JSON.stringify({ submission_id: 'x' }) });
      expect(missing.status).toBe(400);
      expect(missing.body).toMatch(
        /TypeError: JobSubmitRequest.__init__\(\) missing 1 required positional argument: 'entrypoint'$/,
      );
      const unknown = await raw(`${face.url}/api/jobs/`, {
        method: 'POST',
        body: JSON.stringify({ entrypoint: 'x', submissionId: 'x' }),
      });
      expect(unknown.status).toBe(400);
      expect(unknown.body).toMatch(/TypeError: JobSubmitRequest.__init__\(\) got an unexpected keyword argument 'submissionId'$/);
      expect(backend.list()).toHaveLength(0);
    });

    it('the face needs the trailing slash on POST /api/jobs/, like the dashboard', async () => {
      const res = await raw(`${face.url}/api/jobs`, { method: 'POST', body: JSON.stringify(SUBMIT_REQUEST) });
      expect(res.status).toBe(404);
      expect(backend.list()).toHaveLength(0);
    });

    it('bodies over 1 MiB get 413, with or without a content-length', async () => {
      const big = JSON.stringify({ entrypoint: 'x'.repeat(1024 * 1024 + 10) });
      const res = await raw(`${face.url}/api/jobs/`, { method: 'POST', body: big });
      expect(res.status).toBe(413);
      expect(res.body).toBe(`Maximum request body size 1048576 exceeded, actual body size ${big.length}`);

      const bytes = new TextEncoder().encode(big);
      const chunked = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < bytes.length; i += 64 * 1024) controller.enqueue(bytes.subarray(i, i + 64 * 1024));
          controller.close();
        },
      });
      const streamed = await raw(`${face.url}/api/jobs/`, { method: 'POST', body: chunked, duplex: 'half' } as RequestInit);
      expect(streamed.status).toBe(413);
      expect(backend.list()).toHaveLength(0);
    });
  });

  describe('get and list', () => {
    it('get maps JobDetails to RayJobInfo', async () => {
      await ray.submit(face.url, submitRequest());
      expect(await ray.get(face.url, RUN)).toEqual({
        submissionId: RUN,
        status: 'RUNNING',
        message: 'Job is currently running.',
        metadata: SUBMIT_REQUEST.metadata,
      });
      backend.setStatus(RUN, 'FAILED', { message: 'Job failed.', errorType: 'JOB_ENTRYPOINT_COMMAND_ERROR', exitCode: 1 });
      expect(await ray.get(face.url, RUN)).toMatchObject({ submissionId: RUN, status: 'FAILED' });
    });

    it('a PENDING job reads as PENDING', async () => {
      const pendingBackend = new InMemoryRayBackend({ initialStatus: 'PENDING' });
      const pendingFace = await startRayJobsFace(pendingBackend);
      try {
        await ray.submit(pendingFace.url, submitRequest());
        expect(await ray.get(pendingFace.url, RUN)).toMatchObject({ status: 'PENDING' });
      } finally {
        await pendingFace.close();
      }
    });

    it('an unknown id is notFound; the face answers 404 with the fixture text', async () => {
      expect(await ray.get(face.url, 'llama-ft-7f3a-attempt-9')).toBe('notFound');
      const res = await raw(`${face.url}/api/jobs/llama-ft-7f3a-attempt-9`);
      expect(res.status).toBe(ERRORS.notFound.status);
      expect(res.type).toMatch(/^text\/plain/);
      expect(res.body).toBe(ERRORS.notFound.body);
    });

    it('the face serialises a job exactly like the fixtures (get and list)', async () => {
      backend.seed(JOB_GET);
      const got = await raw(`${face.url}/api/jobs/${JOB_GET.submission_id}`);
      expect(got.status).toBe(200);
      expect(JSON.parse(got.body)).toEqual(JOB_GET);

      backend.seed(LIST[0]);
      backend.seed(LIST[1]);
      face.configure({ driverJobs: [LIST[2]] });
      const listed = await raw(`${face.url}/api/jobs/`);
      expect(listed.status).toBe(200);
      expect(JSON.parse(listed.body)).toEqual(LIST);
    });

    it('list returns submission jobs only, mapped', async () => {
      backend.seed(LIST[0]);
      backend.seed(LIST[1]);
      face.configure({ driverJobs: [LIST[2]] });
      const jobs = await ray.list(face.url);
      expect(jobs).toEqual([
        { submissionId: 'llama-ft-7f3a-attempt-2', status: 'RUNNING', message: 'Job is currently running.', metadata: LIST[0].metadata },
        { submissionId: 'llama-ft-7f3a-attempt-1', status: 'FAILED', message: LIST[1].message, metadata: LIST[1].metadata },
      ]);
      expect(seen.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /api/jobs/']);
    });

    it('get of a driver job id is notFound (it is not a submission)', async () => {
      face.configure({ driverJobs: [LIST[2]] });
      expect((await raw(`${face.url}/api/jobs/01000000`)).status).toBe(200);
      expect(await ray.get(face.url, '01000000')).toBe('notFound');
    });
  });

  describe('stop and delete', () => {
    it('stop → stopped, again → alreadyStopped, unknown → notFound', async () => {
      await ray.submit(face.url, submitRequest());
      expect(await ray.stop(face.url, RUN)).toBe('stopped');
      expect(backend.get(RUN)?.status).toBe('STOPPED');
      expect(seen.at(-1)).toMatchObject({ method: 'POST', path: `/api/jobs/${RUN}/stop` });
      expect(await ray.stop(face.url, RUN)).toBe('alreadyStopped');
      expect(await ray.stop(face.url, 'llama-ft-7f3a-attempt-9')).toBe('notFound');
    });

    it('the face answers stop with the fixture body', async () => {
      await ray.submit(face.url, submitRequest());
      const res = await raw(`${face.url}/api/jobs/${RUN}/stop`, { method: 'POST' });
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toEqual({ stopped: true });
    });

    it('stopping a driver job is a RayApiError with the fixture text', async () => {
      face.configure({ driverJobs: [LIST[2]] });
      const error = await ray.stop(face.url, '01000000').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RayApiError);
      expect(error).toMatchObject({ status: ERRORS.notSubmissionJob.status, body: ERRORS.notSubmissionJob.body });
    });

    it('delete works only on terminal jobs', async () => {
      await ray.submit(face.url, submitRequest());
      const running = await raw(`${face.url}/api/jobs/${RUN}`, { method: 'DELETE' });
      expect(running.status).toBe(500);
      expect(running.body).toContain(`Attempted to delete job '${RUN}', but it is in a non-terminal state RUNNING.`);
      expect(backend.get(RUN)).toBeDefined();

      await ray.stop(face.url, RUN);
      const stopped = await raw(`${face.url}/api/jobs/${RUN}`, { method: 'DELETE' });
      expect(stopped.status).toBe(200);
      expect(JSON.parse(stopped.body)).toEqual({ deleted: true });
      expect(await ray.get(face.url, RUN)).toBe('notFound');
      expect((await raw(`${face.url}/api/jobs/${RUN}`, { method: 'DELETE' })).status).toBe(404);
    });
  });

  describe('the rest of the face', () => {
    it('GET /api/version and GET /api/jobs/{id}/logs', async () => {
      const version = await raw(`${face.url}/api/version`);
      expect(version.status).toBe(200);
      expect(JSON.parse(version.body)).toEqual(VERSION);

      await ray.submit(face.url, submitRequest());
      const logs = await raw(`${face.url}/api/jobs/${RUN}/logs`);
      expect(logs.status).toBe(200);
      expect(JSON.parse(logs.body)).toEqual({ logs: '' });
      expect((await raw(`${face.url}/api/jobs/nope/logs`)).status).toBe(404);
    });

    it('close() returns promptly even with a request half sent', async () => {
      const socket = new Socket();
      socket.on('error', () => {});
      await new Promise<void>((resolve) => socket.connect(face.port, '127.0.0.1', resolve));
      socket.write('GET /api/version HTTP/1.1\r\nHost: 127.0.0.1\r\n'); // headers never finished
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      await new Promise((resolve) => setTimeout(resolve, 50));
      const { ms } = await elapsed(() => face.close());
      expect(ms).toBeLessThan(1000);
      await closed;
      face = await startRayJobsFace(backend); // for afterEach
    });

    it('close() returns promptly even with a keep-alive connection open', async () => {
      await ray.list(face.url); // leaves a pooled keep-alive connection to the face
      const { ms } = await elapsed(() => face.close());
      expect(ms).toBeLessThan(1000);
      expect(await ray.list(face.url)).toBe('unreachable');
      face = await startRayJobsFace(backend); // for afterEach
    });
  });

  describe('endpoint handling', () => {
    it('joins a service-proxy base path and a trailing slash without doubling slashes', async () => {
      const basePath = '/api/v1/namespaces/ray/services/rc-llama-ft-head-svc:8265/proxy';
      face.configure({ basePath });
      expect(face.url.endsWith(basePath)).toBe(true);
      for (const endpoint of [face.url, `${face.url}/`]) {
        seen = [];
        expect(await ray.list(endpoint)).toEqual([]);
        expect(seen.map((r) => r.path)).toEqual(['/api/jobs/']);
      }
      expect(await ray.submit(`${face.url}/`, submitRequest())).toBe('submitted');
      expect(await ray.stop(`${face.url}/`, RUN)).toBe('stopped');
      expect(await ray.get(`${face.url}/`, RUN)).toMatchObject({ status: 'STOPPED' });
      // Outside the base path the face is a plain 404, so a wrong join cannot pass by accident.
      expect((await raw(`http://127.0.0.1:${face.port}/api/jobs/`)).status).toBe(404);
    });

    it('percent-encodes the submission id in the path', async () => {
      const odd = 'run a/b?c';
      expect(await ray.submit(face.url, submitRequest(odd))).toBe('submitted');
      expect(await ray.get(face.url, odd)).toMatchObject({ submissionId: odd });
      expect(await ray.stop(face.url, odd)).toBe('stopped');
    });

    it('sends the headers from the hook (sync or async)', async () => {
      const asyncRay = new HttpRayJobs({ headers: async () => ({ 'x-ray-authorization': 'Bearer t0k3n' }) });
      await asyncRay.list(face.url);
      const syncRay = new HttpRayJobs({ headers: () => ({ authorization: 'Bearer aad' }) });
      await syncRay.get(face.url, RUN);
      expect(seen[0]?.headers['x-ray-authorization']).toBe('Bearer t0k3n');
      expect(seen[1]?.headers['authorization']).toBe('Bearer aad');
    });
  });

  describe('unreachable clusters', () => {
    it('a cluster whose region is down (connections reset) is unreachable at once, well under the timeout', async () => {
      await ray.submit(face.url, submitRequest()); // a pooled keep-alive connection exists
      backend.setReachable(false);

      const stop = await elapsed(() => ray.stop(face.url, RUN));
      const get = await elapsed(() => ray.get(face.url, RUN));
      const list = await elapsed(() => ray.list(face.url));
      expect([stop.value, get.value, list.value]).toEqual(['unreachable', 'unreachable', 'unreachable']);
      for (const { ms } of [stop, get, list]) expect(ms).toBeLessThan(1000);

      const error = await ray.submit(face.url, submitRequest('other')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RayApiError);
      expect(error).toMatchObject({ status: 0, retryable: true });
      expect(seen).toHaveLength(1); // the face answered nothing while down

      backend.setReachable(true);
      expect(await ray.get(face.url, RUN)).toMatchObject({ status: 'RUNNING' });
      expect(backend.get('other')).toBeUndefined();
    });

    describe('a dashboard that accepts connections and never answers', () => {
      let silent: ReturnType<typeof createNetServer>;
      let sockets: Socket[];
      let endpoint: string;

      beforeEach(async () => {
        sockets = [];
        silent = createNetServer((socket) => {
          sockets.push(socket);
          socket.on('error', () => {});
        });
        endpoint = `http://127.0.0.1:${await listen(silent)}`;
      });
      afterEach(async () => {
        for (const socket of sockets) socket.destroy();
        await new Promise<void>((resolve) => silent.close(() => resolve()));
      });

      it('is unreachable after the configured timeout', async () => {
        const quick = new HttpRayJobs({ timeoutMs: 200, breakerMs: 0 });
        const get = await elapsed(() => quick.get(endpoint, RUN));
        const stop = await elapsed(() => quick.stop(endpoint, RUN));
        const list = await elapsed(() => quick.list(endpoint));
        expect([get.value, stop.value, list.value]).toEqual(['unreachable', 'unreachable', 'unreachable']);
        for (const { ms } of [get, stop, list]) {
          expect(ms).toBeGreaterThanOrEqual(180);
          expect(ms).toBeLessThan(1500);
        }
        expect(sockets.length).toBeGreaterThanOrEqual(1);

        const submit = await elapsed(() => quick.submit(endpoint, submitRequest()).catch((e: unknown) => e));
        expect(submit.value).toMatchObject({ status: 0, retryable: true });
        expect(submit.ms).toBeLessThan(1500);
      });

      it('after one timeout, calls to that cluster fail fast for the breaker window; other clusters are asked as usual', async () => {
        let t = 1_000_000;
        const guarded = new HttpRayJobs({ timeoutMs: 200, breakerMs: 5000, now: () => t });
        const first = await elapsed(() => guarded.get(endpoint, RUN));
        expect(first.value).toBe('unreachable');
        expect(first.ms).toBeGreaterThanOrEqual(180);
        const opened = sockets.length;
        const second = await elapsed(() => guarded.stop(endpoint, RUN));
        expect(second.value).toBe('unreachable');
        expect(second.ms).toBeLessThan(100);
        expect(sockets.length).toBe(opened); // not asked at all
        expect(await guarded.list(face.url)).toEqual([]); // another cluster answers as usual
        t += 5001;
        const third = await elapsed(() => guarded.get(endpoint, RUN));
        expect(third.ms).toBeGreaterThanOrEqual(180); // the window passed: asked again
      });
    });
  });

  describe('other answers from whatever is in front of the dashboard', () => {
    let stub: Server;
    let stubUrl: string;
    let answer: (res: ServerResponse) => void;
    let elsewhere: Server;
    let elsewhereUrl: string;
    let elsewhereHits: number;

    beforeEach(async () => {
      elsewhereHits = 0;
      elsewhere = createHttpServer((_req, res) => {
        elsewhereHits += 1;
        res.writeHead(200, { 'content-type': 'application/json' }).end('[]');
      });
      elsewhereUrl = `http://127.0.0.1:${await listen(elsewhere)}`;
      stub = createHttpServer((_req, res) => answer(res));
      stubUrl = `http://127.0.0.1:${await listen(stub)}`;
    });
    afterEach(async () => {
      for (const server of [stub, elsewhere]) {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    });

    it('never follows a redirect', async () => {
      answer = (res) => res.writeHead(302, { location: `${elsewhereUrl}/api/jobs/` }).end();
      const error = await ray.list(stubUrl).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RayApiError);
      expect(error).toMatchObject({ status: 302 });
      const submitError = await ray.submit(stubUrl, submitRequest()).catch((e: unknown) => e);
      expect(submitError).toMatchObject({ status: 302 });
      expect(elsewhereHits).toBe(0);
    });

    it('a gateway error (502/503/504) means the dashboard did not answer: unreachable', async () => {
      answer = (res) => res.writeHead(503, { 'content-type': 'text/plain' }).end('no endpoints available for service "rc-head-svc:8265"');
      expect(await ray.get(stubUrl, RUN)).toBe('unreachable');
      expect(await ray.stop(stubUrl, RUN)).toBe('unreachable');
      expect(await ray.list(stubUrl)).toBe('unreachable');
      const error = await ray.submit(stubUrl, submitRequest()).catch((e: unknown) => e);
      expect(error).toMatchObject({ status: 503, retryable: true });
    });

    it('a 200 with JSON of the wrong shape is a RayApiError, not a result', async () => {
      answer = (res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"QUEUED"}');
      await expect(ray.list(stubUrl)).rejects.toMatchObject({ name: 'RayApiError', status: 200 });
      await expect(ray.get(stubUrl, RUN)).rejects.toMatchObject({ name: 'RayApiError', status: 200 });
      await expect(ray.stop(stubUrl, RUN)).rejects.toMatchObject({ name: 'RayApiError', status: 200 });
      await expect(ray.submit(stubUrl, submitRequest())).rejects.toMatchObject({ name: 'RayApiError', status: 200 });
    });

    it('a 200 that is not Ray JSON is a RayApiError, not a result', async () => {
      answer = (res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>sign in</html>');
      await expect(ray.list(stubUrl)).rejects.toBeInstanceOf(RayApiError);
      await expect(ray.get(stubUrl, RUN)).rejects.toBeInstanceOf(RayApiError);
      await expect(ray.stop(stubUrl, RUN)).rejects.toBeInstanceOf(RayApiError);
      await expect(ray.submit(stubUrl, submitRequest())).rejects.toBeInstanceOf(RayApiError);
    });
  });
});
