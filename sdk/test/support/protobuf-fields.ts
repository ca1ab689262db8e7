/** One protobuf field: its number and its value (nested messages decoded, leaves as hex). */
export type Field = [number, unknown];

/** Wire-level decoding; zero varints and empty messages dropped (proto3 defaults). */
export function fields(buf: Buffer): Field[] {
  const out: Field[] = [];
  let p = 0;
  const varint = (): bigint => {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      const b = buf[p++];
      if (b === undefined) throw new Error('truncated');
      v |= BigInt(b & 127) << shift;
      if ((b & 128) === 0) return v;
      shift += 7n;
    }
  };
  while (p < buf.length) {
    const tag = varint();
    const field = Number(tag >> 3n);
    const wire = Number(tag & 7n);
    if (wire === 0) {
      const v = varint();
      if (v !== 0n) out.push([field, v]);
    } else if (wire === 1 || wire === 5) {
      const n = wire === 1 ? 8 : 4;
      if (p + n > buf.length) throw new Error('truncated');
      out.push([field, buf.subarray(p, p + n).toString('hex')]);
      p += n;
    } else if (wire === 2) {
      const len = Number(varint());
      if (p + len > buf.length) throw new Error('truncated');
      const sub = buf.subarray(p, p + len);
      p += len;
      let nested: Field[] | undefined;
      try {
        nested = fields(sub);
      } catch {
        nested = undefined;
      }
      if (nested === undefined) out.push([field, sub.toString('hex')]);
      else if (nested.length > 0 || len === 0) {
        if (nested.length > 0) out.push([field, nested]);
      }
    } else throw new Error(`wire type ${wire}`);
  }
  return out;
}
