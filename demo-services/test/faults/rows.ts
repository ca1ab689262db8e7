// The faults and attacks this suite reproduces, one per row. Each test names its row; the audit
// reports, per row, the orders it placed and the invariant violations among them.
export const ROWS = {
  lostCharge: '1 a charge whose answer is lost',
  lostReserve: '2 a reservation whose answer is lost',
  ssrf: '3 absolute-form request target (SSRF)',
  breakerAbuse: '4 clients opening the shared breakers',
  redisHung: '5 Redis hung',
  postgresRestart: '6 PostgreSQL restart under load',
  databaseOutage: '7 20 s database outage at shipping',
  deadLetters: '7 dead letters visible and re-driven',
  brokerLoss: '8 broker link lost mid-message',
  defaultSecret: '9 default JWT secret',
  internalApi: '10 /internal without a credential',
  bruteForce: '11 login brute force behind a token',
  nulByte: '12 NUL byte in text',
  timeouts: '13 a hung upstream',
  traversal: '14 backslash and dot-segment traversal',
  dbDown503: '15 database down is 503 + Retry-After',
  registration: '15 registration reveals accounts',
  shutdown: '15 SIGTERM with the collector black-holed',
  queryToken: '15 token= in the query exported',
  redisWarnings: '15 one warning per request while Redis is down',
  quickRestart: '15 a 3 s orders restart',
  recoveryProbes: 'recovery probes between rows',
} as const;

export type Row = (typeof ROWS)[keyof typeof ROWS];

let current: Row[] = [];

/** Called by a test: the rows its outcome stands for (read by the suite after each test). */
export function covers(...rows: Row[]): void {
  current.push(...rows);
}

export function takeCovered(): Row[] {
  const rows = current;
  current = [];
  return rows;
}
