// A wire server in its own process for batch.bench.ts: every Chat Completions request is answered
// after LATENCY ms with one tool round decided from the request itself: no tool result yet → call
// lookup; one → answer. So each agent call is two requests.
import { createInterface } from 'node:readline';
import { startWireServer } from '@lllm/test-server';

const latencyMs = Number(process.argv[2] ?? 50);
const usage = { prompt_tokens: 120, completion_tokens: 12, total_tokens: 132 };
function completion(message: Record<string, unknown>, finish: string) {
  return {
    delayMs: latencyMs,
    json: {
      id: 'chatcmpl-bench',
      object: 'chat.completion',
      created: 1,
      model: 'gpt-4o-mini-2024-07-18',
      choices: [
        { index: 0, message: { role: 'assistant', content: null, refusal: null, ...message }, finish_reason: finish, logprobs: null },
      ],
      usage,
    },
  };
}

const server = await startWireServer({ capture: false, keepAliveTimeoutMs: 60_000 });
server.respondAlways('/v1/chat/completions', (request) => {
  const messages = (request.body as { messages?: { role: string }[] }).messages ?? [];
  if (messages.some((message) => message.role === 'tool')) return completion({ content: '<answer>42</answer>' }, 'stop');
  const call = { id: 'call_0', type: 'function', function: { name: 'lookup', arguments: '{"key":"k0"}' } };
  return completion({ tool_calls: [call] }, 'tool_calls');
});
process.stdout.write(`${server.openaiBaseURL}\n`);
// Each line on stdin asks for the CPU this server has used so far (ms), answered on stdout.
createInterface({ input: process.stdin }).on('line', () => {
  const cpu = process.cpuUsage();
  process.stdout.write(`${(cpu.user + cpu.system) / 1000}\n`);
});
process.stdin.on('end', () => void server.close().then(() => process.exit(0)));
process.stdin.resume();
