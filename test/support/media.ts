/** Minimal but well-formed media headers, built in code so no binary fixtures are committed. */

export function gif(width: number, height: number): Buffer {
  const out = Buffer.alloc(13);
  out.write('GIF89a', 0, 'latin1');
  out.writeUInt16LE(width, 6);
  out.writeUInt16LE(height, 8);
  return Buffer.concat([out, Buffer.from([0x3b])]);
}

export function jpeg(width: number, height: number): Buffer {
  const app0 = Buffer.from([
    0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01,
    0x00, 0x00,
  ]);
  const sof = Buffer.alloc(19);
  sof.writeUInt16BE(0xffc0, 0);
  sof.writeUInt16BE(17, 2);
  sof[4] = 8;
  sof.writeUInt16BE(height, 5);
  sof.writeUInt16BE(width, 7);
  sof[9] = 3;
  return Buffer.concat([Buffer.from([0xff, 0xd8]), app0, sof, Buffer.from([0xff, 0xd9])]);
}

/**
 * A JPEG whose dimensions come after `metadataBytes` of APP1 segments (at most 64 KiB each),
 * as in photos carrying extended XMP (a phone's depth map, an editor's history).
 */
export function jpegWithMetadata(width: number, height: number, metadataBytes: number): Buffer {
  const segments: Buffer[] = [];
  for (let left = metadataBytes; left > 0; left -= 65_000) {
    const segment = Buffer.alloc(4 + Math.min(left, 65_000));
    segment.writeUInt16BE(0xffe1, 0);
    segment.writeUInt16BE(segment.byteLength - 2, 2);
    segments.push(segment);
  }
  const plain = jpeg(width, height);
  return Buffer.concat([plain.subarray(0, 2), ...segments, plain.subarray(2)]);
}

function box(type: string, ...children: Buffer[]): Buffer {
  const body = Buffer.concat(children);
  const header = Buffer.alloc(8);
  header.writeUInt32BE(8 + body.byteLength, 0);
  header.write(type, 4, 'latin1');
  return Buffer.concat([header, body]);
}

/** A fast-start MP4 (moov before mdat) with one video track. */
export function mp4(width: number, height: number, frames: number): Buffer {
  const ftyp = box('ftyp', Buffer.from('isom\0\0\x02\0isomiso2mp41', 'latin1'));
  const tkhd = Buffer.alloc(84);
  tkhd.writeUInt32BE(width * 65536, 76);
  tkhd.writeUInt32BE(height * 65536, 80);
  const hdlr = Buffer.alloc(25);
  hdlr.write('vide', 8, 'latin1');
  const stsz = Buffer.alloc(12);
  stsz.writeUInt32BE(frames, 8);
  const moov = box(
    'moov',
    box(
      'trak',
      box('tkhd', tkhd),
      box('mdia', box('hdlr', hdlr), box('minf', box('stbl', box('stsz', stsz)))),
    ),
  );
  return Buffer.concat([ftyp, moov, box('mdat', Buffer.alloc(16))]);
}
