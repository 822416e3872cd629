import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, NotFoundError } from '../errors.js';
import { activateSkillTool, skillCatalog } from './activate-skill.js';
import { loadSkills, readSkill, resolveSkills } from './skill.js';

const roots: string[] = [];
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'lllm-skills-'));
  roots.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

const SKILL = `---
name: h14-haiku
description: Write a haiku (5-7-5 syllables) when asked for a short poem.
license: MIT
---
# Haiku
Count syllables per line: 5, 7, 5. See reference/examples.md.
`;

describe('skills', () => {
  it('reads SKILL.md front matter, instructions and resource files; registers and resolves by name', () => {
    const root = tree({ 'h14-haiku/SKILL.md': SKILL, 'h14-haiku/reference/examples.md': 'old pond', 'not-a-skill/readme.md': 'x' });
    expect(loadSkills([root])).toEqual(['h14-haiku']);
    const [skill] = resolveSkills(['h14-haiku']);
    expect(skill).toMatchObject({
      name: 'h14-haiku',
      description: 'Write a haiku (5-7-5 syllables) when asked for a short poem.',
      resources: ['reference/examples.md'],
      metadata: { license: 'MIT' },
    });
    expect(skill?.instructions).toMatch(/^# Haiku\nCount syllables/);
    expect(() => resolveSkills(['h14-haiku-x'])).toThrow(NotFoundError);
    expect(() => resolveSkills(['h14-haiku-x'])).toThrow(/Did you mean "h14-haiku"/);
  });

  it('shows names and descriptions in the catalog and loads the instructions through activate_skill', async () => {
    const root = tree({ 'h14-haiku/SKILL.md': SKILL, 'h14-haiku/reference/examples.md': 'old pond' });
    const skill = readSkill(join(root, 'h14-haiku'));
    const catalog = skillCatalog([skill]);
    expect(catalog).toContain('<skill name="h14-haiku">');
    expect(catalog).toContain('<description>Write a haiku (5-7-5 syllables) when asked for a short poem.</description>');
    expect(catalog).not.toContain('Count syllables');
    const tool = activateSkillTool([skill]);
    expect(tool.validate?.({ name: 'nope' })).toMatchObject({ success: false });
    const text = await tool.execute({ name: 'h14-haiku' }, { signal: new AbortController().signal, callId: 'c', agentName: 'a' });
    expect(text).toContain('Count syllables per line: 5, 7, 5.');
    expect(text).toContain('reference/examples.md');
  });

  it('lists every problem of a bad SKILL.md with the file', () => {
    const root = tree({
      'Bad_Skill/SKILL.md': '---\nname: Bad_Skill\n---\nbody',
      'other/SKILL.md': '---\nname: else\ndescription: d\n---\n',
      'bare/SKILL.md': 'no front matter',
    });
    const error = (() => {
      try {
        readSkill(join(root, 'Bad_Skill'));
      } catch (thrown) {
        return thrown as ConfigError;
      }
    })();
    expect(ConfigError.isInstance(error)).toBe(true);
    expect(error?.problems).toHaveLength(2);
    expect(error?.message).toContain(join(root, 'Bad_Skill', 'SKILL.md'));
    expect(() => readSkill(join(root, 'other'))).toThrow(/"else" must match its folder's name "other"/);
    expect(() => readSkill(join(root, 'bare'))).toThrow(/starts with YAML front matter/);
  });
});
