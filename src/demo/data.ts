// The digits in the browser: data/digits/digits.csv.gz fetched from the demo server, gunzipped by DecompressionStream, parsed by the shared parser.
import { parseDigitsCsv, type DigitsArrays } from '../data/digits_csv.js';

/** The digits with pixels scaled to [0, 1], as the Node dataset gives them. */
export async function fetchDigits(url: string): Promise<DigitsArrays> {
  const res = await fetch(url);
  if (!res.ok || res.body === null)
    throw new Error(`cannot load the digits from ${url} (HTTP ${res.status})`);
  const text = await new Response(res.body.pipeThrough(new DecompressionStream('gzip'))).text();
  return parseDigitsCsv(text, url, 1 / 16);
}
