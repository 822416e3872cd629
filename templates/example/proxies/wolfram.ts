// Wolfram|Alpha's LLM API (https://products.wolframalpha.com/llm-api/documentation), the Python LLLM
// example's `wa` proxy: one GET endpoint, `input` in the query, the AppID as `appid`, a plain-text
// answer written for language models. Get an AppID ("LLM API") at https://developer.wolframalpha.com
// and `export WA_API_DEV=…` (upstream's variable name).
import { defineProxy, type ProxyDefinition } from '@lllm/proxy';
import { z } from 'zod';

/** Where to reach Wolfram|Alpha; tests point `baseUrl` at a local server. */
export interface WolframProxyOptions {
  /** Default `https://www.wolframalpha.com/api/v1`. */
  readonly baseUrl?: string;
}

const ANSWER = `Query:
"10 densest elemental metals"

Input interpretation:
10 densest metallic elements | by mass density

Result:
1 | hassium | 41 g/cm^3 |
2 | meitnerium | 37.4 g/cm^3 |
3 | bohrium | 37.1 g/cm^3 |

Wolfram|Alpha website result for "10 densest elemental metals":
https://www.wolframalpha.com/input?i=10+densest+elemental+metals`;

/**
 * Upstream's `wa` proxy carries a guide to assumptions as `additional_docs`; this is ours, from the
 * LLM API documentation: how an agent resolves an ambiguous input.
 */
const USE_ASSUMPTIONS = `An input can be read more than one way ("pi" the number or the film, "1/2/2024" day-first or
month-first). The answer then names the reading it chose and lists the others under "Assumptions",
each with a value such as *C.pi-_*Movie or DateOrder_**Day.Month.Year--.
To get another reading, send the same input again with that value as \`assumption\`. Use one
assumption per call, and only a value the previous answer listed.`;

/** The Wolfram|Alpha proxy, optionally at another base URL. */
export function wolframProxy(options: WolframProxyOptions = {}): ProxyDefinition {
  return defineProxy({
    path: 'wa',
    name: 'Wolfram Alpha API',
    description:
      'Wolfram|Alpha, an answer engine: computes answers to factual and mathematical queries (chemistry, physics, ' +
      'geography, history, astronomy, unit and date conversions, equations) from curated data.',
    baseUrl: options.baseUrl ?? 'https://www.wolframalpha.com/api/v1',
    apiKey: { env: 'WA_API_DEV', in: 'query', name: 'appid' },
    additionalDocs: { 'Use Assumptions': USE_ASSUMPTIONS },
    endpoints: [
      {
        category: 'query',
        endpoint: '/llm-api',
        key: 'llm-api',
        name: 'Wolfram Alpha LLM API',
        description:
          'One query in, a plain-text answer out: the input interpretation, results, and the website link. Send short ' +
          'keyword queries in English ("France population", not "how many people live in France"), one property per ' +
          'call, exponents as 6*10^14. See the "Use Assumptions" doc for ambiguous inputs.',
        parameters: z.object({
          input: z.string().min(1).describe('The query, one line, e.g. "10 densest elemental metals"'),
          assumption: z
            .string()
            .optional()
            .describe('An assumption value from a previous answer, e.g. "*C.pi-_*Movie" or "DateOrder_**Day.Month.Year--"'),
          maxchars: z.number().int().min(1).optional().describe('Longest answer in characters (the API default is 6800)'),
        }),
        examples: { input: '10 densest elemental metals', assumption: 'DateOrder_**Day.Month.Year--', maxchars: 6800 },
        exampleResponse: { response: ANSWER },
        // The API answers text/plain; upstream wraps it as { response: text }.
        transform: (response) => ({ response }),
      },
    ],
  });
}

/** Wolfram|Alpha at its public address: discovery registers it as `wa`. */
export const wa = wolframProxy();
