// What the example's proxies tell agents beyond their endpoints, as upstream's example proxies do:
// FRED's and Wolfram|Alpha's `additional_docs` and FMP's `enums`, shown by the catalog and the docs.
import { ProxyRuntime } from '@lllm/proxy';
import { describe, expect, it } from 'vitest';
import { fmpProxy } from '../proxies/fmp.js';
import { fredProxy } from '../proxies/fred.js';
import { wolframProxy } from '../proxies/wolfram.js';

const runtime = () =>
  new ProxyRuntime({
    activate: [fredProxy(), fmpProxy(), wolframProxy()],
    env: { FRED_API_KEY: 'f'.repeat(32), FMP_API_KEY: 'm'.repeat(32), WA_API_DEV: 'w'.repeat(16) },
    cache: false,
  });

describe('docs beside the endpoints', () => {
  // Upstream template/example/system/proxy/modules/fred_proxy.py: additional_docs = {'Real-Time Periods': …};
  // wa_proxy.py: {'Use Assumptions': …}; rendered by lllm/proxies.py Proxy.api_catalog.
  it('as upstream’s additional_docs: the catalog carries FRED’s real-time periods and Wolfram’s assumptions guide', () => {
    const catalog = runtime().apiCatalog();
    expect(catalog).toContain('### Additional doc: Real-Time Periods (`fred`)\nFRED keeps every published version (vintage) of a value.');
    expect(catalog).toContain('### Additional doc: Use Assumptions (`wa`)\nAn input can be read more than one way');
    // retrieve_api_docs adds them only when asked (upstream's additional_doc=False default).
    const docs = runtime().retrieveApiDocs(['fred/series/observations']);
    expect(docs).not.toContain('Real-Time Periods');
    expect(runtime().retrieveApiDocs(['fred/series/observations'], { additionalDocs: true })).toContain(
      '## Additional doc: Real-Time Periods (`fred`)',
    );
  });

  // Upstream fmp_proxy.py: enums = {'period': ['quarter', 'annual'], 'timeframe': ['1min', …, '1day']}.
  it('as upstream’s FMP enums: listed in the catalog; an endpoint with its own values shows those, not the enumeration again', () => {
    const proxy = runtime();
    expect(proxy.apiCatalog()).toContain(
      'Enumerations:\n- `period`: "quarter" | "annual"\n- `timeframe`: "1min" | "5min" | "15min" | "30min" | "1hour" | "4hour" | "1day"',
    );
    const docs = proxy.retrieveApiDocs(['fmp/statements/ratios/key-metrics']);
    expect(docs).toContain(
      '- `period` ("annual" | "quarter", optional, in query): Reporting period: annual or quarter. Example: "annual".',
    );
    expect(docs).not.toContain('One of:');
  });
});
