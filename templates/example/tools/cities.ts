import { tool } from '@lllm/prompts';
import { z } from 'zod';

// A small local data set, so the example needs no network: populations of city proper (millions).
const POPULATION: Record<string, number> = {
  tokyo: 13.96,
  delhi: 16.79,
  shanghai: 24.87,
  'sao paulo': 12.33,
  'mexico city': 9.21,
  cairo: 10.1,
  paris: 2.1,
  london: 8.87,
  'new york': 8.34,
  lagos: 15.3,
};

export const lookupPopulation = tool({
  name: 'lookup_population',
  description: `Population of a city (city proper), in millions. Knows: ${Object.keys(POPULATION).join(', ')}`,
  parameters: z.object({ city: z.string().describe('City name, e.g. "Paris"') }),
  execute: ({ city }) => {
    const value = POPULATION[city.trim().toLowerCase()];
    if (value === undefined) throw new Error(`unknown city "${city}"; known: ${Object.keys(POPULATION).join(', ')}`);
    return { city, millions: value };
  },
});

export const calculate = tool({
  name: 'calculate',
  description: 'Apply an arithmetic operation to two numbers.',
  parameters: z.object({ op: z.enum(['add', 'subtract', 'multiply', 'divide']), a: z.number(), b: z.number() }),
  execute: ({ op, a, b }) => {
    if (op === 'divide' && b === 0) throw new Error('division by zero');
    const result = op === 'add' ? a + b : op === 'subtract' ? a - b : op === 'multiply' ? a * b : a / b;
    return Math.round(result * 1e6) / 1e6;
  },
});
