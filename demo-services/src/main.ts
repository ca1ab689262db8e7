// One entry for every service and operations command, for container images:
// `node dist/main.js <service>` or SERVICE=<service>.
// OTEL_SERVICE_NAME must be set by the caller too: the SDK reads it before this file runs.
const entries: Record<string, string> = {
  gateway: './gateway/main.js',
  users: './users/main.js',
  orders: './orders/main.js',
  payments: './payments/main.js',
  inventory: './inventory/main.js',
  shipping: './shipping/main.js',
  loadgen: './loadgen/main.js',
  bootstrap: './platform/bootstrap/cli.js',
  secrets: './platform/secrets/cli.js',
  redrive: './platform/messaging/redrive-cli.js',
};
const name = process.argv[2] ?? process.env.SERVICE;
const entry = name ? entries[name] : undefined;
if (!entry) {
  process.stderr.write(
    `usage: node dist/main.js <${Object.keys(entries).join('|')}> (or set SERVICE); got ${name ?? 'nothing'}\n`,
  );
  process.exit(2);
}
await import(entry);
