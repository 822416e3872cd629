// The default parser as the Python LLLM (Productive-Superintelligence/lllm, commit f810ffb) defines it:
// `default_parser` in lllm/models.py, `find_xml_blocks`, `find_md_blocks` and `find_level1_blocks_sorted` in
// lllm/utils.py. Tests named "as upstream's …" pin down a behaviour we match; "fixed: …" a bug of upstream's
// we do not carry over.
import { Agent, ParseError } from '@lllm/core';
import { createScriptedInvoker } from '@lllm/core/testing';
import { describe, expect, it } from 'vitest';
import { defaultParse, findMdTags, findXmlTags, hasSignalTag, tagSpecProblems } from './parser.js';
import { Prompt } from './prompt.js';

function problems(run: () => unknown): readonly string[] {
  try {
    run();
  } catch (error) {
    expect(ParseError.isInstance(error)).toBe(true);
    return (error as ParseError).problems;
  }
  return expect.unreachable('no ParseError');
}

describe('required tags', () => {
  // default_parser: `for tag in xml_tags: … if len(matches) == 0: errors.append(…)`, the same for md_tags.
  it("as upstream's default_parser: every tag listed in xmlTags and mdTags must appear, all missing ones in one ParseError", () => {
    const spec = { xmlTags: ['plan', 'answer'], mdTags: ['sql'] };
    expect(problems(() => defaultParse('<plan>p</plan>', spec))).toEqual([
      'Missing the required <answer>…</answer> block.',
      'Missing the required ```sql fenced block.',
    ]);
    const parsed = defaultParse('<plan>p</plan><answer>a</answer>\n```sql\nselect 1\n```', spec);
    expect(parsed.xmlTags).toEqual({ plan: ['p'], answer: ['a'] });
    expect(parsed.mdTags).toEqual({ sql: ['select 1'] });
  });

  it("as upstream's default_parser: a missing listed tag is a parse error the agent call answers and retries", async () => {
    const system = new Prompt({ path: 'parser/system', prompt: 'You answer in tags.' });
    const task = new Prompt({ path: 'parser/task', prompt: 'What is {q}?', xmlTags: ['answer'] });
    const invoker = createScriptedInvoker([{ content: 'It is 4.' }, { content: '<answer>4</answer>' }]);
    const agent = new Agent({ name: 'tags', systemPrompt: system, model: 'scripted', invoker });
    const dialog = agent.initDialog();
    const result = await agent.call(dialog.ask(task, { q: '2 + 2' }));
    expect(result.parsed.xmlTags.answer).toEqual(['4']);
    expect(result.attempts.map((attempt) => [attempt.kind, attempt.error])).toEqual([
      ['parse', 'Missing the required <answer>…</answer> block.'],
    ]);
    expect(invoker.requests[1]?.messages.at(-1)?.content).toContain('Missing the required <answer>…</answer> block.');
    // The failed reply is pruned: the dialog holds the answer only.
    expect(dialog.messages.map((message) => message.content)).toEqual(['You answer in tags.', 'What is 2 + 2?', '<answer>4</answer>']);
  });

  // default_parser: `for tag in required_xml_tags: if tag not in xml_tag_blocks: errors.append(…)` looks in the
  // results of xml_tags only, so a required tag not also listed there failed even when the reply had it.
  it('fixed: a required tag that is not also in xmlTags/mdTags is extracted, not refused (upstream raised whenever the optional list lacked it)', () => {
    const parsed = defaultParse('<plan>p</plan>\n```sql\nselect 1\n```', { requiredXmlTags: ['plan'], requiredMdTags: ['sql'] });
    expect(parsed.xmlTags).toEqual({ plan: ['p'] });
    expect(parsed.mdTags).toEqual({ sql: ['select 1'] });
    expect(
      problems(() => defaultParse('nothing', { xmlTags: ['plan'], requiredXmlTags: ['plan', 'answer'], requiredMdTags: ['sql'] })),
    ).toEqual([
      'Missing the required <plan>…</plan> block.',
      'Missing the required <answer>…</answer> block.',
      'Missing the required ```sql fenced block.',
    ]);
  });

  it('optionalXmlTags and optionalMdTags (not in upstream) are extracted when present and never required', () => {
    const spec = { xmlTags: ['answer'], optionalXmlTags: ['note'], optionalMdTags: ['python'] };
    expect(defaultParse('<answer>a</answer>', spec)).toEqual({
      raw: '<answer>a</answer>',
      xmlTags: { answer: ['a'], note: [] },
      mdTags: { python: [] },
      signalTags: {},
    });
    expect(defaultParse('<answer>a</answer><note>n</note>', spec).xmlTags.note).toEqual(['n']);
    expect(problems(() => defaultParse('<note>n</note>', spec))).toEqual(['Missing the required <answer>…</answer> block.']);
  });

  it('a prompt parses with its tag lists, handlers included', () => {
    const prompt = new Prompt({ path: 'parser/p', prompt: 'x', xmlTags: ['answer'], optionalXmlTags: ['why'] });
    expect(prompt.parse('<answer>1</answer>').xmlTags).toEqual({ answer: ['1'], why: [] });
    expect(() => prompt.exceptionHandler.parse('1')).toThrow('Missing the required <answer>');
    expect(prompt.finalHandler.parse('<answer>2</answer><why>w</why>').xmlTags).toEqual({ answer: ['2'], why: ['w'] });
  });
});

describe('XML blocks', () => {
  // find_xml_blocks: `re.findall(rf'<{tag}>(.*?)</{tag}>', text, re.DOTALL)`: bodies as they are.
  it("as upstream's find_xml_blocks: bodies are kept verbatim (not trimmed), one per pair, each ending at the first closing tag", () => {
    expect(findXmlTags('<answer>\n 1 \n</answer> then <answer>2</answer>', 'answer')).toEqual(['\n 1 \n', '2']);
    expect(findXmlTags('<a><a>x</a></a>', 'a')).toEqual(['<a>x']);
    expect(findXmlTags('<a>open only', 'a')).toEqual([]);
    expect(findXmlTags('<a></a>', 'a')).toEqual(['']);
  });

  it("as upstream's find_xml_blocks: tags match exactly, so attributes or a spaced closing tag do not count", () => {
    expect(findXmlTags('<answer id="1">x</answer>', 'answer')).toEqual([]);
    expect(findXmlTags('<answer>x</answer >', 'answer')).toEqual([]);
    expect(findXmlTags('<Answer>x</Answer>', 'answer')).toEqual([]);
  });

  it('fixed: tag names are matched literally (upstream put them into a regular expression, so a.b matched <aXb>)', () => {
    expect(findXmlTags('<a.b>one</a.b><aXb>two</aXb>', 'a.b')).toEqual(['one']);
    expect(findXmlTags('<x+>1</x+><xx>2</xx>', 'x+')).toEqual(['1']);
    expect(defaultParse('<aXb>two</aXb>', { optionalXmlTags: ['a.b'] }).xmlTags).toEqual({ 'a.b': [] });
  });
});

describe('Markdown fences', () => {
  // find_md_blocks: `block[len(f'```{tag}'):-3].strip()`.
  it("as upstream's find_md_blocks: fence bodies are stripped of surrounding whitespace, as Python's str.strip()", () => {
    expect(findMdTags('```python\n\n    x = 1\n  y = 2  \n\n```', 'python')).toEqual(['x = 1\n  y = 2']);
    expect(findMdTags('```sql\r\nselect 1\r\n```', 'sql')).toEqual(['select 1']);
    // str.strip() removes \x1c-\x1f (JavaScript's trim() does not) and keeps \ufeff (which trim() removes).
    expect(findMdTags('```txt\x1c a \x1f```', 'txt')).toEqual(['a']);
    expect(findMdTags('```txt \ufeffa\ufeff ```', 'txt')).toEqual(['\ufeffa\ufeff']);
  });

  // find_level1_blocks_sorted: openings ```[^\s]+ and closings ```(?=\s|$) anywhere in the text.
  it("as upstream's find_level1_blocks_sorted: a fence need not start a line, and a closing need not either", () => {
    expect(findMdTags('Here: ```python\nprint(1)\n``` done', 'python')).toEqual(['print(1)']);
    expect(findMdTags('```json\n{"a": 1}```', 'json')).toEqual(['{"a": 1}']);
    expect(findMdTags('inline ```sh ls -la``` and more', 'sh')).toEqual(['ls -la']);
  });

  it("as upstream's find_level1_blocks_sorted: fences nest, and only outermost blocks count", () => {
    const text = '```markdown\nA note with code:\n```python\nprint(1)\n```\nend of note\n```\n\n```python\nprint(2)\n```';
    expect(findMdTags(text, 'markdown')).toEqual(['A note with code:\n```python\nprint(1)\n```\nend of note']);
    expect(findMdTags(text, 'python')).toEqual(['print(2)']);
    // A closing with nothing open is ignored; an opening never closed yields nothing.
    expect(findMdTags('``` stray\n```python\nx\n```', 'python')).toEqual(['x']);
    expect(findMdTags('```python\nnever closed', 'python')).toEqual([]);
  });

  it('fixed: the tag is the whole word after the backticks, so py does not match ```python (upstream compared prefixes)', () => {
    const text = '```python\nprint(1)\n```\n\n```py\nprint(2)\n```';
    expect(findMdTags(text, 'py')).toEqual(['print(2)']);
    expect(findMdTags(text, 'python')).toEqual(['print(1)']);
    expect(problems(() => defaultParse('```python\nx\n```', { mdTags: ['py'] }))).toEqual(['Missing the required ```py fenced block.']);
  });
});

describe('signal tags', () => {
  // default_parser: `parsed[tag] = f'<{tag}>' in message`.
  it("as upstream's default_parser: a signal tag is the literal <TAG>, anywhere; <TAG/> and <TAG > do not count", () => {
    expect(hasSignalTag('done <STOP>', 'STOP')).toBe(true);
    expect(hasSignalTag('<STOP>inside a block</STOP>', 'STOP')).toBe(true);
    expect(hasSignalTag('done <STOP/>', 'STOP')).toBe(false);
    expect(hasSignalTag('done <STOP >', 'STOP')).toBe(false);
    expect(hasSignalTag('done STOP', 'STOP')).toBe(false);
    expect(hasSignalTag('done <stop>', 'STOP')).toBe(false);
  });

  it("as upstream's default_parser: signal tags are reported, never required", () => {
    expect(defaultParse('no signal here', { signalTags: ['DONE', 'RETRY'] }).signalTags).toEqual({ DONE: false, RETRY: false });
    expect(defaultParse('<RETRY> please', { signalTags: ['DONE', 'RETRY'] }).signalTags).toEqual({ DONE: false, RETRY: true });
  });

  it('fixed: signal tag names are literal text too (a.b does not match <aXb>)', () => {
    expect(hasSignalTag('<aXb>', 'a.b')).toBe(false);
    expect(hasSignalTag('<a.b>', 'a.b')).toBe(true);
  });
});

describe('tag names', () => {
  it('a prompt refuses tag names that can never match, naming each', () => {
    expect(tagSpecProblems({ xmlTags: ['answer'], mdTags: ['python'], signalTags: ['DONE'] })).toEqual([]);
    expect(
      () => new Prompt({ path: 'parser/bad', prompt: 'x', xmlTags: ['final answer', '<b>'], mdTags: [''], signalTags: ['OK'] }),
    ).toThrow(
      [
        'Prompt "parser/bad" lists tags that can never match:',
        '- xmlTags: "final answer" can never match; a tag is one word without whitespace, "<" or ">".',
        '- xmlTags: "<b>" can never match; a tag is one word without whitespace, "<" or ">".',
        '- mdTags: "" can never match; a tag is one word without whitespace.',
      ].join('\n'),
    );
  });
});
