// A wire server in its own process, so benchmark timings measure the client side only. It answers
// every Chat Completions request with a 3-round tool exchange decided from the request itself: no
// tool results yet → call lookup; one → call lookup again with other arguments; two → answer.
import { startWireServer } from '@lllm/test-server';

const usage = { prompt_tokens: 120, completion_tokens: 12, total_tokens: 132 };
function completion(message: Record<string, unknown>, finish: string) {
  return {
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

// Idle sockets stay open for a minute (Node's default is 5 s): a client stalled under load must never
// pick a socket the server is closing, which fails the request ("other side closed").
const server = await startWireServer({ capture: false, keepAliveTimeoutMs: 60_000 });
server.respondAlways('/v1/chat/completions', (request) => {
  const messages = ((request.body as { messages?: { role: string }[] }).messages ?? []).filter((message) => message.role === 'tool');
  if (messages.length >= 2) return completion({ content: '<answer>42</answer>' }, 'stop');
  const call = {
    id: `call_${messages.length}`,
    type: 'function',
    function: { name: 'lookup', arguments: JSON.stringify({ key: `k${messages.length}` }) },
  };
  return completion({ tool_calls: [call] }, 'tool_calls');
});
process.stdout.write(`${server.openaiBaseURL}\n`);
process.stdin.on('end', () => void server.close().then(() => process.exit(0)));
process.stdin.resume();
