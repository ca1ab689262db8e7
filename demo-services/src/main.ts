// One entry for every service, for container images: `node dist/main.js <service>` or SERVICE=<service>.
const services = ['gateway', 'users', 'orders', 'payments', 'inventory', 'shipping', 'loadgen'];
const name = process.argv[2] ?? process.env.SERVICE;
if (!name || !services.includes(name)) {
  process.stderr.write(
    `usage: node dist/main.js <${services.join('|')}> (or set SERVICE); got ${name ?? 'nothing'}\n`,
  );
  process.exit(2);
}
process.env.OTEL_SERVICE_NAME ??= name;
await import(`./${name}/main.js`);
