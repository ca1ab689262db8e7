import { z } from 'zod';
import { text } from '../platform/http/text.js';

export const RegisterBody = z.object({
  email: z.email().max(254),
  password: z.string().min(8, 'must be at least 8 characters').max(128),
  name: text().trim().min(1).max(100),
});

export const LoginBody = z.object({
  email: z.email().max(254),
  password: z.string().min(1).max(128),
});

export const User = z.object({
  id: z.uuid(),
  email: z.string(),
  name: z.string(),
  createdAt: z.string(),
});

export const Registration = z.object({ status: z.literal('accepted'), message: z.string() });

export const Token = z.object({ token: z.string(), expiresIn: z.number(), user: User });

export const UserIdParams = z.object({ id: z.uuid() });
