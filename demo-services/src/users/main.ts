// users: registration, login issuing JWTs, password hashing. Owns the `users` database.
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:http';
import {
  baseConfig,
  databaseUrl,
  jwtConfig,
  loadConfig,
  port,
  positiveInt,
} from '../platform/config/index.js';
import { createPool, isUniqueViolation } from '../platform/db/pool.js';
import { migrate } from '../platform/db/migrate.js';
import { createHttpApp, ErrorBody } from '../platform/http/app.js';
import { conflict, forbidden, notFound, unauthorized } from '../platform/http/errors.js';
import { createTokenService } from '../platform/auth/jwt.js';
import { Lifecycle } from '../platform/lifecycle/shutdown.js';
import { log } from '../platform/telemetry/index.js';
import { DUMMY_HASH, hashPassword, verifyPassword } from './passwords.js';
import { LoginBody, RegisterBody, Token, User, UserIdParams } from './schemas.js';

const config = loadConfig('users', {
  ...baseConfig,
  ...jwtConfig,
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
const db = createPool(config.DATABASE_URL);
lifecycle.onShutdown('database pool', () => db.end());
await migrate(db, fileURLToPath(new URL('./migrations', import.meta.url)));

const tokens = createTokenService(config, config.JWT_TTL_SECONDS);
const { app, route, finish, idle } = createHttpApp({
  service: 'users',
  bodyLimit: config.BODY_LIMIT,
  tokens,
  readiness: { database: () => db.query('SELECT 1') },
});

route(
  {
    method: 'post',
    path: '/api/v1/users',
    summary: 'Register a user',
    body: RegisterBody,
    responses: {
      201: { description: 'Registered', schema: User },
      409: { description: 'Email already registered', schema: ErrorBody },
    },
  },
  async ({ body }) => {
    const hash = await hashPassword(body.password);
    try {
      const { rows } = await db.query<UserRow>(
        'INSERT INTO users (email, name, password_hash) VALUES ($1, $2, $3) RETURNING *',
        [body.email.toLowerCase(), body.name, hash],
      );
      const user = toUser(rows[0]!);
      log.info({ userId: user.id }, 'user registered');
      return { status: 201, body: user, headers: { Location: `/api/v1/users/${user.id}` } };
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict('email already registered', 'email_taken');
      throw err;
    }
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
    return { status: 200, body: { token, expiresIn: config.JWT_TTL_SECONDS } };
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
const server = createServer(app);
const listening = await lifecycle.listen(server, config.PORT, config.HOST, idle);
log.info({ port: listening }, 'users listening');
