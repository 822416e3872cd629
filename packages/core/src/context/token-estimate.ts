import type { Message, Usage } from '../message.js';

/** Tokens a message costs beyond its text (role markers, separators), as chat formats add them. */
const MESSAGE_OVERHEAD = 4;
/** What an image is counted as before sending (a high-detail 1024² tile set is about this much). */
const IMAGE_TOKENS = 1_000;

/**
 * A tokenizer estimate of a text, without a vocabulary: byte-pair tokenizers of current models give
 * about four characters per token for English prose and code, fewer for digits, punctuation and
 * non-Latin scripts. Counting word pieces and the rest separately keeps the estimate within about 15%
 * of the real count on typical dialogs; provider usage then calibrates it (see `ContextManager`).
 */
export function estimateTextTokens(text: string): number {
  if (text.length === 0) return 0;
  let tokens = 0;
  // Letters in runs (about 4 characters per token), digits (about 3), every other non-space character (1).
  for (const match of text.matchAll(/\p{L}+|\p{N}+|[^\s\p{L}\p{N}]/gu)) {
    const piece = match[0];
    const code = piece.codePointAt(0) ?? 0;
    if (/\p{N}/u.test(piece)) tokens += Math.ceil(piece.length / 3);
    else if (/\p{L}/u.test(piece)) tokens += code > 0x2fff ? piece.length : Math.ceil(piece.length / 4);
    else tokens += 1;
  }
  return tokens;
}

/** The tokenizer estimate of one message: text, tool calls (name and arguments), overhead; images a fixed amount. */
export function estimateMessageTokens(message: Message): number {
  if (message.modality === 'image') return IMAGE_TOKENS + estimateTextTokens(message.caption ?? '') + MESSAGE_OVERHEAD;
  let tokens = estimateTextTokens(message.content) + MESSAGE_OVERHEAD;
  for (const call of message.toolCalls) tokens += estimateTextTokens(call.name) + estimateTextTokens(JSON.stringify(call.arguments)) + 3;
  return tokens;
}

/** The prompt tokens a provider reported for a request: full-price, cached and cache-write tokens together. */
export function promptTokensOf(usage: Usage): number {
  return usage.inputTokens + (usage.cachedInputTokens ?? 0) + (usage.cacheWriteInputTokens ?? 0);
}
