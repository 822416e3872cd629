// Version ranges of [dependencies]: exact, ^, ~, >=, * (what package manifests use for LLLM packages).
import { ConfigError } from '../errors.js';

const VERSION = /^v?(\d+)\.(\d+)\.(\d+)(?:[-+].*)?$/;

function parts(version: string): [number, number, number] | undefined {
  const match = VERSION.exec(version.trim());
  return match ? [Number(match[1]), Number(match[2]), Number(match[3])] : undefined;
}

function compare(a: readonly number[], b: readonly number[]): number {
  for (let index = 0; index < 3; index++) if ((a[index] ?? 0) !== (b[index] ?? 0)) return (a[index] ?? 0) - (b[index] ?? 0);
  return 0;
}

/** Whether `version` satisfies `range` (`1.2.3`, `^1.2.3`, `~1.2.3`, `>=1.2.3`, `*`). An unreadable range is an error. */
export function satisfiesRange(version: string, range: string): boolean {
  const wanted = range.trim();
  if (wanted === '*' || wanted === '') return true;
  const operator = /^(\^|~|>=|=)?/.exec(wanted)?.[0] ?? '';
  const base = parts(wanted.slice(operator.length));
  if (!base) throw new ConfigError(`Version range ${JSON.stringify(range)} is not one of 1.2.3, ^1.2.3, ~1.2.3, >=1.2.3 or *.`);
  const have = parts(version);
  if (!have) return false;
  if (operator === '' || operator === '=') return compare(have, base) === 0;
  if (operator === '>=') return compare(have, base) >= 0;
  if (compare(have, base) < 0) return false;
  if (operator === '~') return have[0] === base[0] && have[1] === base[1];
  // ^: the left-most non-zero part is fixed.
  if (base[0] > 0) return have[0] === base[0];
  if (base[1] > 0) return have[0] === 0 && have[1] === base[1];
  return have[0] === 0 && have[1] === 0 && have[2] === base[2];
}
