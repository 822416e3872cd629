import { describe, expect, it } from 'vitest';
import { Dialog } from './dialog.js';
import { Message } from './message.js';

const user = (content: string) => new Message({ role: 'user', content, creator: 'user' });

describe('Dialog.fork', () => {
  it('shares the prefix and isolates what each side appends', () => {
    const root = Dialog.create({ system: 'sys' });
    root.append(user('a'));
    const fork = root.fork();
    fork.append(user('fork-only'));
    root.append(user('root-only'));
    expect(fork.messages.map((m) => m.content)).toEqual(['sys', 'a', 'fork-only']);
    expect(root.messages.map((m) => m.content)).toEqual(['sys', 'a', 'root-only']);
    expect(fork.at(1)).toBe(root.at(1));
  });
});
