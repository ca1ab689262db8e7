/**
 * A growable buffer for writing protobuf by hand, in one pass: a nested message reserves one
 * byte for its length and, when it turns out longer than 127 bytes, its content is moved up by
 * the extra length bytes (a memmove, cheaper than sizing every message first). The output is
 * canonical protobuf. Only the few wire types OTLP spans need are here.
 */
const HEX_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) HEX_VALUE[48 + i] = i;
for (let i = 0; i < 6; i++) HEX_VALUE[97 + i] = HEX_VALUE[65 + i] = 10 + i;

export class ProtobufWriter {
  buf: Buffer;
  pos = 0;

  constructor(initialSize = 16 * 1024) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  /** A tag or any other single byte. */
  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  /** Unsigned varint of a non-negative safe integer. */
  varint(v: number): void {
    this.ensure(10);
    while (v > 127) {
      // `& 127` reads the low bits of the value modulo 2^32, which are the right ones.
      this.buf[this.pos++] = (v & 127) | 128;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
  }

  /** A varint field, left out when zero or absent (the proto3 default). */
  varintField(tag: number, v: number | undefined): void {
    if (!v) return;
    this.byte(tag);
    this.varint(v);
  }

  /** A string field, left out when empty or absent (the proto3 default). */
  stringField(tag: number, s: string | undefined): void {
    if (!s) return;
    this.byte(tag);
    this.string(s);
  }

  /**
   * Signed 64-bit integer as protobuf int64 (negative values take ten bytes). `v` is any
   * integral number in int64's range: varint() is exact for those, and BigInt(v) is.
   */
  int64(v: number): void {
    if (v >= 0) return this.varint(v);
    this.bigint64(BigInt(v));
  }

  /** A bigint in int64's range as protobuf int64. */
  bigint64(v: bigint): void {
    let u = BigInt.asUintN(64, v);
    this.ensure(10);
    while (u > 127n) {
      this.buf[this.pos++] = Number(u & 127n) | 128;
      u >>= 7n;
    }
    this.buf[this.pos++] = Number(u);
  }

  /** Length-delimited UTF-8 string (without its tag). */
  string(s: string): void {
    const n = s.length;
    // Short ASCII strings (attribute keys, methods, routes, ids) are copied by hand: Buffer#write
    // costs more in argument handling than the copy itself.
    if (n < 128) {
      this.ensure(n + 1);
      const buf = this.buf;
      const start = this.pos;
      buf[start] = n;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c > 127) break;
        buf[start + 1 + i] = c;
      }
      if (i === n) {
        this.pos = start + 1 + n;
        return;
      }
    }
    const len = Buffer.byteLength(s);
    this.varint(len);
    this.ensure(len);
    this.pos += this.buf.write(s, this.pos, len, 'utf8');
  }

  /** Length-delimited bytes given as hex (trace and span ids). */
  hex(h: string): void {
    const len = h.length >>> 1;
    this.varint(len);
    this.ensure(len);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < h.length; i += 2) {
      const hi = HEX_VALUE[h.charCodeAt(i)];
      const lo = HEX_VALUE[h.charCodeAt(i + 1)];
      if (hi === undefined || lo === undefined || hi < 0 || lo < 0) {
        // Not hex (never the case for ids the SDK generates or parses): zero bytes.
        buf.fill(0, p, this.pos + len);
        break;
      }
      buf[p++] = (hi << 4) | lo;
    }
    this.pos += len;
  }

  /** Length-delimited raw bytes. */
  bytes(b: Uint8Array): void {
    this.varint(b.length);
    this.raw(b);
  }

  /** Bytes copied as they are (already encoded fields). */
  raw(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  fixed32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32LE(v >>> 0, this.pos);
    this.pos += 4;
  }

  /** A non-negative safe integer as fixed64 (counts). */
  fixed64(v: number): void {
    this.ensure(8);
    const high = Math.floor(v / 4294967296);
    this.buf.writeUInt32LE(v - high * 4294967296, this.pos);
    this.buf.writeUInt32LE(high, this.pos + 4);
    this.pos += 8;
  }

  double(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
  }

  /**
   * An OpenTelemetry HrTime ([seconds, nanoseconds]) as fixed64 nanoseconds, exactly: the
   * product does not fit a double, so it is assembled from halves that do.
   */
  nanos(t: readonly [number, number]): void {
    const [s, n] = t;
    const sHigh = Math.floor(s / 65536);
    const sLow = s - sHigh * 65536;
    const x = sHigh * 1e9; // < 2^46
    const xHigh = Math.floor(x / 65536);
    const xLow = x - xHigh * 65536;
    // s * 1e9 + n = xHigh * 2^32 + (xLow * 2^16 + sLow * 1e9 + n); the bracket is < 2^53.
    let low = xLow * 65536 + sLow * 1e9 + n;
    const carry = Math.floor(low / 4294967296);
    low -= carry * 4294967296;
    this.ensure(8);
    this.buf.writeUInt32LE(low, this.pos);
    this.buf.writeUInt32LE(xHigh + carry, this.pos + 4);
    this.pos += 8;
  }

  /** Starts a nested message (after its tag); pass the result to {@link end}. */
  begin(): number {
    this.ensure(1);
    return this.pos++;
  }

  /** Ends a nested message begun at `at`: writes its length, moving the content if needed. */
  end(at: number): void {
    const len = this.pos - at - 1;
    if (len < 128) {
      this.buf[at] = len;
      return;
    }
    let extra = 1;
    for (let v = len >>> 14; v > 0; v >>>= 7) extra++;
    this.ensure(extra);
    this.buf.copyWithin(at + 1 + extra, at + 1, this.pos);
    this.pos += extra;
    let p = at;
    let v = len;
    while (v > 127) {
      this.buf[p++] = (v & 127) | 128;
      v >>>= 7;
    }
    this.buf[p] = v;
  }

  /** A copy of what has been written. */
  finish(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }
}
