// Checkpoints are private: planted secrets never reach them, files are 0600 and folders 0700, and
// screenshots survive redaction byte for byte. The real `openai` client against the local wire
// server, driving real Chromium on a local page.
import { chmod, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REDACTED, registerSecret } from '@lllm/core';
import { startWireServer, type WireServer } from '@lllm/test-server';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ComputerUseAgent } from './agent.js';
import { BrowserComputer } from './browser.js';
import { redactCheckpoint } from './checkpoint-file.js';
import { decodePng, startTestSite, type TestSite } from './test-page.js';
import { computerCall, response } from './test-responses.js';

const RESPONSES = '/v1/responses';
const REGISTERED = 'planted-registered-secret-7f3a9c21';
const ENV_NAME = 'LLLM_CHECKPOINT_TEST_API_KEY';
const ENV_VALUE = 'planted-env-secret-value-91b2d4e8';
const KEY_SHAPED = 'sk-proj-PlantedKeyShapedSecret0123456789';

let site: TestSite;
let computer: BrowserComputer;
let wire: WireServer;
let client: OpenAI;
let root: string;
let previousUmask: number | undefined;

/** Every file under `directory`, with its mode, and every folder's mode. */
async function walk(directory: string): Promise<{ files: { path: string; mode: number }[]; folders: { path: string; mode: number }[] }> {
  const files: { path: string; mode: number }[] = [];
  const folders: { path: string; mode: number }[] = [{ path: directory, mode: (await stat(directory)).mode & 0o777 }];
  for (const entry of await readdir(directory, { withFileTypes: true, recursive: true })) {
    const path = join(entry.parentPath, entry.name);
    const mode = (await stat(path)).mode & 0o777;
    (entry.isDirectory() ? folders : files).push({ path, mode });
  }
  return { files, folders };
}

beforeAll(async () => {
  // A permissive umask: the modes must come from the code, not from the environment.
  try {
    previousUmask = process.umask(0o000);
  } catch {
    previousUmask = undefined;
  }
  registerSecret(REGISTERED);
  process.env[ENV_NAME] = ENV_VALUE;
  site = await startTestSite();
  computer = await BrowserComputer.launch({ width: 800, height: 600, startUrl: site.url, settleMs: 50 });
  wire = await startWireServer();
  client = new OpenAI({ apiKey: 'sk-test-not-a-real-key-000000', baseURL: wire.openaiBaseURL, maxRetries: 0 });
  root = await mkdtemp(join(tmpdir(), 'lllm-ckpt-'));
});

afterAll(async () => {
  if (previousUmask !== undefined) process.umask(previousUmask);
  delete process.env[ENV_NAME];
  await computer?.close();
  await site?.close();
  await wire?.[Symbol.asyncDispose]();
  if (root) await rm(root, { recursive: true, force: true });
});

describe('computer-use checkpoints', () => {
  test('hold no planted secret, are 0600 in 0700 folders, and keep screenshots intact', async () => {
    const checkpointDir = join(root, 'state', 'checkpoints');
    const agent = new ComputerUseAgent({ client, computer, checkpointDir, conversation: 'input', maxSteps: 2 });
    wire.enqueue(
      RESPONSES,
      response([
        { type: 'reasoning', id: 'rs_ckpt', summary: [], encrypted_content: 'gAAAAB-opaque-AIzaSyPlantedLookalike0123456789abcdefgh' },
        computerCall('call_a', { type: 'click', button: 'left', x: 150, y: 90 }),
      ]),
      response([computerCall('call_b', { type: 'type', text: `${ENV_VALUE} ${KEY_SHAPED}` })]),
    );
    const result = await agent.run(`Log in with the password ${REGISTERED} and the key ${KEY_SHAPED}.`, { sessionId: 'private-1' });
    expect(result.status).toBe('max_steps');
    // The secrets really were used (typed into the page), so they were in the state being saved.
    expect(result.actions.map((action) => action.description).join('\n')).toContain(ENV_VALUE);

    const { files, folders } = await walk(join(root, 'state'));
    expect(files.map((file) => file.path)).toEqual([join(checkpointDir, 'private-1.json')]);
    for (const file of files) expect(file.mode.toString(8), file.path).toBe('600');
    for (const folder of folders) expect(folder.mode.toString(8), folder.path).toBe('700');

    const text = await readFile(join(checkpointDir, 'private-1.json'), 'utf8');
    for (const secret of [REGISTERED, ENV_VALUE, KEY_SHAPED]) expect(text.includes(secret), `${secret} is in the checkpoint`).toBe(false);
    expect(text).toContain(REDACTED);
    const saved = JSON.parse(text) as { task: string; history: unknown[] };
    expect(saved.task.startsWith(`Log in with the password ${REDACTED} and the key `)).toBe(true);
    // Opaque payloads and screenshots are kept byte for byte (redaction patterns must not reach into them).
    expect(text).toContain('gAAAAB-opaque-AIzaSyPlantedLookalike0123456789abcdefgh');
    const images = [...text.matchAll(/"data:image\/png;base64,([A-Za-z0-9+/=]+)"/g)].map((match) => Buffer.from(match[1] ?? '', 'base64'));
    expect(images.length).toBeGreaterThan(0);
    for (const png of images) expect(decodePng(png).width).toBe(800);
  });

  test('a checkpoint loosened to 0644 is written back 0600 on resume, and no temporary file is left', async () => {
    const checkpointDir = join(root, 'resumed');
    const agent = new ComputerUseAgent({ client, computer, checkpointDir, maxSteps: 1 });
    wire.enqueue(RESPONSES, response([computerCall('call_c', { type: 'click', button: 'left', x: 60, y: 30 })]));
    expect((await agent.run('Click the button.', { sessionId: 'private-2' })).status).toBe('max_steps');
    const path = join(checkpointDir, 'private-2.json');
    await chmod(path, 0o644);
    wire.enqueue(
      RESPONSES,
      response([
        {
          type: 'message',
          id: 'msg_ckpt',
          role: 'assistant',
          status: 'completed',
          content: [{ type: 'output_text', text: `done ${REGISTERED}`, annotations: [] }],
        },
      ]),
    );
    const resumed = await agent.resume('private-2');
    expect(resumed.status).toBe('completed');
    expect(((await stat(path)).mode & 0o777).toString(8)).toBe('600');
    expect(await readdir(checkpointDir)).toEqual(['private-2.json']);
    const saved = JSON.parse(await readFile(path, 'utf8')) as { finalText: string };
    expect(saved.finalText).toBe(`done ${REDACTED}`);
  });

  test('redactCheckpoint leaves the state it is given untouched', () => {
    const state = { task: `use ${REGISTERED}`, nested: [{ apiKey: 'x'.repeat(20), shot: 'data:image/png;base64,AAAA' }] };
    const copy = redactCheckpoint(state);
    expect(copy).toEqual({ task: `use ${REDACTED}`, nested: [{ apiKey: REDACTED, shot: 'data:image/png;base64,AAAA' }] });
    expect(state.task).toBe(`use ${REGISTERED}`);
  });
});
