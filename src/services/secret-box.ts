import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { ValidationError } from '../core/errors/index.js';

/**
 * AES-256-GCM sealing for secrets at rest. The key comes from MODELPORT_SECRET_KEY: 32 bytes as
 * base64 or hex, or any passphrase of 16+ characters (stretched with HKDF-SHA256).
 * Sealed form: `v1.<iv>.<tag>.<ciphertext>` in base64url, so a future key scheme can sit beside it.
 */
export interface SecretBox {
  seal(plain: string, associatedData: string): string;
  /** Throws when the value was sealed with another key or tampered with. */
  open(sealed: string, associatedData: string): string;
}

export function createSecretBox(secretKey: string): SecretBox {
  const key = deriveKey(secretKey);
  return {
    seal(plain, associatedData) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(associatedData));
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return ['v1', iv, cipher.getAuthTag(), body].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join('.');
    },
    open(sealed, associatedData) {
      const [version, iv, tag, body] = sealed.split('.');
      if (version !== 'v1' || !iv || !tag || body === undefined) throw new Error('not a sealed value');
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(associatedData));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
    },
  };
}

function deriveKey(secretKey: string): Buffer {
  if (/^[0-9a-fA-F]{64}$/.test(secretKey)) return Buffer.from(secretKey, 'hex');
  const decoded = Buffer.from(secretKey, 'base64');
  if (decoded.length === 32 && /^[A-Za-z0-9+/_-]{43}=?$/.test(secretKey)) return decoded;
  if (secretKey.length < 16) {
    throw new ValidationError('MODELPORT_SECRET_KEY is too short: use 32 random bytes (e.g. `openssl rand -base64 32`)', [
      { path: 'MODELPORT_SECRET_KEY', message: 'too short' },
    ]);
  }
  return Buffer.from(hkdfSync('sha256', secretKey, 'modelport', 'credentials-v1', 32));
}
