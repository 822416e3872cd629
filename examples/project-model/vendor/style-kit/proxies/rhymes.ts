import { defineProxy } from '@lllm/proxy';

/** An offline proxy of the style kit: words that rhyme with a word (a real one would call an API). */
export const rhymes = defineProxy({
  path: 'rhymes',
  name: 'Rhymes',
  description: 'Words that rhyme with a given word.',
  endpoints: [
    {
      category: 'words',
      endpoint: 'rhyme',
      name: 'Rhymes of a word',
      description: 'Up to five words rhyming with `word`.',
      parameters: { type: 'object', properties: { word: { type: 'string' } }, required: ['word'], additionalProperties: false },
      examples: { word: 'sea' },
      handler: (params: Record<string, unknown>) => ({
        word: params.word,
        rhymes: String(params.word).endsWith('ea') ? ['tea', 'key', 'free'] : [],
      }),
    },
  ],
});
