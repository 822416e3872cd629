import { describe, expect, it } from 'vitest';
import { main } from './main.js';

describe('project model example', () => {
  it('runs the review desk offline: inherited config with provenance, a dependency prompt, an inline prompt, a skill', async () => {
    const { origins, result, skills } = await main('a lighthouse');
    expect(skills).toEqual(['haiku']);
    expect(origins).toEqual({
      'agent_configs.editor.temperature': 'config/default/default.yaml (global)',
      'agent_configs.editor.system_prompt_path': 'vendor/style-kit/config/base/default.yaml',
      'agent_configs.critic.temperature': 'config/default/default.yaml',
      max_exception_retry: 'vendor/style-kit/config/base/default.yaml',
    });
    expect(result).toEqual({
      poem: '(scripted) a lighthouse at dawn / seven syllables follow / and then five again',
      verdict: '(scripted) Accept: the syllables count and the last line turns.',
      skillsLoaded: ['haiku'],
    });
  });
});
