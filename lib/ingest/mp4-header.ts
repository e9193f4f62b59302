/**
 * Reads a video's frame size and frame count from an ISO-BMFF (MP4/MOV) `moov` box found in
 * the bytes given: `tkhd` width/height (16.16 fixed point) and the `stsz` sample count of the
 * video track. Only cheap cases are handled: when `moov` sits after the media data (not
 * "fast-start"), the first bytes do not contain it and nothing is returned.
 */
export interface Mp4VideoHeader {
  width: number;
  height: number;
  frameCount: number;
}

interface Box {
  type: string;
  start: number;
  end: number;
}

function* boxes(view: DataView, start: number, end: number): Generator<Box> {
  let offset = start;
  while (offset + 8 <= end) {
    let size = view.getUint32(offset);
    const type = String.fromCharCode(
      view.getUint8(offset + 4),
      view.getUint8(offset + 5),
      view.getUint8(offset + 6),
      view.getUint8(offset + 7),
    );
    let header = 8;
    if (size === 1) {
      if (offset + 16 > end) return;
      size = Number(view.getBigUint64(offset + 8));
      header = 16;
    } else if (size === 0) {
      size = end - offset;
    }
    if (size < header) return;
    yield { type, start: offset + header, end: Math.min(offset + size, end) };
    offset += size;
  }
}

function child(view: DataView, parent: Box, type: string): Box | undefined {
  for (const box of boxes(view, parent.start, parent.end)) if (box.type === type) return box;
  return undefined;
}

function path(view: DataView, parent: Box, ...types: string[]): Box | undefined {
  let current: Box | undefined = parent;
  for (const type of types) {
    if (!current) return undefined;
    current = child(view, current, type);
  }
  return current;
}

export function readMp4VideoHeader(bytes: Uint8Array): Mp4VideoHeader | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const root: Box = { type: 'root', start: 0, end: bytes.byteLength };
  const moov = child(view, root, 'moov');
  if (!moov) return undefined;
  for (const trak of boxes(view, moov.start, moov.end)) {
    if (trak.type !== 'trak') continue;
    const hdlr = path(view, trak, 'mdia', 'hdlr');
    // hdlr: version/flags (4), pre_defined (4), handler_type (4)
    if (!hdlr || hdlr.start + 12 > hdlr.end) continue;
    const handler = String.fromCharCode(...bytes.subarray(hdlr.start + 8, hdlr.start + 12));
    if (handler !== 'vide') continue;
    const tkhd = child(view, trak, 'tkhd');
    if (!tkhd) continue;
    const version = view.getUint8(tkhd.start);
    // width/height are the last 8 bytes of tkhd in both versions (76 or 88 bytes of payload)
    const sizeOffset = tkhd.start + (version === 1 ? 88 : 76);
    if (sizeOffset + 8 > tkhd.end) continue;
    const width = view.getUint32(sizeOffset) / 65536;
    const height = view.getUint32(sizeOffset + 4) / 65536;
    const stsz = path(view, trak, 'mdia', 'minf', 'stbl', 'stsz');
    // stsz: version/flags (4), sample_size (4), sample_count (4)
    const frameCount = stsz && stsz.start + 12 <= stsz.end ? view.getUint32(stsz.start + 8) : 0;
    return { width, height, frameCount };
  }
  return undefined;
}
