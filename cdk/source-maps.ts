/**
 * Source maps of a function's asset, trimmed to our own code. Lambda runs with
 * `--enable-source-maps`, and Node reads and parses the map of every module it loads at
 * load time: the dependencies' mappings (zod, the AWS SDK) were ~3/4 of the maps' bytes and
 * part of every cold start. A dependency's frame then shows its position in the bundle;
 * ours keep their file, line and column (the maps carry no `sourcesContent` either way).
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DIGIT = new Int8Array(128).fill(-1);
for (let i = 0; i < BASE64.length; i += 1) DIGIT[BASE64.charCodeAt(i)] = i;

/** The parts of a source map (v3) this module reads and writes; others pass through. */
export interface SourceMapV3 {
  version: number;
  sources: string[];
  names: string[];
  mappings: string;
  [other: string]: unknown;
}

/**
 * One mapping segment with absolute values: `[generatedColumn]` (unmapped from here on), or
 * `[generatedColumn, source, line, column]`, or the same plus a name index.
 */
export type Segment = number[];

/** The `mappings` string as segments per generated line. */
export function decodeMappings(mappings: string): Segment[][] {
  const lines: Segment[][] = [];
  let source = 0;
  let line = 0;
  let column = 0;
  let name = 0;
  for (const text of mappings.split(';')) {
    const segments: Segment[] = [];
    let generated = 0;
    for (const encoded of text.length === 0 ? [] : text.split(',')) {
      const fields = decodeVlqs(encoded);
      if (fields.length !== 1 && fields.length !== 4 && fields.length !== 5) {
        throw new Error(`source map segment '${encoded}' has ${fields.length} fields`);
      }
      generated += fields[0] as number;
      if (fields.length === 1) {
        segments.push([generated]);
        continue;
      }
      source += fields[1] as number;
      line += fields[2] as number;
      column += fields[3] as number;
      if (fields.length === 4) segments.push([generated, source, line, column]);
      else {
        name += fields[4] as number;
        segments.push([generated, source, line, column, name]);
      }
    }
    lines.push(segments);
  }
  return lines;
}

function decodeVlqs(encoded: string): number[] {
  const values: number[] = [];
  let value = 0;
  let shift = 0;
  for (let i = 0; i < encoded.length; i += 1) {
    const digit = DIGIT[encoded.charCodeAt(i)] ?? -1;
    if (digit < 0) throw new Error(`source map segment '${encoded}' is not base64 VLQ`);
    value += (digit & 31) * 2 ** shift;
    if (digit & 32) {
      shift += 5;
      continue;
    }
    values.push(value % 2 === 1 ? -(value - 1) / 2 : value / 2);
    value = 0;
    shift = 0;
  }
  if (shift !== 0) throw new Error(`source map segment '${encoded}' ends mid-value`);
  return values;
}

function encodeVlq(value: number): string {
  let rest = value < 0 ? -value * 2 + 1 : value * 2;
  let out = '';
  do {
    let digit = rest % 32;
    rest = Math.floor(rest / 32);
    if (rest > 0) digit += 32;
    out += BASE64[digit];
  } while (rest > 0);
  return out;
}

/** The inverse of {@link decodeMappings}. */
export function encodeMappings(lines: Segment[][]): string {
  let source = 0;
  let line = 0;
  let column = 0;
  let name = 0;
  return lines
    .map((segments) => {
      let generated = 0;
      return segments
        .map((segment) => {
          const [at, src, srcLine, srcColumn, nameIndex] = segment as [
            number,
            number?,
            number?,
            number?,
            number?,
          ];
          let out = encodeVlq(at - generated);
          generated = at;
          if (src === undefined || srcLine === undefined || srcColumn === undefined) return out;
          out +=
            encodeVlq(src - source) + encodeVlq(srcLine - line) + encodeVlq(srcColumn - column);
          source = src;
          line = srcLine;
          column = srcColumn;
          if (nameIndex !== undefined) {
            out += encodeVlq(nameIndex - name);
            name = nameIndex;
          }
          return out;
        })
        .join(',');
    })
    .join(';');
}

/**
 * The map with only the mappings into sources `keep` accepts. A dropped run of segments
 * becomes one unmapped segment, so code after a kept segment on the same line is never
 * attributed to it; `sources` and `names` keep only what is still used.
 */
export function keepSources(map: SourceMapV3, keep: (source: string) => boolean): SourceMapV3 {
  const sources: string[] = [];
  const names: string[] = [];
  const sourceIndex = new Map<number, number>();
  const nameIndex = new Map<number, number>();
  const indexOf = (index: Map<number, number>, list: string[], from: string[], at: number) => {
    let mapped = index.get(at);
    if (mapped === undefined) {
      mapped = list.length;
      list.push(from[at] as string);
      index.set(at, mapped);
    }
    return mapped;
  };
  const lines = decodeMappings(map.mappings).map((segments) => {
    const kept: Segment[] = [];
    let unmapped = false;
    for (const segment of segments) {
      const [at, source, line, column, name] = segment as [
        number,
        number | undefined,
        number,
        number,
        number | undefined,
      ];
      if (source === undefined || !keep(map.sources[source] ?? '')) {
        if (!unmapped) kept.push([at]);
        unmapped = true;
        continue;
      }
      unmapped = false;
      const out: Segment = [at, indexOf(sourceIndex, sources, map.sources, source), line, column];
      if (name !== undefined) out.push(indexOf(nameIndex, names, map.names, name));
      kept.push(out);
    }
    return kept;
  });
  let mappings = encodeMappings(lines);
  // Node's parser reads on past the end of the string: a segment that ends it gets the
  // fields it lacks (an unmapped one, a source; one without a name, a name) as zero deltas.
  // An empty line after it (a separator) is read right.
  if ((lines.at(-1)?.length ?? 0) > 0) mappings += ';';
  return { ...map, sources, names, mappings };
}

/** A source of our own code: not under `node_modules`. */
export const isOwnSource = (source: string): boolean => !/(^|[\\/])node_modules[\\/]/.test(source);

/** Rewrites every `.map` file under `dir` (recursively) to map only our own sources. */
export async function trimSourceMaps(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.map')) continue;
    const path = join(entry.parentPath, entry.name);
    const map = JSON.parse(await readFile(path, 'utf8')) as SourceMapV3;
    await writeFile(path, JSON.stringify(keepSources(map, isOwnSource)));
  }
}
