import type { ToolLike } from '../prompt-like.js';
import type { Skill } from './skill.js';

/** Escapes text for an XML-like block the model reads. */
const xml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The system-prompt block listing the skills an agent may activate (names and descriptions only). */
export function skillCatalog(skills: readonly Skill[]): string {
  if (skills.length === 0) return '';
  const entries = skills.map(
    (skill) => `  <skill name="${xml(skill.name)}">\n    <description>${xml(skill.description)}</description>\n  </skill>`,
  );
  return [
    '',
    '',
    "When a task matches a skill's description, call the `activate_skill` tool with that skill's name to load its full instructions before going on.",
    '<available_skills>',
    ...entries,
    '</available_skills>',
  ].join('\n');
}

/** The `activate_skill` tool over these skills: it returns a skill's instructions and the files beside them. */
export function activateSkillTool(skills: readonly Skill[]): ToolLike {
  const byName = new Map(skills.map((skill) => [skill.name, skill]));
  const names = [...byName.keys()];
  return {
    name: 'activate_skill',
    description: 'Load the full instructions of one of the available skills (see <available_skills>) before doing a task it covers.',
    parameters: {
      type: 'object',
      properties: { name: { type: 'string', enum: names, description: 'The skill name.' } },
      required: ['name'],
      additionalProperties: false,
    },
    linked: true,
    validate(args) {
      const name = typeof args === 'object' && args !== null ? (args as { name?: unknown }).name : undefined;
      if (typeof name === 'string' && byName.has(name)) return { success: true, data: { name } };
      return { success: false, error: `name must be one of ${names.map((n) => `"${n}"`).join(', ')}, got ${JSON.stringify(name)}` };
    },
    execute(args) {
      const skill = byName.get(String(args.name)) as Skill;
      const files = skill.resources.length
        ? `\n\n<skill_resources folder="${xml(skill.folder)}">\n${skill.resources.map((file) => `  ${xml(file)}`).join('\n')}\n</skill_resources>`
        : '';
      return `<skill_content name="${xml(skill.name)}">\n${skill.instructions}\n</skill_content>${files}`;
    },
  };
}
