import { describe, expect, test } from 'vitest';
import { EgressAttribution, type EgressInitiator, endpointOfRefusal, endpointOfUrl } from './egress-attribution.js';
import type { RefusedEgress } from './egress-proxy.js';

const tunnel = (target: string): RefusedEgress => ({ target, method: 'CONNECT', fetchDest: undefined, fetchMode: undefined });
const plain = (target: string): RefusedEgress => ({ target, method: 'GET', fetchDest: 'empty', fetchMode: 'cors' });

function attribution(options: { waitMs?: number; lookbackMs?: number } = {}) {
  const decided: [string, EgressInitiator][] = [];
  const ledger = new EgressAttribution({ ...options, onAttributed: (refused, initiator) => decided.push([refused.target, initiator]) });
  return { ledger, decided };
}

describe('endpoints', () => {
  test('a URL and a refusal name the same host:port, default ports filled in, IPv6 bracketed', () => {
    expect(endpointOfUrl('https://Example.COM/a?b')).toBe('example.com:443');
    expect(endpointOfUrl('wss://example.com/socket')).toBe('example.com:443');
    expect(endpointOfUrl('ws://example.com:8080/socket')).toBe('example.com:8080');
    expect(endpointOfUrl('http://[::1]:9000/x')).toBe('[::1]:9000');
    expect(endpointOfUrl('http://127.0.0.1/x')).toBe('127.0.0.1:80');
    expect(endpointOfUrl('data:text/plain,hi')).toBeUndefined();
    expect(endpointOfUrl('about:blank')).toBeUndefined();
    expect(endpointOfUrl('not a url')).toBeUndefined();
    expect(endpointOfRefusal(tunnel('Content-Autofill.googleapis.com:443'))).toBe('content-autofill.googleapis.com:443');
    expect(endpointOfRefusal(plain('http://127.0.0.1:4000/redirected'))).toBe('127.0.0.1:4000');
  });
});

describe('EgressAttribution', () => {
  test('a refusal of a host a page just asked for is the page’s, at once', () => {
    const { ledger, decided } = attribution();
    ledger.pageRequested('https://foreign.example/fetch-redirected');
    ledger.refused(tunnel('foreign.example:443'));
    ledger.refused(plain('http://127.0.0.1:4000/hop'));
    expect(decided).toEqual([['foreign.example:443', 'page']]);
    ledger.close();
    // Closing decides what still waits: Chromium's.
    expect(decided).toEqual([
      ['foreign.example:443', 'page'],
      ['http://127.0.0.1:4000/hop', 'browser'],
    ]);
  });

  test('the page event may come just after the proxy refused: still the page’s', async () => {
    const { ledger, decided } = attribution({ waitMs: 1_000 });
    ledger.refused(tunnel('foreign.example:8443'));
    expect(decided).toEqual([]);
    ledger.pageRequested('wss://foreign.example:8443/socket');
    expect(decided).toEqual([['foreign.example:8443', 'page']]);
    const started = Date.now();
    await ledger.settled();
    expect(Date.now() - started).toBeLessThan(100);
    ledger.close();
  });

  test('a refusal no page asked for is Chromium’s own once the wait is over; settled() waits for it', async () => {
    const { ledger, decided } = attribution({ waitMs: 120 });
    ledger.pageRequested('https://allowed.example/');
    ledger.refused(tunnel('content-autofill.googleapis.com:443'));
    const started = Date.now();
    await ledger.settled();
    const waited = Date.now() - started;
    expect(decided).toEqual([['content-autofill.googleapis.com:443', 'browser']]);
    expect(waited).toBeGreaterThanOrEqual(100);
    expect(waited).toBeLessThan(1_000);
    // A page request after the decision does not change it, nor report it twice.
    ledger.pageRequested('https://content-autofill.googleapis.com/');
    expect(decided).toHaveLength(1);
    ledger.close();
  });

  test('a page request older than the lookback no longer explains a refusal', () => {
    const { ledger, decided } = attribution({ lookbackMs: 1_000 });
    const now = Date.now();
    ledger.pageRequested('https://foreign.example/', now - 5_000);
    ledger.refused(tunnel('foreign.example:443'), now);
    ledger.close();
    expect(decided).toEqual([['foreign.example:443', 'browser']]);
  });

  test('after close, nothing is reported; a throwing listener does not escape', async () => {
    let calls = 0;
    const ledger = new EgressAttribution({
      waitMs: 10,
      onAttributed: () => {
        calls++;
        throw new Error('listener broke');
      },
    });
    ledger.refused(tunnel('a.example:443'));
    await ledger.settled();
    expect(calls).toBe(1);
    ledger.close();
    ledger.refused(tunnel('b.example:443'));
    ledger.pageRequested('https://b.example/');
    await ledger.settled();
    expect(calls).toBe(1);
  });
});
