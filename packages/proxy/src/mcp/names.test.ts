import { describe, expect, it } from 'vitest';
import { agentToolNames, endpointKeys, MAX_TOOL_NAME } from './names.js';
import { StderrTail } from './stderr-tail.js';

describe('agentToolNames', () => {
  it('prefixes and replaces characters providers reject', () => {
    const names = agentToolNames('github', ['search.issues', 'repos/list', 'get-file', 'ünïcode tool']);
    expect([...names.values()]).toEqual(['github_search_issues', 'github_repos_list', 'github_get-file', 'github__n_code_tool']);
  });

  it('keeps names distinct when sanitising makes them collide, in list order', () => {
    const names = agentToolNames('s', ['a.b', 'a_b', 'a/b', 'a_b_2']);
    expect([...names.values()]).toEqual(['s_a_b', 's_a_b_2', 's_a_b_3', 's_a_b_2_2']);
  });

  it('shortens long names to 64 characters and keeps them distinct with a hash', () => {
    const long = 'x'.repeat(80);
    const names = agentToolNames('server', [`${long}_one`, `${long}_two`]);
    const [one, two] = [...names.values()];
    expect(one).toHaveLength(MAX_TOOL_NAME);
    expect(two).toHaveLength(MAX_TOOL_NAME);
    expect(one).not.toBe(two);
    expect(one).toMatch(/^server_x+_[0-9a-f]{8}$/);
    expect(agentToolNames('server', [`${long}_one`]).get(`${long}_one`)).toBe(one);
  });

  it('an empty prefix keeps the tool name', () => {
    expect(agentToolNames('', ['echo']).get('echo')).toBe('echo');
  });
});

describe('endpointKeys', () => {
  it('slugs tool names and separates clashes', () => {
    expect([...endpointKeys(['read_file', 'read-file', 'Get Sum']).values()]).toEqual(['read-file', 'read-file-2', 'get-sum']);
  });
});

describe('StderrTail', () => {
  it('keeps the last complete lines and the unfinished one', () => {
    const tail = new StderrTail(3, 10);
    expect(tail.push('one\ntw')).toEqual(['one']);
    tail.push('o\n\nthree\nfour\nfive is a long line\nsix');
    expect(tail.lines()).toEqual(['four', 'five is a …', 'six']);
  });
});
