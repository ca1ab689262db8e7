// users: registration, login issuing JWTs, password hashing. Owns the `users` database.
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:http';
import {
  baseConfig,
  databaseConfig,
  databaseUrl,
  jwtConfig,
  loadConfig,
  port,
  positiveInt,
} from '../platform/config/index.js';
import { createPool } from '../platform/db/pool.js';
import { migrate } from '../platform/db/migrate.js';
import { createHttpApp, ErrorBody } from '../platform/http/app.js';
import { forbidden, notFound, unauthorized } from '../platform/http/errors.js';
import { createTokenService } from '../platform/auth/jwt.js';
import { Lifecycle } from '../platform/lifecycle/shutdown.js';
import { log } from '../platform/telemetry/index.js';
import { DUMMY_HASH, hashPassword, verifyPassword } from './passwords.js';
import { LoginBody, RegisterBody, Registration, Token, User, UserIdParams } from './schemas.js';

const config = loadConfig('users', {
  ...baseConfig,
  ...jwtConfig,
  ...databaseConfig,
  PORT: port(8081),
  DATABASE_URL: databaseUrl('users'),
  JWT_TTL_SECONDS: positiveInt(3600),
});

interface UserRow {
  id: string;
  email: string;
  name: string;
  password_hash: string;
  created_at: Date;
}
const toUser = (row: UserRow) => ({
  id: row.id,
  email: row.email,
  name: row.name,
  createdAt: row.created_at.toISOString(),
});

const lifecycle = new Lifecycle(config.SHUTDOWN_TIMEOUT_MS);
lifecycle.installSignalHandlers();
const db = createPool(config.DATABASE_URL, {
  statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS,
  connectTimeoutMs: config.DB_CONNECT_TIMEOUT_MS,
});
lifecycle.onShutdown('database pool', () => db.end());
await migrate(db, fileURLToPath(new URL('./migrations', import.meta.url)));

const tokens = createTokenService(config, config.JWT_TTL_SECONDS);
const { listener, route, finish, idle } = createHttpApp({
  service: 'users',
  bodyLimit: config.BODY_LIMIT,
  tokens,
  readiness: { database: () => db.query('SELECT 1') },
});

route(
  {
    method: 'post',
    path: '/api/v1/users',
    summary: 'Register a user (the answer is the same whether or not the email was registered)',
    body: RegisterBody,
    responses: {
      202: { description: 'Accepted: log in with the email and password', schema: Registration },
    },
  },
  async ({ body }) => {
    // The same work and the same answer for a new and a known email: neither the status, the body
    // nor the time tells an outsider which addresses have accounts. The existing account is left
    // untouched (its password is not changed by someone who merely knows the address).
    const hash = await hashPassword(body.password);
    const { rows } = await db.query<UserRow>(
      `INSERT INTO users (email, name, password_hash) VALUES ($1, $2, $3)
       ON CONFLICT DO NOTHING RETURNING *`,
      [body.email.toLowerCase(), body.name, hash],
    );
    if (rows[0]) log.info({ userId: rows[0].id }, 'user registered');
    else log.info('registration for an existing email ignored');
    return {
      status: 202,
      body: { status: 'accepted', message: 'log in with this email and password to continue' },
    };
  },
);

route(
  {
    method: 'post',
    path: '/api/v1/auth/login',
    summary: 'Exchange email and password for a JWT',
    body: LoginBody,
    responses: {
      200: { description: 'Token issued', schema: Token },
      401: { description: 'Wrong credentials', schema: ErrorBody },
    },
  },
  async ({ body }) => {
    const { rows } = await db.query<UserRow>('SELECT * FROM users WHERE lower(email) = lower($1)', [
      body.email,
    ]);
    const row = rows[0];
    const ok = await verifyPassword(body.password, row?.password_hash ?? DUMMY_HASH);
    if (!row || !ok) {
      log.info('login rejected');
      throw unauthorized('wrong email or password');
    }
    const token = await tokens.sign({ id: row.id, email: row.email });
    return {
      status: 200,
      body: { token, expiresIn: config.JWT_TTL_SECONDS, user: toUser(row) },
    };
  },
);

route(
  {
    method: 'get',
    path: '/api/v1/users/:id',
    summary: 'Read a user (only yourself)',
    auth: true,
    params: UserIdParams,
    responses: {
      200: { description: 'The user', schema: User },
      403: { description: 'Not yourself', schema: ErrorBody },
      404: { description: 'No such user', schema: ErrorBody },
    },
  },
  async ({ params, user }) => {
    if (user?.id !== params.id) throw forbidden('you can only read your own user');
    const { rows } = await db.query<UserRow>('SELECT * FROM users WHERE id = $1', [params.id]);
    if (!rows[0]) throw notFound('user not found');
    return { status: 200, body: toUser(rows[0]) };
  },
);

finish();
const server = createServer(listener);
const listening = await lifecycle.listen(server, config.PORT, config.HOST, idle);
log.info({ port: listening }, 'users listening');
