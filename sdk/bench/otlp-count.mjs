// Counts what an OTLP export carries without decoding it: walks only the protobuf framing.
// Traces and logs share one shape: field 1 = Resource{Spans,Logs}, inside it field 2 = Scope*,
// inside that field 2 = the spans or log records. For spans it also reads kind (field 6) to
// count server spans, one per served request.

function varint(buf, pos) {
  let value = 0;
  let shift = 0;
  for (;;) {
    const b = buf[pos++];
    value += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return [value, pos];
    shift += 7;
  }
}

/** Calls fn(start, end) for every length-delimited field `field` in buf[start, end). */
function eachField(buf, start, end, field, fn) {
  let pos = start;
  while (pos < end) {
    const [key, p] = varint(buf, pos);
    pos = p;
    const wire = key & 7;
    if (wire === 0) [, pos] = varint(buf, pos);
    else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else if (wire === 2) {
      const [len, q] = varint(buf, pos);
      if (key >>> 3 === field) fn(q, q + len);
      pos = q + len;
    } else return; // groups are not used by OTLP
  }
}

function spanKind(buf, start, end) {
  let pos = start;
  while (pos < end) {
    const [key, p] = varint(buf, pos);
    pos = p;
    const wire = key & 7;
    if (wire === 0) {
      const [v, q] = varint(buf, pos);
      if (key >>> 3 === 6) return v;
      pos = q;
    } else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else if (wire === 2) {
      const [len, q] = varint(buf, pos);
      pos = q + len;
    } else return 0;
  }
  return 0;
}

const SERVER = 2;

/** { items, server } for a protobuf ExportTraceServiceRequest or ExportLogsServiceRequest. */
export function countProtobuf(buf, signal) {
  let items = 0;
  let server = 0;
  eachField(buf, 0, buf.length, 1, (rs, re) =>
    eachField(buf, rs, re, 2, (ss, se) =>
      eachField(buf, ss, se, 2, (s, e) => {
        items += 1;
        if (signal === 'traces' && spanKind(buf, s, e) === SERVER) server += 1;
      }),
    ),
  );
  return { items, server };
}

export function countJson(text, signal) {
  const body = JSON.parse(text);
  let items = 0;
  let server = 0;
  for (const r of body.resourceSpans ?? body.resourceLogs ?? []) {
    for (const s of r.scopeSpans ?? r.scopeLogs ?? []) {
      const list = s.spans ?? s.logRecords ?? [];
      items += list.length;
      if (signal === 'traces')
        server += list.filter((x) => x.kind === SERVER || x.kind === 'SPAN_KIND_SERVER').length;
    }
  }
  return { items, server };
}
